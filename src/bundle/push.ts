import type { Readable } from 'node:stream';
import type { DestinationTarget, PushContentOptions } from '../content/target.js';
import { limiter } from '../content/limit.js';
import { createCopier, type CopyEvent, type CopyStats } from '../copy/index.js';
import { AirlockError, isAirlockError } from '../errors.js';
import type { Descriptor } from '../oci/schemas.js';
import type { ImageRef } from '../ref/index.js';
import type { MappingMode, TargetRegistry } from './mapping.js';
import { checkOmittedInRegistry } from './delta.js';
import { receiptForPush, type Receipt } from './receipt.js';
import { checkPlan, planPush, plannedTarget, type PlannedPush, type PushPlan } from './plan.js';
import { preflight, PreflightError, type PreflightReport, type PreflightTarget, type ProjectApi, type TagCheck } from './preflight.js';
import { profileByName, resolveProfile, type ProfileProbe, type ResolvedProfile } from './profiles.js';
import { BundleSource, requireRandomAccess } from './read.js';
import type { SignaturePolicy, Signer } from './signers.js';
import { openVerifiedBundle, VerifiedBundle } from './verified.js';
import { checkListing } from './verify.js';
import { pushAttached, type PushedAttached } from './attached-push.js';
import { bundleImageSignatures, type ImageSignaturePolicy } from './image-signatures.js';

export { planPush, type PlannedPush, type PushPlan } from './plan.js';

/** What push needs of a registry repository: a copy target that can also be read back (and checked, see PreflightTarget). */
export interface PushTarget extends DestinationTarget, PreflightTarget {
  resolve(reference: string): Promise<Descriptor>;
}

export interface PushOptions {
  registry: TargetRegistry;
  mapping?: MappingMode;
  /** The registry's profile (depth limit, what must exist); default plain distribution. */
  profile?: ResolvedProfile;
  /** Overrides the profile's path depth limit. */
  maxDepth?: number;
  /** Shorten over-deep names by joining trailing elements with this (default: drop leading ones). */
  depthJoin?: string;
  /** Follow this plan instead of mapping again (checked against the bundle). */
  plan?: PushPlan;
  /** Tag states the preflight found: push trusts them instead of asking the registry again. */
  known?: readonly TagCheck[];
  /** Replace a tag that points at other content (default: refuse, naming both digests). */
  overwrite?: boolean;
  /** Parallel blob transfers per image (default 4) and images at once (default 4). */
  concurrency?: number;
  openRepository: (ref: Pick<ImageRef, 'registry' | 'repository'>) => PushTarget;
  onEvent?: (event: CopyEvent) => void;
  /** Called as each artifact is done (pushed or found there), for progress and interrupt messages. */
  onItem?: (item: PushedItem) => void;
  signal?: AbortSignal;
  /** A delta's left-out blobs were found in the registry already (push() checks before its preflight). */
  deltaChecked?: boolean;
}

export interface PushedItem extends PlannedPush {
  status: 'pushed' | 'skipped';
  blobsPushed: number;
  blobsMounted: number;
  blobsSkipped: number;
  bytesPushed: number;
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
  /** Plan and check only (`--dry-run`): the preflight runs, nothing is sent. */
  dryRun?: boolean;
  /** `--profile NAME`; detected from the host (and Harbor's systeminfo through `openHost`) when absent. */
  profileName?: string;
  /** Harbor's API for a host (RegistryPool.harbor): profile detection and the project check. */
  openHost?: (host: string) => ProfileProbe & ProjectApi;
  /** Create missing Harbor projects instead of stopping at them. */
  createProjects?: boolean;
  /** Called with the plan before anything is sent (progress displays need its byte count). */
  onPlan?: (plan: PushPlan) => void;
  /** Build a receipt of what the registry now holds (push --receipt); see receipt.ts. */
  receipt?: boolean;
  /** `--image-key`, `--require-image-signatures`: checked before the preflight, so a failure sends nothing. */
  imageSignatures?: ImageSignaturePolicy;
}

export interface PushResult {
  signers: Signer[];
  plan: PushPlan;
  preflight: PreflightReport;
  /** Empty for a dry run. */
  items: PushedItem[];
  /** With `receipt`: every repository, tag and digest read back or found present. */
  receipt?: Receipt;
  /** Signatures, attestations and SBOMs written beside the images (bundle/attached-push.ts). */
  attached: PushedAttached[];
}

