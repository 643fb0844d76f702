import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { sha256Digest } from '../content/digest.js';
import { AirlockError, messageOf } from '../errors.js';
import { writeFileAtomic } from '../layout/atomic.js';
import type { Digest } from '../oci/digest.js';
import { DigestSchema } from '../oci/schemas.js';
import { formatImageRef, parseImageRef, repositoryName, type ImageRef } from '../ref/index.js';
import { mapReference, type MappingMode, type TargetRegistry } from './mapping.js';
import { depthLimit, PROFILE_NAMES, type ResolvedProfile } from './profiles.js';
import type { OpenedBundle } from './read.js';

export const PLAN_FORMAT = 'airlock.plan.v1';

const PlannedPushSchema = z.object({
  kind: z.enum(['image', 'chart']),
  /** The bundle's name for it: the normalized source reference. */
  source: z.string(),
  /** Where push writes it: `HOST/PATH:TAG` or `HOST/PATH@DIGEST`. */
  target: z.string(),
  /** `HOST/PATH` of the target, without tag or digest. */
  repository: z.string(),
  digest: DigestSchema,
  /** Bytes of everything the artifact needs (before what the registry already has). */
  size: z.number().int().nonnegative(),
});

/**
 * The one mapping push and values share: every artifact of one bundle with its
 * target, under one registry, profile and set of mapping flags. `push --dry-run
 * --plan FILE` writes it; `push --plan` and `values --plan` follow it, so an
 * overlay can only name what push wrote.
 */
export const PushPlanSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  /** The bundle it was made for: a plan for any other bundle is refused. */
  bundle: z.object({ name: z.string(), manifestDigest: DigestSchema }),
  registry: z.object({ host: z.string(), prefix: z.string() }),
  profile: z.object({ name: z.enum(PROFILE_NAMES), detectedBy: z.string(), evidence: z.string() }),
  mapping: z.object({
    mode: z.enum(['nested', 'flatten', 'keep-source-host']),
    maxDepth: z.number().int().positive().optional(),
    depthJoin: z.string().optional(),
  }),
  items: z.array(PlannedPushSchema),
  /** Every repository that will be written to, for registries that need them created first. */
  repositories: z.array(z.string()),
  /** Unique bytes in the bundle's artifacts. */
  bytes: z.number().int().nonnegative(),
});

export type PushPlan = z.infer<typeof PushPlanSchema>;
export type PlannedPush = PushPlan['items'][number];

export interface PlanOptions {
  registry: TargetRegistry;
  mapping?: MappingMode;
  /** The registry's profile (default: plain distribution, no limits). */
  profile?: ResolvedProfile;
  /** Overrides the profile's depth limit. */
  maxDepth?: number;
  /** Shorten over-deep names by joining trailing elements with this, instead of dropping leading ones. */
  depthJoin?: string;
}

const DISTRIBUTION: ResolvedProfile = { name: 'distribution', detectedBy: 'default', evidence: 'no profile named or detected' };

/** `sha256:` of airlock.json: what ties a plan to its bundle. */
export function manifestDigestOf(bundle: OpenedBundle): Digest {
  return sha256Digest(bundle.manifestBytes);
}

