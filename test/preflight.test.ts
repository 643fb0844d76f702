import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { mapReference, parseTargetRegistry } from '../src/bundle/mapping.js';
import { readPlan } from '../src/bundle/plan.js';
import { PreflightError, type PreflightTarget } from '../src/bundle/preflight.js';
import { depthLimit, profileByName, resolveProfile } from '../src/bundle/profiles.js';
import { formatImageRef } from '../src/ref/index.js';
import { push, type PushRequest } from '../src/bundle/push.js';
import { ExitCode } from '../src/cli/exit.js';
import { AirlockError } from '../src/errors.js';
import { RegistryPool, type RegistryOptions } from '../src/registry/index.js';
import { loadPublicKey, type PublicKey } from '../src/sign/index.js';
import { startFakeHarbor, type FakeHarbor } from './harness/fake-harbor.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { startTokenServer, type TokenServer } from './harness/token-server.js';
import { makeBlob, makeImage } from './helpers/images.js';
import { makeChartTgz, seedWithSkopeo } from './helpers/seed.js';

const bin = new URL('../bin/airlock', import.meta.url).pathname;
const source = inject('registry');
const ns = `pf${process.pid}`;
let dir: string;
let vendor: PublicKey;
const pools: RegistryPool[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function airlock(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every file and folder below a registry's storage, to prove that nothing was written. */
async function listing(reg: RunningRegistry): Promise<string[]> {
  const root = join(reg.dir, 'storage');
  const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return entries.map((e) => relative(root, join(root, e))).sort();
}

function pool(options: RegistryOptions = {}): RegistryPool {
  const p = new RegistryPool({ retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20 }, ...options });
  pools.push(p);
  return p;
}

function request(registry: string, p: RegistryPool, extra: Partial<PushRequest> = {}): PushRequest {
  return {
    policy: { keys: [vendor] },
    registry: parseTargetRegistry(registry),
    openRepository: (ref) => p.repository(ref),
    openHost: (host) => p.harbor(host),
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<AirlockError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AirlockError);
  return err as AirlockError;
}

const deep = makeImage({ layers: [makeBlob('pf-deep', 20_000)], label: 'pf-deep' });
const other = makeImage({ layers: [makeBlob('pf-other', 20_000)], label: 'pf-other' });
const abc = makeImage({ layers: [makeBlob('pf-abc', 10_000)], label: 'pf-abc' });
const abDashC = makeImage({ layers: [makeBlob('pf-ab-c', 10_000)], label: 'pf-ab-c' });
let main: string;
let collide: string;
let lone: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-preflight-'));
  await seedWithSkopeo(source, [
    { built: deep, repo: `${ns}/deep/team/app`, tag: '1' },
    { built: other, repo: `${ns}/other`, tag: '1' },
    { built: abc, repo: `${ns}/a/b/c`, tag: '1' },
    { built: abDashC, repo: `${ns}/a/b-c`, tag: '1' },
  ]);
  expect((await airlock('keygen', '--out', join(dir, 'vendor'))).code).toBe(0);
  vendor = await loadPublicKey(join(dir, 'vendor.pub'));
  const chart = await makeChartTgz(dir, 'pfchart', '0.1.0', {
    'values.yaml': `deep:\n  image:\n    repository: ${source}/${ns}/deep/team/app\n    tag: "1"\nother:\n  image: ${source}/${ns}/other:1\n`,
    // values reads the images the chart renders: one pod each.
    'templates/pods.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\nspec:\n  containers:\n    - name: deep\n      image: "{{ .Values.deep.image.repository }}:{{ .Values.deep.image.tag }}"\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: other\nspec:\n  containers:\n    - name: other\n      image: {{ .Values.other.image }}\n',
  });
  const pack = async (out: string, ...args: string[]) => {
    const r = await airlock('pack', ...args, '--key', join(dir, 'vendor.key'), '-o', join(dir, out));
    expect(r.code, r.stderr).toBe(0);
    return join(dir, out);
  };
  main = await pack('main.tar', '--image', `${source}/${ns}/deep/team/app:1`, '--image', `${source}/${ns}/other:1`, '--chart', chart);
  collide = await pack('collide.tar', '--image', `${source}/${ns}/a/b/c:1`, '--image', `${source}/${ns}/a/b-c:1`);
  lone = await pack('lone.tar', '--image', `${source}/${ns}/other:1`);
}, 60_000);

