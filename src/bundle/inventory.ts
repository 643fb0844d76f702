import type { SourceTarget } from '../content/target.js';
import { limiter } from '../content/limit.js';
import type { Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/schemas.js';
import type { ImageRef } from '../ref/index.js';
import { AirlockError, isAirlockError } from '../errors.js';
import { walkGraph } from './graph.js';
import type { TargetRegistry } from './mapping.js';
import { planPush, plannedTarget } from './plan.js';
import { BundleSource, openSignedBundle } from './read.js';
import { RECEIPT_FORMAT, sortRepositories, type Receipt } from './receipt.js';

/** What inventory reads of a registry repository. */
export interface InventoryTarget extends SourceTarget {
  exists(desc: Descriptor): Promise<boolean>;
  tags(): Promise<string[]>;
}

export interface InventoryRequest {
  registry: TargetRegistry;
  /** Repositories below the prefix whose every tag is listed (`_catalog` is often disabled). */
  repositories?: readonly string[];
  /** Bundles whose mapped content is looked for (HEAD per manifest and blob), as push would map them. */
  bundles?: readonly string[];
  openRepository: (ref: Pick<ImageRef, 'registry' | 'repository'>) => InventoryTarget;
  created: string;
}

/**
 * `airlock inventory`: the receipt of a registry filled by other means. Records only
 * what the registry answered for: tags it lists and the graphs below them, or a
 * bundle's mapped content where a HEAD found it.
 */
export async function inventory(request: InventoryRequest): Promise<Receipt> {
  const { host, prefix } = request.registry;
  if ((request.repositories ?? []).length === 0 && (request.bundles ?? []).length === 0) {
    throw new AirlockError('USAGE', 'inventory needs --repositories or --from-bundle', { hint: 'many registries disable _catalog: name what to list' });
  }
  const digests = new Set<string>();
  const repositories = new Map<string, Map<string, Digest>>();
  const few = limiter(8);
  for (const name of request.repositories ?? []) {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    const repo = request.openRepository({ registry: host, repository: path });
    const tags = new Map<string, Digest>();
    repositories.set(path, tags);
    const listed = await repo.tags().catch((err: unknown) => {
      if (isAirlockError(err, 'NOT_FOUND')) return [];
      throw err;
    });
    await Promise.all(
      listed.map((tag) =>
        few(async () => {
          const root = await repo.resolve(tag);
          tags.set(tag, root.digest);
          for (const d of (await walkGraph(repo, root, `${host}/${path}:${tag}`)).nodes.keys()) digests.add(d);
        }),
      ),
    );
  }
  for (const input of request.bundles ?? []) {
    // Unverified on purpose: the bundle only says what to look for; what is recorded is what the registry answered.
    const bundle = await openSignedBundle(input);
    try {
      const source = new BundleSource(bundle);
      const plan = planPush(bundle, { registry: request.registry });
      for (const item of plan.items) {
        const target = plannedTarget(item);
        const repo = request.openRepository(target);
        const graph = await walkGraph(source, await source.resolve(item.digest), item.source);
        const found = await Promise.all([...graph.nodes.values()].map((d) => few(async () => ((await repo.exists(d)) ? d.digest : undefined))));
        for (const d of found) if (d !== undefined) digests.add(d);
        const tags = repositories.get(target.repository) ?? new Map<string, Digest>();
        repositories.set(target.repository, tags);
        if (target.tag !== undefined && found.includes(item.digest)) {
          const current = await repo.resolve(target.tag).catch(() => undefined);
          if (current !== undefined) tags.set(target.tag, current.digest);
        }
      }
    } finally {
      await bundle.close();
    }
  }
  return {
    format: RECEIPT_FORMAT,
    kind: 'inventory',
    created: request.created,
    registry: `${host}${prefix !== '' ? `/${prefix}` : ''}`,
    repositories: sortRepositories(repositories),
    digests: [...digests].sort() as Digest[],
  };
}
