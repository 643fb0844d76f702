import type { Readable } from 'node:stream';
import type { DestinationTarget, PushContentOptions } from '../content/target.js';
import { limiter } from '../content/limit.js';
import { createCopier, type CopyEvent, type CopyStats } from '../copy/index.js';
import { AirlockError, isAirlockError } from '../errors.js';
import type { Descriptor } from '../oci/schemas.js';
import { formatImageRef, repositoryName, type ImageRef } from '../ref/index.js';
import { mapReference, type MappingMode, type TargetRegistry } from './mapping.js';
import type { Artifact } from './manifest.js';
import { BundleSource, type OpenedBundle } from './read.js';
import type { SignaturePolicy, Signer } from './signers.js';
import { openVerifiedBundle, VerifiedBundle } from './verified.js';
import { checkListing } from './verify.js';

/** What push needs of a registry repository: a copy target that can also be read back. */
export interface PushTarget extends DestinationTarget {
  resolve(reference: string): Promise<Descriptor>;
}

export interface PushOptions {
  registry: TargetRegistry;
  mapping?: MappingMode;
  /** Replace a tag that points at other content (default: refuse, naming both digests). */
  overwrite?: boolean;
  /** Parallel blob transfers per image (default 4) and images at once (default 4). */
  concurrency?: number;
  openRepository: (ref: Pick<ImageRef, 'registry' | 'repository'>) => PushTarget;
  onEvent?: (event: CopyEvent) => void;
  /** Called as each artifact is done (pushed or found there), for progress and interrupt messages. */
  onItem?: (item: PushedItem) => void;
  signal?: AbortSignal;
}

export interface PlannedPush {
  kind: Artifact['kind'];
  source: string;
  target: string;
  /** `HOST/PATH` of the target, without tag or digest. */
  repository: string;
  digest: string;
  /** Bytes of everything the artifact needs (before what the registry already has). */
  size: number;
}

export interface PushPlan {
  items: PlannedPush[];
  /** Every repository that will be written to, for registries that need them created first. */
  repositories: string[];
  /** Unique bytes in the bundle's artifacts. */
  bytes: number;
}

export interface PushedItem extends PlannedPush {
  status: 'pushed' | 'skipped';
  blobsPushed: number;
  blobsMounted: number;
  blobsSkipped: number;
  bytesPushed: number;
}

/** Maps every artifact and refuses, before anything is sent, two sources landing on one target. */
export function planPush(bundle: OpenedBundle, options: Pick<PushOptions, 'registry' | 'mapping'>): PushPlan {
  const items: PlannedPush[] = [];
  const byTarget = new Map<string, PlannedPush>();
  for (const a of bundle.manifest.artifacts) {
    const target = mapReference(a.name, options.registry, options.mapping ?? 'nested');
    const item: PlannedPush = {
      kind: a.kind,
      source: a.name,
      target: formatImageRef(target),
      repository: repositoryName(target),
      digest: a.digest,
      size: a.size,
    };
    const key = target.tag !== undefined ? `${repositoryName(target)}:${target.tag}` : `${repositoryName(target)}@${a.digest}`;
    const clash = byTarget.get(key);
    if (clash !== undefined && clash.digest !== a.digest) {
      throw new AirlockError('USAGE', `${clash.source} and ${a.source} would both be pushed to ${key}`, {
        hint: options.mapping === 'flatten' ? 'two images share a last path element: drop --flatten or use a --registry prefix per bundle' : 'push them to different prefixes',
      });
    }
    byTarget.set(key, item);
    items.push(item);
  }
  const unique = new Map(bundle.manifest.files.map((f) => [f.path, f.size]));
  let bytes = 0;
  for (const [path, size] of unique) if (path.startsWith('blobs/')) bytes += size;
  return { items, repositories: [...new Set(items.map((i) => i.repository))].sort(), bytes };
}

interface Claim {
  promise: Promise<void>;
  settle: (ok: boolean) => void;
}

/**
 * Shared layers go up once per registry: the first image to need a blob uploads it;
 * another repository that needs it meanwhile waits for that upload and then mounts
 * it (cross-repository mount) instead of sending the bytes again.
 */
class UploadClaims {
  private readonly claims = new Map<string, Claim>();

  /**
   * Wraps a destination so its mount() waits on, or claims, the blob. `release`
   * fails every claim the wrapped copy still holds (it ended without uploading),
   * so a waiter uploads instead of waiting forever.
   */
  wrap(dest: PushTarget): { target: PushTarget; release: () => void } {
    const claims = this.claims;
    const owned = new Set<string>();
    const settle = (digest: string, ok: boolean) => {
      if (owned.delete(digest)) claims.get(digest)?.settle(ok);
    };
    const release = () => {
      for (const digest of [...owned]) settle(digest, false);
    };
    const target: PushTarget = {
      name: dest.name,
      ...(dest.reportsProgress !== undefined ? { reportsProgress: dest.reportsProgress } : {}),
      resolve: (r) => dest.resolve(r),
      exists: (d) => dest.exists(d),
      tag: (d, r) => dest.tag(d, r),
      mount: async (d) => {
        const pending = claims.get(d.digest);
        if (pending === undefined) {
          let settleFn: (ok: boolean) => void = () => undefined;
          const promise = new Promise<void>((resolve, reject) => {
            settleFn = (ok) => (ok ? resolve() : reject(new Error('upload failed')));
          });
          promise.catch(() => undefined);
          claims.set(d.digest, { promise, settle: settleFn });
          owned.add(d.digest);
          const mounted = dest.mount ? await dest.mount(d).catch((e: unknown) => (settle(d.digest, false), Promise.reject(e))) : false;
          if (mounted) settle(d.digest, true);
          return mounted;
        }
        const ok = await pending.promise.then(() => true, () => false);
        if (!ok) {
          // The first uploader failed: this copy takes the claim over and uploads itself.
          claims.delete(d.digest);
          return false;
        }
        return dest.mount ? dest.mount(d) : false;
      },
      push: async (d: Descriptor, content: Readable, opts?: PushContentOptions) => {
        try {
          await dest.push(d, content, opts);
          settle(d.digest, true);
        } catch (err) {
          settle(d.digest, false);
          throw err;
        }
      },
    };
    return { target, release };
  }
}

