import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, logout } from '../src/cli/commands/login.js';
import type { Io } from '../src/cli/run.js';
import { AirlockError } from '../src/errors.js';
import { scopesCover } from '../src/registry/auth.js';
import {
  backoffDelay,
  canonicalHost,
  ecrRegion,
  findCredentials,
  isInsecureHost,
  isLoopbackHost,
  nextLink,
  normalizeConfigKey,
  parseChallenges,
  parseRetryAfter,
  pickChallenge,
  registryError,
  removeLogin,
  saveLogin,
} from '../src/registry/index.js';

describe('registry: WWW-Authenticate', () => {
  it('parses a bearer challenge with quoted values holding commas', () => {
    const c = pickChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"');
    expect(c).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull,push' },
    });
  });

  it('parses basic, several challenges in one header, and prefers bearer', () => {
    expect(pickChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    const all = parseChallenges('Basic realm="x", Bearer realm="https://a/token",service=svc,error="insufficient_scope"');
    expect(all.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(all[1]!.params).toEqual({ realm: 'https://a/token', service: 'svc', error: 'insufficient_scope' });
    expect(pickChallenge(['Basic realm="x"', 'Bearer realm="y"'])?.scheme).toBe('bearer');
    expect(pickChallenge(undefined)).toBeUndefined();
    expect(pickChallenge('Negotiate')).toBeUndefined();
  });

  it('knows that a pull,push token serves pulls but not the other way round', () => {
    expect(scopesCover(['repository:a:pull,push'], ['repository:a:pull'])).toBe(true);
    expect(scopesCover(['repository:a:pull'], ['repository:a:pull,push'])).toBe(false);
    expect(scopesCover(['repository:a:pull,push'], ['repository:a:push', 'repository:b:pull'])).toBe(false);
    expect(scopesCover(['repository:a:*'], ['repository:a:push'])).toBe(true);
    expect(scopesCover([], [])).toBe(true);
  });
});

