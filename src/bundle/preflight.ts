import { limiter } from '../content/limit.js';
import { AirlockError } from '../errors.js';
import type { ImageRef } from '../ref/index.js';
import type { PushPlan } from './plan.js';
import {
  checkProjects,
  checkTags,
  checkWrites,
  estimateBytes,
  type CheckContext,
  type Estimate,
  type PreflightProblem,
  type PreflightTarget,
  type ProjectApi,
  type ProjectCheck,
  type RepositoryCheck,
  type TagCheck,
} from './preflight-checks.js';
import type { ResolvedProfile } from './profiles.js';
import type { OpenedBundle } from './read.js';

export type { PreflightProblem, PreflightTarget, ProjectApi, ProjectCheck, RepositoryCheck, TagCheck, TagState } from './preflight-checks.js';

export interface PreflightOptions {
  openRepository: (ref: Pick<ImageRef, 'registry' | 'repository'>) => PreflightTarget;
  profile: ResolvedProfile;
  /** Needed for the Harbor profile's project check. */
  projects?: ProjectApi;
  overwrite?: boolean;
  /** Create missing Harbor projects instead of reporting them. */
  createProjects?: boolean;
  /** Change nothing: projects --create-projects would make are reported as `to-create`. */
  dryRun?: boolean;
  /** Registry requests at once (default 8). */
  concurrency?: number;
}

export interface PreflightReport {
  ok: boolean;
  profile: ResolvedProfile;
  tags: TagCheck[];
  repositories: RepositoryCheck[];
  projects: ProjectCheck[];
  /** Whether the registry serves the OCI referrers API (undefined: nothing to write, or could not tell). */
  referrers?: boolean;
  /** Bytes still to send after a HEAD of every blob that will be written (an estimate: mounts may save more). */
  bytesToSend: number;
  blobsToSend: number;
  estimate: Estimate['kind'];
  problems: PreflightProblem[];
}

/** The push would fail: every problem the preflight found, listed at once. */
export class PreflightError extends AirlockError {
  constructor(
    readonly report: PreflightReport,
    /** The plan that was checked (ECR users still want its create-repository lines). */
    readonly plan: PushPlan,
  ) {
    const lines = report.problems.map((p) => `  ${p.code} ${p.tag !== undefined ? `${p.repository}:${p.tag}` : p.repository}: ${p.message}`);
    super('PREFLIGHT_FAILED', `preflight found ${report.problems.length} problem(s); nothing was sent:\n${lines.join('\n')}`, {
      hint: [...new Set(report.problems.map((p) => p.hint))].join('; '),
    });
  }
}

/**
 * Checks, before a byte of content moves, everything that would make the push of
 * `plan` fail: every tag (absent, same content, or a conflict), the Harbor projects,
 * push rights per repository that will be written, referrers support, and the bytes
 * still to send. Nothing here uploads: the write check opens an upload session and
 * cancels it. Repositories where every tag is already in place get no further
 * question, so a second push of the same bundle costs one GET per tag.
 */
export async function preflight(bundle: OpenedBundle, plan: PushPlan, options: PreflightOptions): Promise<PreflightReport> {
  const host = plan.registry.host;
  const ctx: CheckContext = {
    host,
    profile: options.profile,
    slot: limiter(Math.max(1, options.concurrency ?? 8)),
    repoOf: (repository) => options.openRepository({ registry: host, repository: repository.slice(host.length + 1) }),
    problems: [],
  };
  const mediaTypes = new Map(bundle.manifest.artifacts.map((a) => [a.digest as string, a.mediaType]));

  const tags = await checkTags(ctx, plan, mediaTypes, options.overwrite === true);
  const toWrite = tags.filter((t) => t.state !== 'same');
  const writeRepos = [...new Set(toWrite.map((t) => t.repository))].sort();

  const create = options.createProjects !== true ? 'no' : options.dryRun === true ? 'later' : 'yes';
  const projects = options.profile.needs === 'harbor-project' && options.projects !== undefined && writeRepos.length > 0 ? await checkProjects(ctx, options.projects, writeRepos, create) : [];
  const repositories = await checkWrites(ctx, plan, writeRepos, projects);

  // One question per push, in a repository that will receive something.
  const first = toWrite[0];
  const probe = first === undefined ? undefined : ctx.repoOf(first.repository);
  const referrers = first !== undefined && probe?.supportsReferrers !== undefined ? await probe.supportsReferrers(plan.items.find((i) => i.target === first.target)!.digest) : undefined;

  const estimate = await estimateBytes(ctx, bundle, plan, toWrite, mediaTypes);
  const order = (p: PreflightProblem) => `${p.repository}:${p.tag ?? ''}:${p.code}`;
  const problems = [...ctx.problems].sort((a, b) => order(a).localeCompare(order(b)));
  return {
    ok: problems.length === 0,
    profile: options.profile,
    tags,
    repositories,
    projects,
    ...(referrers !== undefined ? { referrers } : {}),
    bytesToSend: estimate.bytes,
    blobsToSend: estimate.blobs,
    estimate: estimate.kind,
    problems,
  };
}
