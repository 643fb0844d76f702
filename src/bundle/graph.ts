import type { SourceTarget } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from '../content/verify.js';
import { walk } from '../content/walk.js';
import { MediaType } from '../oci/media-types.js';
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

/** The os/arch an image's config names, or undefined for an artifact's config. */
async function configPlatform(source: SourceTarget, config: Descriptor, where: string): Promise<string | undefined> {
  if (!IMAGE_CONFIG_TYPES.includes(config.mediaType) || config.size > MANIFEST_SIZE_LIMIT) return undefined;
  const doc = JSON.parse((await readVerified(await source.fetch(config), config, `config ${config.digest} of ${where}`)).toString('utf8')) as {
    os?: unknown;
    architecture?: unknown;
    variant?: unknown;
  };
  if (typeof doc.os !== 'string' || typeof doc.architecture !== 'string') return undefined;
  return formatPlatform({ os: doc.os, architecture: doc.architecture, ...(typeof doc.variant === 'string' ? { variant: doc.variant } : {}) });
}

/**
 * Lists everything a root needs, reading only manifests (and image configs, for
 * their platform). Bytes are verified as they are read.
 */
export async function walkGraph(source: SourceTarget, root: Descriptor, where: string): Promise<Graph> {
  const nodes = new Map<string, Descriptor>();
  const platforms = new Set<string>();
  await walk<void>(
    source,
    root,
    {
      manifest: async (desc, visit) => {
        nodes.set(desc.digest, desc);
        const { parsed } = await visit.expand();
        if (parsed.kind !== 'manifest') return;
        // An index names its children's platforms; a lone image only its config does.
        const platform = desc.platform ? formatPlatform(desc.platform) : await configPlatform(source, parsed.manifest.config, where);
        if (platform !== undefined) platforms.add(platform);
      },
      blob: async (desc) => void nodes.set(desc.digest, desc),
    },
    { where },
  );
  let size = 0;
  for (const node of nodes.values()) size += node.size;
  return { nodes, platforms: [...platforms].sort(), size };
}
