import { digestHex } from '../content/digest.js';
import type { MappingMode } from '../bundle/mapping.js';
import { walkGraph } from '../bundle/graph.js';
import { planPush } from '../bundle/push.js';
import { BundleSource, type OpenedBundle } from '../bundle/read.js';
import { isManifestType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import { parseImageRef } from '../ref/index.js';

/** One repository as the server shows it: its tags and everything its images need. */
export interface Repository {
  name: string;
  /** Tag → root manifest. */
  tags: Map<string, Descriptor>;
  /** Every manifest and blob of the repository's image graphs, by digest. */
  content: Map<string, Descriptor>;
}

export interface Catalog {
  /** Sorted by name. */
  repositories: Map<string, Repository>;
  /** Where a blob's bytes are in the bundle, and their true size (from the signed manifest). */
  locate(digest: string): { path: string; size: number } | undefined;
}

export interface CatalogOptions {
  /** '' or a path without leading or trailing slash, as for push's --registry HOST/PREFIX. */
  prefix: string;
  mapping: MappingMode;
}

/** A host that names no registry: the server is the registry, so mapped names drop it. */
const HOST = 'localhost';

/**
 * The registry's view of a bundle: each artifact under the name push would give it
 * (planPush, so collisions are refused the same way), and under each repository
 * only the manifests and blobs of its own images, as a real registry scopes them.
 */
export async function buildCatalog(bundle: OpenedBundle, options: CatalogOptions): Promise<Catalog> {
  const plan = planPush(bundle, { registry: { host: HOST, prefix: options.prefix }, mapping: options.mapping });
  const source = new BundleSource(bundle);
  const graphs = new Map<string, Promise<Map<string, Descriptor>>>();
  const repositories = new Map<string, Repository>();
  for (const item of plan.items) {
    const target = parseImageRef(item.target);
    let graph = graphs.get(item.digest);
    if (graph === undefined) {
      graph = source.resolve(item.digest).then(async (root) => (await walkGraph(source, root, item.source)).nodes);
      graphs.set(item.digest, graph);
    }
    const nodes = await graph;
    const repo = repositories.get(target.repository) ?? { name: target.repository, tags: new Map(), content: new Map() };
    repositories.set(target.repository, repo);
    for (const [digest, desc] of nodes) repo.content.set(digest, desc);
    if (target.tag !== undefined) repo.tags.set(target.tag, nodes.get(item.digest)!);
  }
  const files = new Map(bundle.manifest.files.map((f) => [f.path, f.size]));
  const root = bundle.layout.root;
  return {
    repositories: new Map([...repositories].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    locate(digest) {
      const path = `blobs/sha256/${digestHex(digest)}`;
      const size = files.get(path);
      return size === undefined ? undefined : { path: `${root}${path}`, size };
    },
  };
}

/** Whether a repository's graph holds `digest` as a manifest (what the manifests endpoint serves by digest). */
export function manifestIn(repo: Repository, digest: string): Descriptor | undefined {
  const desc = repo.content.get(digest);
  return desc !== undefined && isManifestType(desc.mediaType) ? desc : undefined;
}