export interface PushRequest extends PushOptions {
  policy: SignaturePolicy;
  /** Plan only: resolve the mapping and send nothing. */
  dryRun?: boolean;
  /** Called with the plan before anything is sent (progress displays need its byte count). */
  onPlan?: (plan: PushPlan) => void;
}

export interface PushResult {
  signers: Signer[];
  plan: PushPlan;
  /** Empty for a dry run. */
  items: PushedItem[];
}

/**
 * `airlock push`: checks the signature, plans the mapping (refusing collisions),
 * then pushes every artifact, read in place from the bundle. Nothing is planned,
 * let alone sent, before the signature holds.
 */
export async function push(input: string | readonly string[], request: PushRequest): Promise<PushResult> {
  const verified = await openVerifiedBundle(input, request.policy);
  try {
    const plan = planPush(verified.bundle, request);
    request.onPlan?.(plan);
    const items = request.dryRun ? [] : await pushBundle(verified, request);
    return { signers: [...verified.signers], plan, items };
  } finally {
    await verified.close();
  }
}

/**
 * Pushes every artifact of a verified bundle into the registry, read in place from
 * the bundle. Existing identical tags are skipped; a tag pointing elsewhere is an
 * error unless `overwrite`. Each tag is read back afterwards and its digest compared.
 */
export async function pushBundle(verified: VerifiedBundle, options: PushOptions): Promise<PushedItem[]> {
  VerifiedBundle.assert(verified, 'push');
  const bundle = verified.bundle;
  if (!bundle.reader.randomAccess) {
    // gzip has no random access: every blob would mean decompressing from the start.
    throw new AirlockError('USAGE', `${bundle.reader.name} is gzip-compressed and cannot be read in place`, {
      hint: `decompress it first (gunzip -k ${bundle.reader.name}) and push the .tar, or airlock unpack it and push the folder`,
    });
  }
  checkListing(bundle);
  const plan = planPush(bundle, options);
  const source = new BundleSource(bundle);
  const claims = new UploadClaims();
  const oneAtATime = limiter(Math.max(1, options.concurrency ?? 4));
  const controller = new AbortController();
  // Ctrl-C may come while the signature is checked, before this listener exists.
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });

  const pushOne = async (item: PlannedPush): Promise<PushedItem> => {
    const target = mapReference(item.source, options.registry, options.mapping ?? 'nested');
    const repo = options.openRepository(target);
    const tag = target.tag;
    if (tag !== undefined) {
      const existing = await repo.resolve(tag).catch((err: unknown) => {
        if (isAirlockError(err, 'NOT_FOUND')) return undefined;
        throw err;
      });
      if (existing !== undefined && existing.digest === item.digest) {
        return { ...item, status: 'skipped', blobsPushed: 0, blobsMounted: 0, blobsSkipped: 0, bytesPushed: 0 };
      }
      if (existing !== undefined && !options.overwrite) {
        throw new AirlockError('TAG_CONFLICT', `${item.target} already points at ${existing.digest}, but the bundle has ${item.digest}`, {
          hint: 'tags should not move; push under another prefix, or say --overwrite if replacing it is intended (immutable-tag registries such as ECR refuse anyway)',
        });
      }
    }
    const wrapped = claims.wrap(repo);
    const copier = createCopier(wrapped.target, {
      concurrency: options.concurrency ?? 4,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      signal: controller.signal,
    });
    let stats: CopyStats;
    try {
      stats = (await copier.copy(source, item.digest, tag !== undefined ? [tag] : [])).stats;
    } finally {
      wrapped.release();
    }
    if (tag !== undefined) {
      const back = await repo.resolve(tag);
      if (back.digest !== item.digest) {
        throw new AirlockError('DIGEST_MISMATCH', `${item.target} reads back as ${back.digest} right after pushing ${item.digest}`, {
          hint: 'the registry (or a cache in front of it) serves a stale tag; check it before installing',
          retryable: true,
        });
      }
    }
    return {
      ...item,
      status: stats.blobsPushed + stats.manifestsPushed + stats.blobsMounted > 0 ? 'pushed' : 'skipped',
      blobsPushed: stats.blobsPushed,
      blobsMounted: stats.blobsMounted,
      blobsSkipped: stats.blobsSkipped,
      bytesPushed: stats.bytesPushed,
    };
  };

  const settled = await Promise.allSettled(
    plan.items.map((item) =>
      oneAtATime(async () => {
        try {
          const done = await pushOne(item);
          options.onItem?.(done);
          return done;
        } catch (err) {
          controller.abort();
          throw err;
        }
      }),
    ),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !isAirlockError(s.reason, 'INTERRUPTED'));
  const first = failed ?? settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (first) throw first.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<PushedItem>).value);
}