describe('registry: retry timing', () => {
  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    expect(parseRetryAfter('2', 60_000)).toBe(2000);
    expect(parseRetryAfter('3600', 30_000)).toBe(30_000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', 60_000, now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', 60_000, now)).toBe(0);
    expect(parseRetryAfter('soon', 60_000)).toBeUndefined();
    expect(parseRetryAfter(undefined, 60_000)).toBeUndefined();
  });

  it('backs off exponentially with jitter, within the ceiling', () => {
    const policy = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(2, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(3, policy);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});

describe('registry: transport rules', () => {
  it('allows plain http only for loopback and named hosts', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '[::1]:5000', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['127.0.0.2:5000', 'registry.local:5000', 'localhost.evil.com', '10.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
    expect(isInsecureHost('registry.local:5000', ['registry.local:5000'])).toBe(true);
    expect(isInsecureHost('registry.local:5000', ['registry.local'])).toBe(true);
    expect(isInsecureHost('registry.local:5000', ['https://registry.local:5000/'])).toBe(true);
    expect(isInsecureHost('registry.local:5000', ['registry.local:5001'])).toBe(false);
    expect(isInsecureHost('other:5000', [])).toBe(false);
  });

  it('follows Link pagination targets', () => {
    expect(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"')).toBe('/v2/a/tags/list?last=b&n=2');
    expect(nextLink('<https://r/x>; rel="prev", </v2/y>; rel=next')).toBe('/v2/y');
    expect(nextLink(undefined)).toBeUndefined();
    expect(nextLink('</v2/a>; rel="prev"')).toBeUndefined();
  });
});

describe('registry: error bodies', () => {
  const ctx = { host: '127.0.0.1:5000', repository: 'team/app', method: 'GET', what: 'manifest team/app:1.0' };
  const body = (code: string, message = 'm') => Buffer.from(JSON.stringify({ errors: [{ code, message, detail: {} }] }));

  it('maps distribution codes to airlock codes, naming host and object', () => {
    const cases: [number, string, string][] = [
      [404, 'MANIFEST_UNKNOWN', 'NOT_FOUND'],
      [404, 'NAME_UNKNOWN', 'NOT_FOUND'],
      [404, 'BLOB_UNKNOWN', 'NOT_FOUND'],
      [403, 'DENIED', 'DENIED'],
      [401, 'UNAUTHORIZED', 'UNAUTHORIZED'],
      [429, 'TOOMANYREQUESTS', 'TOO_MANY_REQUESTS'],
      [400, 'MANIFEST_INVALID', 'REGISTRY_ERROR'],
      [400, 'TAG_INVALID', 'REGISTRY_ERROR'],
      [400, 'DIGEST_INVALID', 'DIGEST_MISMATCH'],
    ];
    for (const [status, code, want] of cases) {
      const err = registryError(status, body(code, 'said so'), ctx);
      expect(err.code, code).toBe(want);
      expect(err.message).toContain('127.0.0.1:5000');
      expect(err.message).toContain('manifest team/app:1.0');
      expect(err.message).toContain(`${code}: said so`);
      expect(err.hint, code).toBeTruthy();
    }
  });

  it('falls back to the status, keeps HTML short, flags 5xx as retryable', () => {
    const err = registryError(503, Buffer.from(`<html><body><h1>503 Service Unavailable</h1>${'x'.repeat(500)}</body></html>`), ctx);
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.retryable).toBe(true);
    expect(err.message.length).toBeLessThan(400);
    expect(registryError(404, Buffer.alloc(0), ctx).code).toBe('NOT_FOUND');
    expect(registryError(404, Buffer.alloc(0), ctx).retryable).toBe(false);
  });

  it('gives the ECR create-repository command for NAME_UNKNOWN on push to ECR', () => {
    expect(ecrRegion('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(ecrRegion('ghcr.io')).toBeUndefined();
    const err = registryError(404, body('NAME_UNKNOWN', 'The repository with name team/app does not exist'), {
      host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'team/app',
      method: 'POST',
      what: 'blob sha256:0123… for team/app',
    });
    expect(err.code).toBe('NOT_FOUND');
    expect(err.hint).toContain('aws ecr create-repository --repository-name team/app --region eu-west-1');
    const harbor = registryError(404, body('NAME_UNKNOWN', 'project team not found'), { ...ctx, method: 'PUT' });
    expect(harbor.hint).toContain('create the repository team/app');
  });

  it('turns an immutable-tag refusal into TAG_CONFLICT', () => {
    const err = registryError(400, body('TAG_INVALID', "The image tag '1.0' already exists in the 'team/app' repository and cannot be overwritten because the repository is immutable."), { ...ctx, method: 'PUT' });
    expect(err.code).toBe('TAG_CONFLICT');
  });
});

describe('registry: credentials where users keep them', () => {
  let dir: string;
  let home: string;
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-creds-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function freshHome(name: string): Promise<string> {
    home = join(dir, name);
    await mkdir(home, { recursive: true });
    return home;
  }

  async function writeJson(path: string, doc: unknown): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, JSON.stringify(doc));
  }

  it('normalizes Docker Hub aliases and config keys', () => {
    for (const k of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'https://index.docker.io/v1']) {
      expect(normalizeConfigKey(k)).toBe('docker.io');
    }
    expect(normalizeConfigKey('https://myreg:5000')).toBe('myreg:5000');
    expect(normalizeConfigKey('quay.io/org/app', true)).toBe('quay.io/org/app');
    expect(canonicalHost('Registry-1.Docker.io')).toBe('docker.io');
  });

  it('reads docker config auths (base64 and user/password), Docker Hub under any alias', async () => {
    const h = await freshHome('docker');
    await writeJson(join(h, '.docker', 'config.json'), {
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'https://myreg:5000': { username: 'u2', password: 'p2' },
      },
    });
    const env = {};
    expect(await findCredentials('docker.io', 'library/nginx', undefined, { env, home: h })).toMatchObject({ username: 'hubuser', password: 'hub:pass' });
    expect(await findCredentials('registry-1.docker.io', undefined, undefined, { env, home: h })).toMatchObject({ username: 'hubuser' });
    expect(await findCredentials('myreg:5000', undefined, undefined, { env, home: h })).toMatchObject({ username: 'u2', password: 'p2' });
    expect(await findCredentials('other:5000', undefined, undefined, { env, home: h })).toBeUndefined();
  });

  it('looks in order: explicit, REGISTRY_AUTH_FILE, containers auth.json, docker config, helm', async () => {
    const h = await freshHome('order');
    const host = 'reg.example.com';
    const entry = (user: string) => ({ auths: { [host]: { auth: b64(`${user}:pw`) } } });
    const runtime = join(h, 'run');
    const authFile = join(h, 'auth-file.json');
    await writeJson(authFile, entry('from-registry-auth-file'));
    await writeJson(join(runtime, 'containers', 'auth.json'), entry('from-runtime'));
    await writeJson(join(h, '.config', 'containers', 'auth.json'), entry('from-config-containers'));
    await writeJson(join(h, 'dockercfg', 'config.json'), entry('from-docker'));
    await writeJson(join(h, '.config', 'helm', 'registry', 'config.json'), entry('from-helm'));
    const env: NodeJS.ProcessEnv = { REGISTRY_AUTH_FILE: authFile, XDG_RUNTIME_DIR: runtime, DOCKER_CONFIG: join(h, 'dockercfg') };
    const find = () => findCredentials(host, 'app', undefined, { env, home: h });

    expect(await findCredentials(host, 'app', { [host]: { username: 'explicit', password: 'x' } }, { env, home: h })).toMatchObject({ username: 'explicit' });
    expect(await find()).toMatchObject({ username: 'from-registry-auth-file', source: authFile });
    delete env.REGISTRY_AUTH_FILE;
    expect(await find()).toMatchObject({ username: 'from-runtime' });
    delete env.XDG_RUNTIME_DIR;
    expect(await find()).toMatchObject({ username: 'from-config-containers' });
    await rm(join(h, '.config', 'containers'), { recursive: true });
    expect(await find()).toMatchObject({ username: 'from-docker' });
    await rm(join(h, 'dockercfg'), { recursive: true });
    expect(await find()).toMatchObject({ username: 'from-helm' });
    env.HELM_REGISTRY_CONFIG = join(h, 'nowhere.json');
    expect(await find()).toBeUndefined();
    // Explicit credentials keyed by host never go to another host.
    expect(await findCredentials('elsewhere.example.com', undefined, { [host]: { username: 'explicit', password: 'x' } }, { env, home: h })).toBeUndefined();
  });

  it('prefers the most specific containers auth.json entry for a repository', async () => {
    const h = await freshHome('paths');
    await writeJson(join(h, '.config', 'containers', 'auth.json'), {
      auths: { 'quay.io': { auth: b64('host:pw') }, 'quay.io/org': { auth: b64('org:pw') }, 'quay.io/org/app': { auth: b64('app:pw') } },
    });
    const env = {};
    expect(await findCredentials('quay.io', 'org/app', undefined, { env, home: h })).toMatchObject({ username: 'app' });
    expect(await findCredentials('quay.io', 'org/other', undefined, { env, home: h })).toMatchObject({ username: 'org' });
    expect(await findCredentials('quay.io', 'elsewhere/x', undefined, { env, home: h })).toMatchObject({ username: 'host' });
  });

  it('runs docker-credential helpers (credHelpers, then credsStore) with the host on stdin', async () => {
    const h = await freshHome('helpers');
    const bin = join(h, 'bin');
    await mkdir(bin);
    // A helper that knows one server and logs what it was asked.
    const helper = (name: string, user: string) => `#!/bin/sh
read server
echo "$server" >> "${join(h, `${name}.log`)}"
case "$server" in
  helper.example.com|https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"${user}","Secret":"s3cret-${name}"}' "$server" ;;
  token.example.com) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-token"}' "$server" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
    await writeFile(join(bin, 'docker-credential-ecr-login'), helper('ecr-login', 'AWS'));
    await writeFile(join(bin, 'docker-credential-desktop'), helper('desktop', 'desk'));
    await chmod(join(bin, 'docker-credential-ecr-login'), 0o755);
    await chmod(join(bin, 'docker-credential-desktop'), 0o755);
    await writeJson(join(h, '.docker', 'config.json'), {
      auths: { 'helper.example.com': {} },
      credHelpers: { 'helper.example.com': 'ecr-login', 'missing.example.com': 'not-installed' },
      credsStore: 'desktop',
    });
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    expect(await findCredentials('helper.example.com', undefined, undefined, { env, home: h })).toEqual({
      username: 'AWS',
      password: 's3cret-ecr-login',
      source: 'docker-credential-ecr-login',
    });
    expect(await findCredentials('docker.io', undefined, undefined, { env, home: h })).toMatchObject({ username: 'desk' });
    expect(await readFile(join(h, 'desktop.log'), 'utf8')).toContain('https://index.docker.io/v1/');
    expect(await findCredentials('token.example.com', undefined, undefined, { env, home: h })).toMatchObject({ identityToken: 'refresh-token' });
    expect(await findCredentials('unknown.example.com', undefined, undefined, { env, home: h })).toBeUndefined();
    const err = await findCredentials('missing.example.com', undefined, undefined, { env, home: h }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockError);
    expect((err as AirlockError).message).toContain('docker-credential-not-installed');
  });

  it('refuses a config file that is not JSON, naming it', async () => {
    const h = await freshHome('broken');
    await mkdir(join(h, '.docker'));
    await writeFile(join(h, '.docker', 'config.json'), '{ nope');
    const err = await findCredentials('x.example.com', undefined, undefined, { env: {}, home: h }).catch((e: unknown) => e);
    expect((err as AirlockError).message).toContain(join(h, '.docker', 'config.json'));
  });

  it('login/logout write the docker config atomically, mode 0600, keeping other entries', async () => {
    const h = await freshHome('login');
    const cfgDir = join(h, 'cfg');
    const path = join(cfgDir, 'config.json');
    await writeJson(path, { auths: { 'other.example.com': { auth: b64('o:p') }, 'https://reg.example.com': { auth: b64('stale:old') } }, credsStore: 'pass', experimental: 'enabled' });
    const env = { DOCKER_CONFIG: cfgDir };
    const saved = await saveLogin('reg.example.com', 'alice', 'pw1', { env, home: h });
    expect(saved.path).toBe(path);
    const doc = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, { auth: string }>; credsStore: string; experimental: string };
    expect(Object.keys(doc.auths).sort()).toEqual(['other.example.com', 'reg.example.com']);
    expect(Buffer.from(doc.auths['reg.example.com']!.auth, 'base64').toString()).toBe('alice:pw1');
    expect(doc.credsStore).toBe('pass');
    expect(doc.experimental).toBe('enabled');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await saveLogin('docker.io', 'bob', 'pw2', { env, home: h });
    const doc2 = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(doc2.auths)).toContain('https://index.docker.io/v1/');

    expect((await removeLogin('reg.example.com', { env, home: h })).removed).toBe(true);
    expect((await removeLogin('reg.example.com', { env, home: h })).removed).toBe(false);
    const doc3 = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(doc3.auths).sort()).toEqual(['https://index.docker.io/v1/', 'other.example.com']);
    expect((await removeLogin('index.docker.io', { env, home: h })).removed).toBe(true);
  });

  it('the CLI knows login and logout', async () => {
    const { buildCli } = await import('../src/cli/main.js');
    const names = buildCli().commands.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['login', 'logout']));
  });

  it('the login command reads the password from stdin only and never prints it', async () => {
    const h = await freshHome('cli');
    const env = { DOCKER_CONFIG: join(h, 'cfg') };
    const lines: string[] = [];
    const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false };
    const noStdin = await login('reg.example.com', { username: 'alice' }, io, Readable.from([]), { env, home: h }).catch((e: unknown) => e);
    expect((noStdin as AirlockError).code).toBe('USAGE');
    await login('https://reg.example.com/', { username: 'alice', passwordStdin: true, verify: false }, io, Readable.from([Buffer.from('hunter2-secret\n')]), { env, home: h });
    const doc = JSON.parse(await readFile(join(h, 'cfg', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(doc.auths['reg.example.com']!.auth, 'base64').toString()).toBe('alice:hunter2-secret');
    await logout('reg.example.com', {}, io, { env, home: h });
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).toContain('removed the login for reg.example.com');
  });
});
