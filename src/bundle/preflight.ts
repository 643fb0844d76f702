import { limiter } from '../content/limit.js';
import { AirlockError, isAirlockError, type ErrorCode } from '../errors.js';
import { isManifestType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import type { ImageRef } from '../ref/index.js';
import { walkGraph } from './graph.js';
import { plannedTarget, type PlannedPush, type PushPlan } from './plan.js';
import type { ResolvedProfile } from './profiles.js';
import { BundleSource, type OpenedBundle } from './read.js';

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

export interface PreflightOptions {
  openRepository: (ref: Pick<ImageRef, 'registry' | 'repository'>) => PreflightTarget;
  profile: ResolvedProfile;
  /** Needed for the Harbor profile's project check. */
  projects?: ProjectApi;
  overwrite?: boolean;
  /** Create missing Harbor projects instead of reporting them. */
  createProjects?: boolean;
  /** Registry requests at once (default 8). */
  concurrency?: number;
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
  state: 'exists' | 'created' | 'missing';
}

/** One thing that would make the push fail, named by repository (and tag), with what to do. */
export interface PreflightProblem {
  code: ErrorCode;
  repository: string;
  tag?: string;
  message: string;
  hint: string;
}

export interface PreflightReport {
  ok: boolean;
  profile: ResolvedProfile;
  tags: TagCheck[];
  repositories: RepositoryCheck[];
  projects: ProjectCheck[];
  /** Whether the registry serves the OCI referrers API (undefined: not asked, nothing to write, or could not tell). */
  referrers?: boolean;
  /** Bytes still to send after HEAD checks of every blob that will be written (an estimate: mounts may save more). */
  bytesToSend: number;
  blobsToSend: number;
  /** head-checked: as above; upper-bound: the artifacts' whole size (a gzip bundle, where reading every manifest would mean decompressing again and again). */
  estimate: 'head-checked' | 'upper-bound';
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
 * Answers that are one repository's problem, listed with the others. A refused login
 * (UNAUTHORIZED) is not among them: it is the same for every repository, and stops
 * the preflight at once with its own exit code.
 */
const ACCESS_CODES: readonly ErrorCode[] = ['DENIED', 'NOT_FOUND', 'TAG_CONFLICT'];

function pathOf(repository: string, host: string): string {
  return repository.slice(host.length + 1);
}

/**
 * Checks, before a byte of content moves, everything that would make the push of
 * `plan` fail: every tag (absent, same content, or a conflict), the Harbor projects,
 * push rights per repository that will be written, and the bytes still to send.
 * Nothing here uploads: the write check opens an upload session and cancels it.
 * Repositories where every tag is already in place are not write-checked, so a
 * second push of the same bundle costs one GET per tag.
 */
export async function preflight(bundle: OpenedBundle, plan: PushPlan, options: PreflightOptions): Promise<PreflightReport> {
  const host = plan.registry.host;
  const slot = limiter(Math.max(1, options.concurrency ?? 8));
  const problems: PreflightProblem[] = [];
  const artifacts = new Map(bundle.manifest.artifacts.map((a) => [`${a.name}@${a.digest}`, a]));
  const repoOf = (repository: string) => options.openRepository({ registry: host, repository: pathOf(repository, host) });

  const tags = await Promise.all(plan.items.map((item) => slot(() => checkTag(item))));
  async function checkTag(item: PlannedPush): Promise<TagCheck> {
    const target = plannedTarget(item);
    const repo = repoOf(item.repository);
    const base = { target: item.target, repository: item.repository };
    try {
      if (target.tag === undefined) {
        const artifact = artifacts.get(`${item.source}@${item.digest}`);
        const there = await repo.exists({ mediaType: artifact?.mediaType ?? '', digest: item.digest, size: item.size });
        return { ...base, state: there ? 'same' : 'absent' };
      }
      const existing = await repo.resolve(target.tag);
      if (existing.digest === item.digest) return { ...base, tag: target.tag, state: 'same', current: existing.digest };
      if (!options.overwrite) problems.push(conflict(item, target.tag, existing.digest, options.profile));
      return { ...base, tag: target.tag, state: 'conflict', current: existing.digest };
    } catch (err) {
      if (isAirlockError(err, 'NOT_FOUND')) return { ...base, ...(target.tag !== undefined ? { tag: target.tag } : {}), state: 'absent' };
      if (isAirlockError(err) && ACCESS_CODES.includes(err.code)) {
        problems.push({ code: err.code, repository: item.repository, message: `cannot read it: ${err.message}`, hint: err.hint ?? 'check the login for this registry' });
        return { ...base, state: 'absent' };
      }
      throw err;
    }
  }

  // Only repositories that will receive something need projects, rights and bytes.
  const toWrite = tags.filter((t) => t.state !== 'same');
  const writeRepos = [...new Set(toWrite.map((t) => t.repository))].sort();

  const projects: ProjectCheck[] = [];
  const missingProjects = new Set<string>();
  if (options.profile.needs === 'harbor-project' && options.projects !== undefined && writeRepos.length > 0) {
    const api = options.projects;
    const names = [...new Set(writeRepos.map((r) => pathOf(r, host).split('/')[0]!))].sort();
    projects.push(...(await Promise.all(names.map((name) => slot(() => checkProject(api, name))))));
    for (const p of projects) if (p.state === 'missing') missingProjects.add(p.project);
  }
  async function checkProject(api: ProjectApi, name: string): Promise<ProjectCheck> {
    if (await api.hasProject(name)) return { project: name, state: 'exists' };
    const using = writeRepos.filter((r) => pathOf(r, host).split('/')[0] === name);
    if (options.createProjects) {
      try {
        await api.createProject(name);
        return { project: name, state: 'created' };
      } catch (err) {
        if (!isAirlockError(err) || ![...ACCESS_CODES, 'UNAUTHORIZED'].includes(err.code)) throw err;
        problems.push({ code: 'PROJECT_MISSING', repository: `${host}/${name}`, message: `Harbor project ${name} does not exist and could not be created: ${err.message}`, hint: `ask a Harbor admin to create project ${name}, or log in with an account that may create projects` });
        return { project: name, state: 'missing' };
      }
    }
    problems.push({
      code: 'PROJECT_MISSING',
      repository: `${host}/${name}`,
      message: `Harbor project ${name} does not exist (needed by ${using.length} repositor${using.length === 1 ? 'y' : 'ies'}: ${using.map((r) => pathOf(r, host)).join(', ')})`,
      hint: `create project ${name} in Harbor, or say --create-projects to have airlock create it (the login must be allowed to)`,
    });
    return { project: name, state: 'missing' };
  }

  const repositories: RepositoryCheck[] = await Promise.all(
    plan.repositories.map((repository) =>
      slot(async (): Promise<RepositoryCheck> => {
        if (!writeRepos.includes(repository)) return { repository, write: 'skipped' };
        if (missingProjects.has(pathOf(repository, host).split('/')[0]!)) return { repository, write: 'refused' };
        const repo = repoOf(repository);
        if (repo.checkWrite === undefined) return { repository, write: 'unknown' };
        try {
          await repo.checkWrite();
          return { repository, write: 'ok' };
        } catch (err) {
          if (!isAirlockError(err) || !ACCESS_CODES.includes(err.code)) throw err;
          const missing = err.code === 'NOT_FOUND';
          problems.push({
            code: err.code,
            repository,
            message: missing ? `the repository (or its namespace) does not exist and the registry does not create it on push: ${err.message}` : `not writable: ${err.message}`,
            hint: err.hint ?? `ask for push rights on ${pathOf(repository, host)}`,
          });
          return { repository, write: 'refused' };
        }
      }),
    ),
  );

  let referrers: boolean | undefined;
  const first = toWrite[0];
  const probe = first === undefined ? undefined : repoOf(first.repository);
  if (first !== undefined && probe?.supportsReferrers !== undefined) {
    const item = plan.items.find((i) => i.target === first.target)!;
    referrers = await probe.supportsReferrers(item.digest);
  }

  const estimate = await estimateBytes(bundle, plan, toWrite, repoOf, slot, artifacts);
  const order = (p: PreflightProblem) => `${p.repository}:${p.tag ?? ''}:${p.code}`;
  problems.sort((a, b) => order(a).localeCompare(order(b)));
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

/** Walks what will be written (manifests only are read) and HEADs each blob once, in the first repository that needs it. */
async function estimateBytes(
  bundle: OpenedBundle,
  plan: PushPlan,
  toWrite: readonly TagCheck[],
  repoOf: (repository: string) => PreflightTarget,
  slot: <T>(task: () => Promise<T>) => Promise<T>,
  artifacts: Map<string, { mediaType: string }>,
): Promise<{ bytes: number; blobs: number; kind: PreflightReport['estimate'] }> {
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
    const root: Descriptor = { mediaType: artifacts.get(`${item.source}@${item.digest}`)?.mediaType ?? '', digest: item.digest, size: (await source.resolve(item.digest)).size };
    const graph = await walkGraph(source, root, item.source);
    for (const desc of graph.nodes.values()) {
      if (isManifestType(desc.mediaType)) manifestBytes += desc.size;
      else if (!blobs.has(desc.digest)) blobs.set(desc.digest, { desc, repository: check.repository });
    }
  }
  const headed = async (desc: Descriptor, repository: string): Promise<number> => {
    try {
      return (await repoOf(repository).exists(desc)) ? 0 : desc.size;
    } catch (err) {
      // A repository the login may not read is already a problem above; count its bytes as to send.
      if (isAirlockError(err) && ACCESS_CODES.includes(err.code)) return desc.size;
      throw err;
    }
  };
  const missing = await Promise.all([...blobs.values()].map(({ desc, repository }) => slot(() => headed(desc, repository))));
  const sent = missing.filter((n) => n > 0);
  return { bytes: manifestBytes + sent.reduce((a, b) => a + b, 0), blobs: sent.length, kind: 'head-checked' };
}
