import { Readable } from 'node:stream';
import { sha256Digest } from '../content/digest.js';
import type { DestinationTarget, SourceTarget } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from '../content/verify.js';
import { createCopier } from '../copy/index.js';
import { AirlockError } from '../errors.js';
import { digestHex } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import type { Attached } from './manifest.js';
import { resolveOrNone } from './attached.js';
import { plannedTarget, type PushPlan } from './plan.js';
import type { OpenedBundle } from './read.js';

/** What this needs of a target repository (RegistryRepository has it all; push's PushTarget is a subset). */
export interface AttachedTarget extends DestinationTarget {
  resolve(reference: string): Promise<Descriptor>;
  /** Reads the fallback index back before merging into it. */
  fetch?(desc: Descriptor): Promise<Readable>;
  supportsReferrers?(digest: string): Promise<boolean | undefined>;
}
type ReferrersTarget = AttachedTarget;
type PushTarget = AttachedTarget;

export interface AttachedPushOptions {
  openRepository: (ref: { registry: string; repository: string }) => AttachedTarget;
  overwrite?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
}

/** One attached artifact written to the target, for the push report. */
export interface PushedAttached {
  image: string;
  repository: string;
  kind: Attached['kind'];
  digest: string;
  subject: string;
  platform?: string;
  /** The cosign tag, or the fallback index tag a referrer was listed under. */
  tag?: string;
  /** `tag`, `referrers-api` (the target indexes it by its subject) or `fallback-index`. */
  via: 'tag' | 'referrers-api' | 'fallback-index';
}

/**
 * Writes every attached artifact of a bundle next to its image on the target, so
 * `cosign verify` and `cosign tree` work there unchanged: cosign tags under their
 * tags, byte for byte; referrers with their subject, indexed by the registry's
 * referrers API where it has one, else listed in the fallback index `sha256-<hex>`
 * (read, merged, written back: entries others put there stay).
 */
export async function pushAttached(bundle: OpenedBundle, plan: PushPlan, source: SourceTarget, options: AttachedPushOptions): Promise<PushedAttached[]> {
  const attached = bundle.manifest.attached ?? [];
  source = attachedSource(source, attached);
  const pushed: PushedAttached[] = [];
  const fallback = new Map<string, { repo: ReferrersTarget; repository: string; subject: string; entries: Attached[] }>();
  for (const a of attached) {
    const item = plan.items.find((i) => i.kind === 'image' && i.source === a.image);
    if (item === undefined) continue; // the plan carries every image of the bundle; a stray record has nowhere to go
    const target = plannedTarget(item);
    const repo = options.openRepository(target) as ReferrersTarget;
    const copier = createCopier(repo, { concurrency: options.concurrency ?? 4, ...(options.signal ? { signal: options.signal } : {}) });
    const base = { image: a.image, repository: item.repository, kind: a.kind, digest: a.digest, subject: a.subject, ...(a.platform !== undefined ? { platform: a.platform } : {}) };
    if (a.tag !== undefined) {
      const existing = await resolveOrNone(repo, a.tag);
      if (existing !== undefined && existing.digest !== a.digest && !options.overwrite) {
        throw new AirlockError('TAG_CONFLICT', `${item.repository}:${a.tag} already points at ${existing.digest}, but the bundle has ${a.digest}`, {
          hint: 'another signature set is there already; say --overwrite to replace it with the bundle\'s',
        });
      }
      if (existing?.digest !== a.digest) await copier.copy(source, a.digest, [a.tag]);
      pushed.push({ ...base, tag: a.tag, via: 'tag' });
      continue;
    }
    await copier.copy(source, a.digest);
    const key = `${item.repository} ${a.subject}`;
    const group = fallback.get(key) ?? { repo, repository: item.repository, subject: a.subject, entries: [] };
    group.entries.push(a);
    fallback.set(key, group);
  }
  for (const group of fallback.values()) {
    const api = group.repo.supportsReferrers !== undefined ? await group.repo.supportsReferrers(group.subject) : false;
    const tag = `sha256-${digestHex(group.subject)}`;
    if (api !== true) await mergeFallbackIndex(group.repo, tag, group.entries, `${group.repository}:${tag}`);
    for (const a of group.entries) {
      pushed.push({
        image: a.image,
        repository: group.repository,
        kind: a.kind,
        digest: a.digest,
        subject: a.subject,
        ...(a.platform !== undefined ? { platform: a.platform } : {}),
        ...(api === true ? { via: 'referrers-api' as const } : { tag, via: 'fallback-index' as const }),
      });
    }
  }
  return pushed;
}

/** The bundle read by the digests of its attached artifacts too (its own resolve knows only images and charts). */
function attachedSource(inner: SourceTarget, attached: readonly Attached[]): SourceTarget {
  return {
    name: inner.name,
    resolve: async (reference) => {
      const a = attached.find((x) => x.digest === reference);
      return a !== undefined ? ({ mediaType: a.mediaType, digest: a.digest, size: a.size } as Descriptor) : inner.resolve(reference);
    },
    fetch: (desc) => inner.fetch(desc),
  };
}

/** The fallback index entry of a referrer: its descriptor with artifactType and annotations, as the spec requires. */
function entryOf(a: Attached): Record<string, unknown> {
  return {
    mediaType: a.mediaType,
    digest: a.digest,
    size: a.size,
    ...(a.annotations !== undefined ? { annotations: a.annotations } : {}),
    ...(a.artifactType !== undefined ? { artifactType: a.artifactType } : {}),
  };
}

/**
 * Read, merge, write back. Existing entries are kept as they are (raw, in their
 * order); the bundle's are appended when missing. Two pushes racing on one
 * subject can still lose an entry: the tag schema has no compare-and-swap.
 */
async function mergeFallbackIndex(repo: PushTarget, tag: string, entries: readonly Attached[], what: string): Promise<void> {
  let existing: Record<string, unknown>[] = [];
  const current = await resolveOrNone(repo, tag);
  if (current !== undefined) {
    if (current.mediaType !== MediaType.OciIndex || current.size > MANIFEST_SIZE_LIMIT) {
      throw new AirlockError('TAG_CONFLICT', `${what} holds ${current.mediaType}, not a referrers index; it cannot be merged into`, {
        hint: 'the tag is used for something else on the target; remove it, or push under another prefix',
      });
    }
    if (repo.fetch === undefined) throw new AirlockError('INTERNAL', `${what} exists, and this target cannot read it back to merge into it`);
    const doc = JSON.parse((await readVerified(await repo.fetch(current), current, what)).toString('utf8')) as { manifests?: unknown };
    if (Array.isArray(doc.manifests)) existing = doc.manifests.filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null);
  }
  const have = new Set(existing.map((e) => e.digest));
  const added = entries.filter((a) => !have.has(a.digest)).map(entryOf);
  if (added.length === 0) return;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...existing, ...added] }));
  const desc = { mediaType: MediaType.OciIndex, digest: sha256Digest(bytes), size: bytes.length } as Descriptor;
  await repo.push(desc, Readable.from([bytes]));
  await repo.tag(desc, tag);
}
