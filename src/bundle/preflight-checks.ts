import { isAirlockError, type ErrorCode } from '../errors.js';
import { isManifestType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import { walkGraph } from './graph.js';
import { plannedTarget, type PlannedPush, type PushPlan } from './plan.js';
import type { ResolvedProfile } from './profiles.js';
import { BundleSource, type OpenedBundle } from './read.js';

/*
 * The preflight's checks, one function each. They run in this order (preflight.ts),
 * each asking the registry only about what the ones before found still to do, and
 * each adding what would fail to one list of problems instead of throwing.
 */

/** What the preflight needs of a target repository; the optional checks are skipped where a target lacks them. */
export interface PreflightTarget {
  readonly name: string;
  resolve(reference: string): Promise<Descriptor>;
  exists(desc: Descriptor): Promise<boolean>;
  /** Throws unless the login may push here, without writing anything (RegistryRepository: upload opened and cancelled). */
  checkWrite?(): Promise<void>;
  supportsReferrers?(digest: string): Promise<boolean | undefined>;
}

/** Harbor's project API (RegistryPool.harbor). */
export interface ProjectApi {
  hasProject(name: string): Promise<boolean>;
  createProject(name: string): Promise<void>;
}

/** absent: will be pushed; same: already there, skipped; conflict: the tag points at other content. */
export type TagState = 'absent' | 'same' | 'conflict';

export interface TagCheck {
  target: string;
  repository: string;
  tag?: string;
  state: TagState;
  /** What the tag points at now, when it exists. */
  current?: string;
}

export interface RepositoryCheck {
  repository: string;
  /** ok: the login may push; refused: see problems; skipped: nothing will be written; unknown: the target cannot tell. */
  write: 'ok' | 'refused' | 'skipped' | 'unknown';
}

export interface ProjectCheck {
  project: string;
  /** to-create: missing, and --create-projects will make it (a dry run changes nothing). */
  state: 'exists' | 'created' | 'to-create' | 'missing';
}

/** One thing that would make the push fail, named by repository (and tag), with what to do. */
export interface PreflightProblem {
  code: ErrorCode;
  repository: string;
  tag?: string;
  message: string;
  hint: string;
}

/** What every check shares: the host, the request limiter, the repositories, the list of problems. */
export interface CheckContext {
  host: string;
  profile: ResolvedProfile;
  slot: <T>(task: () => Promise<T>) => Promise<T>;
  repoOf: (repository: string) => PreflightTarget;
  problems: PreflightProblem[];
}

/**
 * Answers that are one repository's problem, listed with the others. A refused login
 * (UNAUTHORIZED) is not among them: it is the same for every repository, and stops
 * the preflight at once with its own exit code.
 */
const ACCESS_CODES: readonly ErrorCode[] = ['DENIED', 'NOT_FOUND', 'TAG_CONFLICT'];

function pathOf(repository: string, host: string): string {
  return repository.slice(host.length + 1);
}

/** The first path element below the host: Harbor's project. */
function projectOf(repository: string, host: string): string {
  return pathOf(repository, host).split('/')[0]!;
}

/** Every target tag: absent, the same digest (push skips it), or other content (a conflict unless `overwrite`). */
export async function checkTags(ctx: CheckContext, plan: PushPlan, mediaTypes: ReadonlyMap<string, string>, overwrite: boolean): Promise<TagCheck[]> {
  return Promise.all(plan.items.map((item) => ctx.slot(() => checkTag(ctx, item, mediaTypes.get(item.digest) ?? '', overwrite))));
}

async function checkTag(ctx: CheckContext, item: PlannedPush, mediaType: string, overwrite: boolean): Promise<TagCheck> {
  const target = plannedTarget(item);
  const repo = ctx.repoOf(item.repository);
  const base = { target: item.target, repository: item.repository, ...(target.tag !== undefined ? { tag: target.tag } : {}) };
  try {
    if (target.tag === undefined) return { ...base, state: (await repo.exists({ mediaType, digest: item.digest, size: item.size })) ? 'same' : 'absent' };
    const existing = await repo.resolve(target.tag);
    if (existing.digest === item.digest) return { ...base, state: 'same', current: existing.digest };
    if (!overwrite) ctx.problems.push(conflict(item, target.tag, existing.digest, ctx.profile));
    return { ...base, state: 'conflict', current: existing.digest };
  } catch (err) {
    if (isAirlockError(err, 'NOT_FOUND')) return { ...base, state: 'absent' };
    if (!isAirlockError(err) || !ACCESS_CODES.includes(err.code)) throw err;
    ctx.problems.push({ code: err.code, repository: item.repository, message: `cannot read it: ${err.message}`, hint: err.hint ?? 'check the login for this registry' });
    return { ...base, state: 'absent' };
  }
}

function conflict(item: PlannedPush, tag: string, current: string, profile: ResolvedProfile): PreflightProblem {
  const immutable = profile.immutableTags === true;
  return {
    code: 'TAG_CONFLICT',
    repository: item.repository,
    tag,
    message: `already points at ${current}, but the bundle has ${item.digest}${immutable ? ` (on ${profile.name.toUpperCase()} this is an immutable-tag refusal: a repository with IMMUTABLE tag mutability never moves a tag)` : ''}`,
    hint: immutable
      ? 'push under another --registry prefix; --overwrite helps only where the repository\'s tags are MUTABLE'
      : 'tags should not move; push under another prefix, or say --overwrite if replacing it is intended',
  };
}

/** Harbor: every project the written repositories need exists, or is made (`create`) when the login may. */
export async function checkProjects(ctx: CheckContext, api: ProjectApi, writeRepos: readonly string[], create: 'no' | 'yes' | 'later'): Promise<ProjectCheck[]> {
  const names = [...new Set(writeRepos.map((r) => projectOf(r, ctx.host)))].sort();
  return Promise.all(names.map((name) => ctx.slot(() => checkProject(ctx, api, name, writeRepos.filter((r) => projectOf(r, ctx.host) === name), create))));
}

async function checkProject(ctx: CheckContext, api: ProjectApi, name: string, using: readonly string[], create: 'no' | 'yes' | 'later'): Promise<ProjectCheck> {
  if (await api.hasProject(name)) return { project: name, state: 'exists' };
  const repository = `${ctx.host}/${name}`;
  if (create === 'later') return { project: name, state: 'to-create' };
  if (create === 'yes') {
    try {
      await api.createProject(name);
      return { project: name, state: 'created' };
    } catch (err) {
      if (!isAirlockError(err) || ![...ACCESS_CODES, 'UNAUTHORIZED'].includes(err.code)) throw err;
      ctx.problems.push({
        code: 'PROJECT_MISSING',
        repository,
        message: `Harbor project ${name} does not exist and could not be created: ${err.message}`,
        hint: `ask a Harbor admin to create project ${name}, or log in with an account that may create projects`,
      });
      return { project: name, state: 'missing' };
    }
  }
  ctx.problems.push({
    code: 'PROJECT_MISSING',
    repository,
    message: `Harbor project ${name} does not exist (needed by ${using.length} repositor${using.length === 1 ? 'y' : 'ies'}: ${using.map((r) => pathOf(r, ctx.host)).join(', ')})`,
    hint: `create project ${name} in Harbor, or say --create-projects to have airlock create it (the login must be allowed to)`,
  });
  return { project: name, state: 'missing' };
}

/** Push rights on each repository that will receive something (in a project that exists); the others are skipped. */
export async function checkWrites(ctx: CheckContext, plan: PushPlan, writeRepos: readonly string[], projects: readonly ProjectCheck[]): Promise<RepositoryCheck[]> {
  const state = new Map(projects.map((p) => [p.project, p.state]));
  return Promise.all(
    plan.repositories.map((repository) =>
      ctx.slot(async (): Promise<RepositoryCheck> => {
        if (!writeRepos.includes(repository)) return { repository, write: 'skipped' };
        const project = state.get(projectOf(repository, ctx.host));
        if (project === 'missing') return { repository, write: 'refused' };
        // Harbor refuses an upload into a project that does not exist yet: nothing to learn before it is made.
        if (project === 'to-create') return { repository, write: 'unknown' };
        const repo = ctx.repoOf(repository);
        if (repo.checkWrite === undefined) return { repository, write: 'unknown' };
        try {
          await repo.checkWrite();
          return { repository, write: 'ok' };
        } catch (err) {
          if (!isAirlockError(err) || !ACCESS_CODES.includes(err.code)) throw err;
          const missing = err.code === 'NOT_FOUND';
          ctx.problems.push({
            code: err.code,
            repository,
            message: missing ? `the repository (or its namespace) does not exist and the registry does not create it on push: ${err.message}` : `not writable: ${err.message}`,
            hint: err.hint ?? `ask for push rights on ${pathOf(repository, ctx.host)}`,
          });
          return { repository, write: 'refused' };
        }
      }),
    ),
  );
}

export interface Estimate {
  bytes: number;
  blobs: number;
  /** head-checked: after a HEAD per blob; upper-bound: the artifacts' whole size (a gzip bundle, where reading every manifest would mean decompressing again and again). */
  kind: 'head-checked' | 'upper-bound';
}

/** Walks what will be written (manifests only are read) and HEADs each blob once, in the first repository that needs it. */
export async function estimateBytes(ctx: CheckContext, bundle: OpenedBundle, plan: PushPlan, toWrite: readonly TagCheck[], mediaTypes: ReadonlyMap<string, string>): Promise<Estimate> {
  if (toWrite.length === 0) return { bytes: 0, blobs: 0, kind: 'head-checked' };
  if (!bundle.reader.randomAccess) {
    const items = toWrite.map((check) => plan.items.find((i) => i.target === check.target)!);
    return { bytes: items.reduce((n, i) => n + i.size, 0), blobs: 0, kind: 'upper-bound' };
  }
  const source = new BundleSource(bundle);
  const blobs = new Map<string, { desc: Descriptor; repository: string }>();
  let manifestBytes = 0;
  for (const check of toWrite) {
    const item = plan.items.find((i) => i.target === check.target)!;
    const root: Descriptor = { mediaType: mediaTypes.get(item.digest) ?? '', digest: item.digest, size: (await source.resolve(item.digest)).size };
    const graph = await walkGraph(source, root, item.source);
    for (const desc of graph.nodes.values()) {
      if (isManifestType(desc.mediaType)) manifestBytes += desc.size;
      else if (!blobs.has(desc.digest)) blobs.set(desc.digest, { desc, repository: check.repository });
    }
  }
  const headed = async (desc: Descriptor, repository: string): Promise<number> => {
    try {
      return (await ctx.repoOf(repository).exists(desc)) ? 0 : desc.size;
    } catch (err) {
      // A repository the login may not read is already a problem above; count its bytes as to send.
      if (isAirlockError(err) && ACCESS_CODES.includes(err.code)) return desc.size;
      throw err;
    }
  };
  const missing = await Promise.all([...blobs.values()].map(({ desc, repository }) => ctx.slot(() => headed(desc, repository))));
  const sent = missing.filter((n) => n > 0);
  return { bytes: manifestBytes + sent.reduce((a, b) => a + b, 0), blobs: sent.length, kind: 'head-checked' };
}