/**
 * `airlock push`: checks the signature, plans the mapping (refusing collisions),
 * runs the preflight (tags, projects, push rights, bytes: every problem at once,
 * thrown as a PreflightError before a byte of content moves), then pushes every
 * artifact, read in place from the bundle.
 */
export async function push(input: string | readonly string[], request: PushRequest): Promise<PushResult> {
  const verified = await openVerifiedBundle(input, request.policy);
  try {
    const host = request.openHost?.(request.plan?.registry.host ?? request.registry.host);
    let plan: PushPlan;
    let profile: ResolvedProfile;
    if (request.plan !== undefined) {
      plan = checkPlan(request.plan, verified.bundle, 'the plan');
      profile = { ...profileByName(plan.profile.name), detectedBy: 'plan', evidence: `the plan (${plan.profile.evidence})` };
    } else {
      profile = request.profile ?? (await resolveProfile(request.registry.host, request.profileName, host));
      plan = planPush(verified.bundle, { ...request, profile });
    }
    request.onPlan?.(plan);
    if (request.imageSignatures !== undefined) {
      // A signature may name the image where it is going (mapped as push maps it), or where it came from.
      const mapped = (image: string) => plan.items.filter((i) => i.source === image).map((i) => i.repository);
      await bundleImageSignatures(verified.bundle, { ...request.imageSignatures, alsoNamed: mapped });
    }
    // Refused before the preflight's requests, not after: nothing about the registry can change this.
    if (!request.dryRun) requireRandomAccess(verified.bundle, 'push');
    // A delta: every blob it left out must be in the registry already, checked before the preflight opens anything.
    await checkOmittedInRegistry(verified.bundle, plan, request.openRepository);
    const report = await preflight(verified.bundle, plan, {
      openRepository: request.openRepository,
      profile,
      ...(host !== undefined ? { projects: host } : {}),
      ...(request.overwrite !== undefined ? { overwrite: request.overwrite } : {}),
      ...(request.createProjects !== undefined ? { createProjects: request.createProjects } : {}),
      ...(request.dryRun !== undefined ? { dryRun: request.dryRun } : {}),
      ...(request.concurrency !== undefined ? { concurrency: Math.max(8, request.concurrency) } : {}),
    });
    if (!report.ok) throw new PreflightError(report, plan);
    const items = request.dryRun ? [] : await pushBundle(verified, { ...request, plan, known: report.tags, deltaChecked: true });
    // After the images: a referrer's subject must be there before the referrer (registries may check).
    const attached = request.dryRun ? [] : await pushAttached(verified.bundle, plan, new BundleSource(verified.bundle), request);
    const receipt = request.receipt && !request.dryRun ? await receiptForPush(verified.bundle, plan, new Date().toISOString()) : undefined;
    return { signers: [...verified.signers], plan, preflight: report, items, attached, ...(receipt !== undefined ? { receipt } : {}) };
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
  requireRandomAccess(bundle, 'push');
  checkListing(bundle);
  const plan = options.plan !== undefined ? checkPlan(options.plan, bundle, 'the plan') : planPush(bundle, options);
  if (!options.deltaChecked) await checkOmittedInRegistry(bundle, plan, options.openRepository);
  const known = new Map((options.known ?? []).map((t) => [t.target, t]));
  const source = new BundleSource(bundle);
  const claims = new UploadClaims();
  const oneAtATime = limiter(Math.max(1, options.concurrency ?? 4));
  const controller = new AbortController();
  // Ctrl-C may come while the signature is checked, before this listener exists.
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });

  const pushOne = async (item: PlannedPush): Promise<PushedItem> => {
    const target = plannedTarget(item);
    const repo = options.openRepository(target);
    const tag = target.tag;
    if (tag !== undefined) {
      // The preflight asked already: its answer stands (a second push costs one GET per tag, not two).
      const seen = known.get(item.target);
      const existing =
        seen !== undefined
          ? seen.current
          : await repo.resolve(tag).then(
              (d) => d.digest,
              (err: unknown) => {
                if (isAirlockError(err, 'NOT_FOUND')) return undefined;
                throw err;
              },
            );
      if (existing === item.digest) {
        return { ...item, status: 'skipped', blobsPushed: 0, blobsMounted: 0, blobsSkipped: 0, bytesPushed: 0 };
      }
      if (existing !== undefined && !options.overwrite) {
        throw new AirlockError('TAG_CONFLICT', `${item.target} already points at ${existing}, but the bundle has ${item.digest}`, {
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
