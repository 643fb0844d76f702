import type { SourceTarget } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from '../content/verify.js';
import { AirlockError } from '../errors.js';
import { MediaType, isManifestType } from '../oci/media-types.js';
import { parseManifest, successors } from '../oci/manifest.js';
import { formatPlatform } from '../oci/platform.js';
import type { Descriptor } from '../oci/schemas.js';

/** Configs we read for a single-platform image's os/arch; anything else is an artifact. */
const IMAGE_CONFIG_TYPES: readonly string[] = [MediaType.OciConfig, MediaType.DockerConfig];

export interface Graph {
  /** Every manifest and blob reachable from the root, the root included, by digest. */
  nodes: Map<string, Descriptor>;
  /** `os/arch[/variant]` of each image in it, sorted; empty for charts and other artifacts. */
  platforms: string[];
  /** Sum of the sizes of `nodes`. */
  size: number;
}

/**
 * Walks everything a root needs, reading only manifests (and image configs, for
 * their platform). Bytes are verified as they are read.
 */
export async function walkGraph(source: SourceTarget, root: Descriptor, where: string): Promise<Graph> {
  const nodes = new Map<string, Descriptor>();
  const platforms = new Set<string>();
  const visit = async (desc: Descriptor, parentPlatform: string | undefined): Promise<void> => {
    if (nodes.has(desc.digest)) return;
    nodes.set(desc.digest, desc);
    if (!isManifestType(desc.mediaType)) return;
    if (desc.size > MANIFEST_SIZE_LIMIT) {
      throw new AirlockError('SIZE_LIMIT', `manifest ${desc.digest} of ${where} is ${desc.size} bytes, over the ${MANIFEST_SIZE_LIMIT}-byte limit`);
    }
    const bytes = await readVerified(await source.fetch(desc), desc, `manifest ${desc.digest} of ${where}`);
    const parsed = parseManifest(bytes, desc.mediaType, `${where} (${desc.digest})`);
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) {
        await visit(child, child.platform ? formatPlatform(child.platform) : undefined);
      }
      return;
    }
    for (const child of successors(parsed)) await visit(child, undefined);
    const config = parsed.manifest.config;
    if (parentPlatform !== undefined) platforms.add(parentPlatform);
    else if (IMAGE_CONFIG_TYPES.includes(config.mediaType) && config.size <= MANIFEST_SIZE_LIMIT) {
      const doc = JSON.parse(
        (await readVerified(await source.fetch(config), config, `config ${config.digest} of ${where}`)).toString('utf8'),
      ) as { os?: unknown; architecture?: unknown; variant?: unknown };
      if (typeof doc.os === 'string' && typeof doc.architecture === 'string') {
        platforms.add(formatPlatform({ os: doc.os, architecture: doc.architecture, ...(typeof doc.variant === 'string' ? { variant: doc.variant } : {}) }));
      }
    }
  };
  await visit(root, undefined);
  let size = 0;
  for (const node of nodes.values()) size += node.size;
  return { nodes, platforms: [...platforms].sort(), size };
}
