import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SourceTarget } from '../content/target.js';
import { AirlockError, messageOf } from '../errors.js';
import type { ImageRef } from '../ref/index.js';
import { MirroredSource } from './mirror-source.js';
import { canonicalHost } from './credentials.js';
import { parseTomlLite, type TomlTable } from './toml-lite.js';

/**
 * Where images under `prefix` are pulled from: each mirror in order, then the
 * registry itself (`location`, which may rewrite the prefix too), as skopeo and
 * podman do with registries.conf.
 */
export interface MirrorRule {
  /** `HOST[/PATH]` the rule applies to, matched at a path boundary. */
  prefix: string;
  /** Where the registry itself is (default: the prefix). */
  location?: string;
  mirrors: { location: string; digestOnly?: boolean }[];
  /** Only digest references go to the mirrors (`mirror-by-digest-only`). */
  digestOnly?: boolean;
  blocked?: boolean;
  /** Where the rule came from, for messages. */
  origin: string;
}

/** `--mirror SOURCE_HOST=MIRROR_HOST[/PREFIX]`. */
export function parseMirrorFlag(value: string): MirrorRule {
  const eq = value.indexOf('=');
  const source = eq > 0 ? value.slice(0, eq).trim() : '';
  const mirror = eq > 0 ? value.slice(eq + 1).trim().replace(/\/+$/, '') : '';
  if (source === '' || mirror === '' || /^[a-z]+:\/\//i.test(mirror) || /^[a-z]+:\/\//i.test(source)) {
    throw new AirlockError('USAGE', `--mirror takes SOURCE_HOST=MIRROR_HOST[/PREFIX], got ${value}`, {
      hint: 'e.g. --mirror docker.io=harbor.corp.example/dockerhub-proxy (no https://)',
    });
  }
  return { prefix: canonicalHost(source) === 'docker.io' ? 'docker.io' : source, mirrors: [{ location: mirror }], origin: `--mirror ${value}` };
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new AirlockError('IO', `cannot read ${file}: ${messageOf(err)}`, { cause: err });
  }
}

/** The `*.conf` files of a drop-in folder, in name order; none when it is absent. */
async function dropIns(dir: string): Promise<string[] | undefined> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.conf')).sort().map((n) => join(dir, n));
  } catch {
    return undefined;
  }
}

/**
 * The registries.conf skopeo would read: `CONTAINERS_REGISTRIES_CONF` alone when
 * set; otherwise `$HOME/.config/containers/registries.conf` if it exists, else
 * `/etc/containers/registries.conf` (the user's file replaces the system one),
 * then the drop-ins of `registries.conf.d/` (the user's folder if it exists, else
 * the system's), in name order, a later file's rule replacing an earlier one's
 * for the same prefix.
 */
export async function readRegistriesConf(env: NodeJS.ProcessEnv = process.env, home: string = homedir(), system = '/etc/containers'): Promise<MirrorRule[]> {
  const user = join(home, '.config', 'containers');
  const only = env.CONTAINERS_REGISTRIES_CONF;
  const mains = only ? [only] : [join(user, 'registries.conf'), join(system, 'registries.conf')];
  let main: MirrorRule[] = [];
  for (const file of mains) {
    const text = await readIfThere(file);
    if (text === undefined) continue;
    main = mirrorRules(parseTomlLite(text, file), file);
    break;
  }
  if (only) return main;
  const files = (await dropIns(join(user, 'registries.conf.d'))) ?? (await dropIns(join(system, 'registries.conf.d'))) ?? [];
  const added: MirrorRule[][] = [];
  for (const file of files) {
    const text = await readIfThere(file);
    if (text !== undefined) added.push(mirrorRules(parseTomlLite(text, file), file));
  }
  // The first rule for a prefix wins (pullLocations): the last drop-in first, the main file last.
  return [...added.reverse().flat(), ...main];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The `[[registry]]` tables of a v2 registries.conf as rules (v1's `[registries.search]` lists carry no mirrors). */
export function mirrorRules(conf: TomlTable, file: string): MirrorRule[] {
  const tables = Array.isArray(conf.registry) ? (conf.registry as TomlTable[]) : [];
  return tables.flatMap((t): MirrorRule[] => {
    const location = str(t.location);
    const prefix = str(t.prefix) ?? location;
    // A wildcard prefix (`*.example.com`) names hosts, not images: not mapped here.
    if (prefix === undefined || prefix.startsWith('*')) return [];
    const mirrors = (Array.isArray(t.mirror) ? (t.mirror as TomlTable[]) : [])
      .map((m) => ({ location: str(m.location), digestOnly: m['pull-from-mirror'] === 'digest-only' }))
      .filter((m): m is { location: string; digestOnly: boolean } => m.location !== undefined && m.location.length > 0);
    return [{ prefix, ...(location !== undefined ? { location } : {}), mirrors, digestOnly: t['mirror-by-digest-only'] === true, blocked: t.blocked === true, origin: file }];
  });
}

/** The rule with the longest prefix that `name` (`HOST/PATH`) falls under. */
function ruleFor(name: string, rules: readonly MirrorRule[]): MirrorRule | undefined {
  let best: MirrorRule | undefined;
  for (const r of rules) {
    const p = r.prefix.replace(/\/+$/, '');
    if ((name === p || name.startsWith(`${p}/`)) && (best === undefined || p.length > best.prefix.replace(/\/+$/, '').length)) best = r;
  }
  return best;
}

/**
 * Where to pull `HOST/PATH` from, in order: `HOST/PATH` forms, mirrors first, the
 * registry last. Flags come before registries.conf: the first rule for a prefix wins.
 */
export function pullLocations(name: string, byDigest: boolean, rules: readonly MirrorRule[]): string[] {
  const seen = new Set<string>();
  const unique = rules.filter((r) => (seen.has(r.prefix) ? false : (seen.add(r.prefix), true)));
  const rule = ruleFor(name, unique);
  if (rule === undefined) return [name];
  if (rule.blocked) {
    throw new AirlockError('USAGE', `pulling ${name} is blocked by ${rule.origin} (prefix ${rule.prefix})`, { hint: 'use another source, or --no-registries-conf' });
  }
  const rest = name.slice(rule.prefix.replace(/\/+$/, '').length);
  const mirrors = rule.digestOnly && !byDigest ? [] : rule.mirrors.filter((m) => byDigest || !m.digestOnly).map((m) => `${m.location.replace(/\/+$/, '')}${rest}`);
  return [...mirrors, `${(rule.location ?? rule.prefix).replace(/\/+$/, '')}${rest}`];
}

/**
 * Wraps a repository opener so each image (and OCI chart) is read through the
 * mirrors its rule names, under its canonical name. Without a matching rule the
 * opener is used as it is.
 */
export function withMirrors(rules: readonly MirrorRule[], open: (ref: ImageRef) => SourceTarget): (ref: ImageRef) => SourceTarget {
  if (rules.length === 0) return open;
  return (ref) => {
    const name = `${ref.registry}/${ref.repository}`;
    const locations = pullLocations(name, ref.tag === undefined && ref.digest !== undefined, rules);
    if (locations.length === 1 && locations[0] === name) return open(ref);
    const targets = locations.map((l) => {
      const slash = l.indexOf('/');
      return open({ ...ref, registry: l.slice(0, slash), repository: l.slice(slash + 1) });
    });
    return new MirroredSource(name, targets);
  };
}
