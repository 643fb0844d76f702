import { AirlockError } from '../errors.js';
import { formatImageRef, parseImageRef, type ImageRef } from '../ref/index.js';

/**
 * How source names become target names under `--registry HOST/PREFIX`:
 * - nested (default): SRC_HOST/PATH:TAG → HOST/PREFIX/PATH:TAG (the source paths mirrored);
 * - flatten: only the last path element, for registries that cannot nest;
 * - keep-source-host: HOST/PREFIX/SRC_HOST/PATH:TAG.
 */
export type MappingMode = 'nested' | 'flatten' | 'keep-source-host';

export interface TargetRegistry {
  host: string;
  /** '' or a path without leading or trailing slash. */
  prefix: string;
}

export function parseTargetRegistry(text: string): TargetRegistry {
  const clean = text.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const slash = clean.indexOf('/');
  const host = slash === -1 ? clean : clean.slice(0, slash);
  const prefix = slash === -1 ? '' : clean.slice(slash + 1);
  // Validate both through the reference grammar: a bad prefix fails here, not mid-push.
  parseImageRef(`${host}/${prefix === '' ? 'x' : `${prefix}/x`}:t`);
  if (!host.includes('.') && !host.includes(':') && host !== 'localhost') {
    throw new AirlockError('USAGE', `--registry ${text}: "${host}" does not look like a registry host`, {
      hint: 'write HOST[:PORT][/PREFIX], e.g. registry.internal:5000/vendor',
    });
  }
  return { host, prefix };
}

/**
 * How names are shortened for registries that limit path depth (Quay, GitLab):
 * `maxDepth` counts every path element of the target repository, prefix included.
 * Over it, the leading source elements are dropped (default), or, with `join`,
 * the trailing ones are joined with that separator (`a/b/c` → `a/b-c`), so the
 * name keeps every word. Two sources landing on one name are refused by the plan.
 */
export interface MappingOptions {
  maxDepth?: number;
  join?: string;
}

function fitDepth(prefix: string[], source: string[], options: MappingOptions, sourceName: string): string[] {
  const max = options.maxDepth;
  if (max === undefined || prefix.length + source.length <= max) return source;
  const room = max - prefix.length;
  if (room < 1) {
    throw new AirlockError('USAGE', `--registry prefix ${prefix.join('/')} already has ${prefix.length} path elements: no room for ${sourceName} under a maximum depth of ${max}`, {
      hint: 'use a shorter prefix, or a larger --max-depth if the registry allows it',
    });
  }
  if (options.join === undefined) return source.slice(source.length - room);
  return [...source.slice(0, room - 1), source.slice(room - 1).join(options.join)];
}

/** The target reference of a source name (as in the bundle's index.json). */
export function mapReference(sourceName: string, target: TargetRegistry, mode: MappingMode, options: MappingOptions = {}): ImageRef {
  const src = parseImageRef(sourceName);
  const segments =
    mode === 'flatten'
      ? [src.repository.slice(src.repository.lastIndexOf('/') + 1)]
      : mode === 'keep-source-host'
        ? [src.registry.toLowerCase().replace(/[[\]]/g, '').replace(/:/g, '-'), src.repository]
        : [src.repository];
  const prefix = target.prefix === '' ? [] : target.prefix.split('/');
  const path = segments.filter((s) => s !== '').join('/').split('/');
  const repository = [...prefix, ...fitDepth(prefix, path, options, sourceName)].join('/');
  const out: ImageRef = { registry: target.host, repository };
  if (src.tag !== undefined) out.tag = src.tag;
  if (src.digest !== undefined) out.digest = src.digest;
  // Re-parse: the mapped name must itself be valid (e.g. a port turned into a path part).
  return parseImageRef(formatImageRef(out));
}