/** Maps every artifact and refuses, before anything is sent, two sources landing on one target. */
export function planPush(bundle: OpenedBundle, options: PlanOptions): PushPlan {
  const profile = options.profile ?? DISTRIBUTION;
  const mode = options.mapping ?? 'nested';
  const maxDepth = depthLimit(profile, options.registry.prefix, options.maxDepth);
  const depth = { ...(maxDepth !== undefined ? { maxDepth } : {}), ...(options.depthJoin !== undefined ? { join: options.depthJoin } : {}) };
  const items: PlannedPush[] = [];
  const byTarget = new Map<string, PlannedPush>();
  for (const a of bundle.manifest.artifacts) {
    const target = mapReference(a.name, options.registry, mode, depth);
    const item: PlannedPush = { kind: a.kind, source: a.name, target: formatImageRef(target), repository: repositoryName(target), digest: a.digest, size: a.size };
    const key = target.tag !== undefined ? `${repositoryName(target)}:${target.tag}` : `${repositoryName(target)}@${a.digest}`;
    const clash = byTarget.get(key);
    if (clash !== undefined && clash.digest !== a.digest) {
      throw new AirlockError('NAME_COLLISION', `${clash.source} and ${a.source} would both be pushed to ${key}`, {
        hint:
          maxDepth !== undefined
            ? `shortening names to ${maxDepth} path elements made them meet: try --depth-join - (or drop it), a shorter --registry prefix, or a larger --max-depth`
            : mode === 'flatten'
              ? 'two images share a last path element: drop --flatten or use a --registry prefix per bundle'
              : 'push them to different prefixes',
      });
    }
    byTarget.set(key, item);
    items.push(item);
  }
  const unique = new Map(bundle.manifest.files.map((f) => [f.path, f.size]));
  let bytes = 0;
  for (const [path, size] of unique) if (path.startsWith('blobs/')) bytes += size;
  return {
    format: PLAN_FORMAT,
    bundle: { name: bundle.reader.name, manifestDigest: manifestDigestOf(bundle) },
    registry: { ...options.registry },
    profile: { name: profile.name, detectedBy: profile.detectedBy, evidence: profile.evidence },
    mapping: { mode, ...(maxDepth !== undefined ? { maxDepth } : {}), ...(options.depthJoin !== undefined ? { depthJoin: options.depthJoin } : {}) },
    items,
    repositories: [...new Set(items.map((i) => i.repository))].sort(),
    bytes,
  };
}

/** Refuses a plan made for another bundle (or for another version of this one). */
export function checkPlan(plan: PushPlan, bundle: OpenedBundle, where: string): PushPlan {
  const actual = manifestDigestOf(bundle);
  if (plan.bundle.manifestDigest !== actual) {
    throw new AirlockError('PLAN_MISMATCH', `${where} was made for another bundle (${plan.bundle.name}, airlock.json ${plan.bundle.manifestDigest}), not ${bundle.reader.name} (airlock.json ${actual})`, {
      hint: `make a plan for this bundle: airlock push ${bundle.reader.name} --dry-run --plan FILE`,
    });
  }
  const planned = new Set(plan.items.map((i) => `${i.source}@${i.digest}`));
  const missing = bundle.manifest.artifacts.filter((a) => !planned.has(`${a.name}@${a.digest}`));
  if (missing.length > 0) throw new AirlockError('PLAN_MISMATCH', `${where} does not map ${missing.map((a) => a.name).join(', ')}`, { hint: 'make the plan again with airlock push --dry-run --plan FILE' });
  return plan;
}

/** The target reference of a planned item, as push writes it and values names it. */
export function plannedTarget(item: PlannedPush): ImageRef {
  return parseImageRef(item.target);
}

export async function readPlan(file: string): Promise<PushPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new AirlockError('IO', `cannot read the plan ${file}: ${messageOf(cause)}`, { cause, hint: 'write one with airlock push BUNDLE --dry-run --plan FILE' });
  }
  try {
    return PushPlanSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new AirlockError('PLAN_MISMATCH', `${file} is not an airlock push plan (${PLAN_FORMAT}): ${messageOf(cause).split('\n')[0]}`, {
      cause,
      hint: 'write one with airlock push BUNDLE --dry-run --plan FILE',
    });
  }
}

/** Writes the plan as JSON: temp file, then rename, so a reader never sees half of one. */
export async function writePlan(file: string, plan: PushPlan): Promise<void> {
  try {
    await writeFileAtomic(file, `${JSON.stringify(plan, null, 2)}\n`, 'plan');
  } catch (cause) {
    throw new AirlockError('IO', `cannot write the plan ${file}: ${messageOf(cause)}`, { cause, hint: 'check the folder exists and is writable' });
  }
}