afterAll(async () => {
  for (const p of pools) p.close();
  await rm(dir, { recursive: true, force: true });
});

describe('shortening names to a path depth, and registry profiles', () => {
  const map = (src: string, registry: string, maxDepth: number, join?: string) =>
    formatImageRef(mapReference(src, parseTargetRegistry(registry), 'nested', { maxDepth, ...(join !== undefined ? { join } : {}) }));
  it.each([
    ['ghcr.io/org/team/app:1', 'r.example', 2, undefined, 'r.example/team/app:1'],
    ['ghcr.io/org/team/app:1', 'r.example', 2, '-', 'r.example/org/team-app:1'],
    ['ghcr.io/org/team/app:1', 'r.example/vendor', 2, undefined, 'r.example/vendor/app:1'],
    ['ghcr.io/org/team/app:1', 'r.example/vendor', 2, '_', 'r.example/vendor/org_team_app:1'],
    ['ghcr.io/org/app:1', 'r.example/vendor', 3, '-', 'r.example/vendor/org/app:1'],
  ] as const)('%s under %s, depth %i, join %s -> %s', (src, registry, depth, join, out) => {
    expect(map(src, registry, depth, join)).toBe(out);
  });
  it('keeps mapReference as it was without options, and refuses a prefix that leaves no room', () => {
    expect(formatImageRef(mapReference('ghcr.io/org/team/app:1', parseTargetRegistry('r.example/v'), 'nested'))).toBe('r.example/v/org/team/app:1');
    expect(() => map('ghcr.io/org/app:1', 'r.example/a/b', 2)).toThrow(/no room for ghcr.io\/org\/app:1 under a maximum depth of 2/);
  });
  it('takes the limit from --max-depth, else the profile (GitLab counts below the project path)', async () => {
    expect(depthLimit(profileByName('quay'), 'org', undefined)).toBe(2);
    expect(depthLimit(profileByName('gitlab'), 'group/sub/project', undefined)).toBe(5);
    expect(depthLimit(profileByName('quay'), 'org', 3)).toBe(3);
    expect(depthLimit(profileByName('harbor'), 'p', undefined)).toBeUndefined();
    expect(await resolveProfile('123456789012.dkr.ecr.eu-west-1.amazonaws.com', undefined)).toMatchObject({ name: 'ecr', detectedBy: 'host' });
    expect(await resolveProfile('quay.io', undefined)).toMatchObject({ name: 'quay', detectedBy: 'host' });
    expect(await resolveProfile('r.example', 'nexus')).toMatchObject({ name: 'nexus', detectedBy: 'flag' });
    expect(await resolveProfile('r.example', undefined, { harborVersion: async () => undefined })).toMatchObject({ name: 'distribution', detectedBy: 'default' });
    expect(() => profileByName('dockerhub')).toThrow(/not a known registry profile/);
  });
});

describe('path depth: shortened names, collisions refused before anything is sent', () => {
  let target: RunningRegistry;
  beforeAll(async () => {
    target = await startRegistry();
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('refuses a/b/c:1 and a/b-c:1 under --max-depth 2 --depth-join - as a collision, with zero uploads', async () => {
    const before = await listing(target);
    const err = await rejection(push(collide, request(target.host, pool(), { maxDepth: 2, depthJoin: '-' })));
    expect(err.code).toBe('NAME_COLLISION');
    expect(err.message).toBe(`${source}/${ns}/a/b-c:1 and ${source}/${ns}/a/b/c:1 would both be pushed to ${target.host}/${ns}/a-b-c:1`);
    const cli = await airlock('push', collide, '--registry', target.host, '--max-depth', '2', '--depth-join', '-', '--key', join(dir, 'vendor.pub'));
    expect(cli.code, cli.stderr).toBe(ExitCode.USAGE);
    expect(cli.stderr).toContain(`would both be pushed to ${target.host}/${ns}/a-b-c:1`);
    expect(await listing(target)).toEqual(before);
  });

  it('pushes under --max-depth 2: the catalog has at most 2 path elements per repository, and values --plan names exactly those', async () => {
    const plan = join(dir, 'depth-plan.json');
    const dry = await airlock('push', main, '--registry', target.host, '--max-depth', '2', '--key', join(dir, 'vendor.pub'), '--dry-run', '--plan', plan);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('preflight: ok, nothing sent');
    const written = await readPlan(plan);
    expect(written.mapping).toEqual({ mode: 'nested', maxDepth: 2 });
    expect(written.items.map((i) => i.target).sort()).toEqual([`${target.host}/charts/pfchart:0.1.0`, `${target.host}/${ns}/other:1`, `${target.host}/team/app:1`]);

    const contradicted = await airlock('push', main, '--plan', plan, '--max-depth', '3', '--key', join(dir, 'vendor.pub'));
    expect(contradicted.code).toBe(ExitCode.USAGE);
    expect(contradicted.stderr).toContain(`--plan ${plan} fixes the registry and mapping; --max-depth would change them`);
    const pushed = await airlock('push', main, '--plan', plan, '--key', join(dir, 'vendor.pub'), '--report', join(dir, 'depth-report.json'));
    expect(pushed.code, pushed.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'depth-report.json'), 'utf8')) as { plan: unknown };
    expect(report.plan).toEqual(written);

    const catalog = (await (await fetch(`${target.url}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories.sort()).toEqual(['charts/pfchart', `${ns}/other`, 'team/app']);
    for (const r of catalog.repositories) expect(r.split('/').length).toBeLessThanOrEqual(2);

    const overrides = join(dir, 'depth-overrides.yaml');
    const values = await airlock('values', main, '--plan', plan, '--key', join(dir, 'vendor.pub'), '-o', overrides);
    expect(values.code, values.stderr).toBe(0);
    const o = parseYaml(await readFile(overrides, 'utf8')) as { deep: { image: { repository: string } }; other: { image: string } };
    expect(o.deep.image.repository).toBe(`${target.host}/team/app`);
    expect(o.other.image).toBe(`${target.host}/${ns}/other:1`);
    const named = [o.deep.image.repository, o.other.image.replace(/:1$/, '')].map((n) => n.slice(target.host.length + 1));
    for (const n of named) expect(catalog.repositories).toContain(n);
    // The same flags without the plan give the same names (offline: nothing detected, nothing asked).
    const byFlags = await airlock('values', main, '--registry', target.host, '--max-depth', '2', '--key', join(dir, 'vendor.pub'), '--json');
    expect(byFlags.code, byFlags.stderr).toBe(0);
    const entries = (JSON.parse(byFlags.stdout) as { entries: { path: string; value: string }[] }).entries;
    expect(entries.map((e) => [e.path, e.value]).sort()).toEqual([
      ['deep.image.repository', `${target.host}/team/app`],
      ['other.image', `${target.host}/${ns}/other:1`],
    ]);
  });

  it('refuses a plan made for another bundle: values and push say so, and send nothing', async () => {
    const plan = join(dir, 'depth-plan.json');
    const values = await airlock('values', lone, '--plan', plan, '--key', join(dir, 'vendor.pub'));
    expect(values.code).toBe(ExitCode.USAGE);
    expect(values.stderr).toMatch(/the plan was made for another bundle \(.*main\.tar, airlock\.json sha256:[0-9a-f]{64}\), not .*lone\.tar/);
    const before = await listing(target);
    const err = await rejection(push(lone, request(target.host, pool(), { plan: await readPlan(plan) })));
    expect(err.code).toBe('PLAN_MISMATCH');
    expect(await listing(target)).toEqual(before);
    await writeFile(join(dir, 'not-a-plan.json'), '{"format":"something else"}');
    const bad = await airlock('values', main, '--plan', join(dir, 'not-a-plan.json'), '--key', join(dir, 'vendor.pub'));
    expect(bad.code).toBe(ExitCode.USAGE);
    expect(bad.stderr).toContain('is not an airlock push plan');
  });
});

describe('tags that exist with other content', () => {
  let target: RunningRegistry;
  beforeAll(async () => {
    target = await startRegistry();
    // Someone pushed other images under exactly the names the bundle's would get.
    await seedWithSkopeo(target.host, [
      { built: abc, repo: `conflict/${ns}/deep/team/app`, tag: '1' },
      { built: abDashC, repo: `conflict/${ns}/other`, tag: '1' },
    ]);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('are all reported at preflight, before any blob is sent; on ECR as immutable-tag refusals', async () => {
    const blobs = async () => (await listing(target)).filter((p) => p.includes('blobs/sha256/'));
    const before = await blobs();
    const err = await rejection(push(main, request(`${target.host}/conflict`, pool())));
    expect(err).toBeInstanceOf(PreflightError);
    expect(err.code).toBe('PREFLIGHT_FAILED');
    const { problems } = (err as PreflightError).report;
    expect(problems.map((p) => [p.code, p.repository, p.tag])).toEqual([
      ['TAG_CONFLICT', `${target.host}/conflict/${ns}/deep/team/app`, '1'],
      ['TAG_CONFLICT', `${target.host}/conflict/${ns}/other`, '1'],
    ]);
    expect(problems[0]!.message).toBe(`already points at ${abc.descriptor.digest}, but the bundle has ${deep.descriptor.digest}`);
    expect(err.message).toContain(`TAG_CONFLICT ${target.host}/conflict/${ns}/other:1: already points at ${abDashC.descriptor.digest}`);
    expect(await blobs()).toEqual(before);

    const ecr = await rejection(push(main, request(`${target.host}/conflict`, pool(), { profile: { ...profileByName('ecr'), detectedBy: 'flag', evidence: '--profile ecr' } })));
    expect((ecr as PreflightError).report.problems[0]!.message).toContain('on ECR this is an immutable-tag refusal');

    const cli = await airlock('push', main, '--registry', `${target.host}/conflict`, '--key', join(dir, 'vendor.pub'), '--preflight');
    expect(cli.code).toBe(ExitCode.PREFLIGHT);
    expect(cli.stderr).toContain('preflight found 2 problem(s); nothing was sent');
    // --plan-format ecr still prints its create lines when the preflight fails (their absence is often why).
    const ecrLines = await airlock('push', main, '--registry', `${target.host}/conflict`, '--key', join(dir, 'vendor.pub'), '--dry-run', '--plan-format', 'ecr', '--plan', join(dir, 'conflict-plan.json'));
    expect(ecrLines.code).toBe(ExitCode.PREFLIGHT);
    expect((await readPlan(join(dir, 'conflict-plan.json'))).items).toHaveLength(3); // the mapping is written all the same
    expect(ecrLines.stdout).toContain(`--repository-name conflict/${ns}/other --image-tag-mutability IMMUTABLE`);
    const json = await airlock('push', main, '--registry', `${target.host}/conflict`, '--key', join(dir, 'vendor.pub'), '--json');
    expect(json.code).toBe(ExitCode.PREFLIGHT);
    const doc = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; problems: { code: string; repository: string; tag: string }[] } };
    expect(doc.error.code).toBe('PREFLIGHT_FAILED');
    expect(doc.error.problems.map((p) => `${p.code} ${p.repository}:${p.tag}`)).toEqual([
      `TAG_CONFLICT ${target.host}/conflict/${ns}/deep/team/app:1`,
      `TAG_CONFLICT ${target.host}/conflict/${ns}/other:1`,
    ]);
    expect(await blobs()).toEqual(before);
  });
});

describe('a login that may pull but not push (token auth)', () => {
  let tokens: TokenServer;
  let target: RunningRegistry;
  const service = 'airlock-preflight';
  beforeAll(async () => {
    tokens = await startTokenServer({ service, issuer: 'pf-issuer', users: { robot: 'robot-pw-123' }, pullOnly: true, dir: await mkdtemp(join(dir, 'token-')) });
    target = await startRegistry({ token: { realm: tokens.realm, service, issuer: 'pf-issuer', rootCertBundle: tokens.certFile } });
  });
  afterAll(async () => {
    await target?.stop();
    await tokens?.stop();
  });

  it('is reported for every repository at once, and nothing is uploaded', async () => {
    const before = await listing(target);
    const p = pool({ credentials: { [target.host]: { username: 'robot', password: 'robot-pw-123' } } });
    const err = await rejection(push(main, request(`${target.host}/vendor`, p)));
    expect(err.code).toBe('PREFLIGHT_FAILED');
    const report = (err as PreflightError).report;
    const repos = [`${target.host}/vendor/charts/pfchart`, `${target.host}/vendor/${ns}/deep/team/app`, `${target.host}/vendor/${ns}/other`];
    expect(report.repositories).toEqual(repos.map((repository) => ({ repository, write: 'refused' })));
    expect(report.problems.map((p) => [p.code, p.repository])).toEqual(repos.map((r) => ['DENIED', r]));
    expect(report.problems[0]!.message).toContain(`lacks push rights on vendor/charts/pfchart`);
    expect(await listing(target)).toEqual(before);
  });
});

describe('Harbor (a fake Harbor API in front of a real registry)', () => {
  let target: RunningRegistry;
  let harbor: FakeHarbor;
  const admin = { user: 'admin', password: 'Harbor12345' };
  beforeAll(async () => {
    target = await startRegistry();
    harbor = await startFakeHarbor({ upstream: target.host, projects: ['library', 'vendorx'], admin });
  });
  afterAll(async () => {
    await harbor?.stop();
    await target?.stop();
  });

  it('is detected by its systeminfo; a missing project is reported (an exact match, not the fuzzy one), and --create-projects creates it', async () => {
    const before = await listing(target);
    const err = await rejection(push(main, request(`${harbor.host}/vendor`, pool(), { dryRun: true })));
    const report = (err as PreflightError).report;
    expect(report.profile).toMatchObject({ name: 'harbor', detectedBy: 'systeminfo' });
    expect(report.problems).toEqual([
      {
        code: 'PROJECT_MISSING',
        repository: `${harbor.host}/vendor`,
        message: `Harbor project vendor does not exist (needed by 3 repositories: vendor/charts/pfchart, vendor/${ns}/deep/team/app, vendor/${ns}/other)`,
        hint: 'create project vendor in Harbor, or say --create-projects to have airlock create it (the login must be allowed to)',
      },
    ]);
    expect(await listing(target)).toEqual(before);

    // Without rights to create it, --create-projects still reports it.
    const denied = await rejection(push(main, request(`${harbor.host}/vendor`, pool(), { createProjects: true })));
    expect((denied as PreflightError).report.problems.map((p) => p.code)).toEqual(['PROJECT_MISSING']);
    expect(harbor.projects.has('vendor')).toBe(false);

    const p = pool({ credentials: { [harbor.host]: { username: admin.user, password: admin.password } } });
    // A dry run changes nothing: the project is one to create, not created.
    const dry = await push(main, request(`${harbor.host}/vendor`, p, { dryRun: true, createProjects: true }));
    expect(dry.preflight.projects).toEqual([{ project: 'vendor', state: 'to-create' }]);
    expect(harbor.projects.has('vendor')).toBe(false);
    const made = await push(main, request(`${harbor.host}/vendor`, p, { createProjects: true }));
    expect(made.preflight.projects).toEqual([{ project: 'vendor', state: 'created' }]);
    expect(harbor.projects.has('vendor')).toBe(true);
    expect(made.items.map((i) => i.status)).toEqual(['pushed', 'pushed', 'pushed']);
    expect(harbor.api).toContain('POST /api/v2.0/projects');
  });
});

describe('a second push of content that is all there', () => {
  let target: RunningRegistry;
  beforeAll(async () => {
    target = await startRegistry();
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('asks once per tag, checks no write access and sends nothing', async () => {
    const first = await push(main, request(`${target.host}/again`, pool()));
    expect(first.preflight.repositories.map((r) => r.write)).toEqual(['ok', 'ok', 'ok']);
    expect(first.preflight.bytesToSend).toBeGreaterThan(40_000);
    expect(first.preflight.referrers).toBe(false); // distribution 2.8 has no referrers API

    const p = pool();
    const calls: string[] = [];
    const counted = (ref: { registry: string; repository: string }): PreflightTarget & ReturnType<RegistryPool['repository']> => {
      const repo = p.repository(ref);
      return new Proxy(repo, {
        get(t, key, receiver) {
          const v = Reflect.get(t, key, receiver) as unknown;
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) => {
            calls.push(`${String(key)} ${ref.repository}`);
            return (v as (...a: unknown[]) => unknown).apply(t, args);
          };
        },
      });
    };
    const before = await listing(target);
    const again = await push(main, { ...request(`${target.host}/again`, p), openRepository: counted });
    expect(again.items.map((i) => i.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(again.preflight.repositories.map((r) => r.write)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(again.preflight.bytesToSend).toBe(0);
    expect(calls.filter((c) => c.startsWith('resolve'))).toHaveLength(3);
    expect(calls.filter((c) => !c.startsWith('resolve'))).toEqual([]);
    expect(await listing(target)).toEqual(before);
  });
});
