import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/cli/commands/login.js';
import { copy } from '../src/copy/index.js';
import { AirlockError } from '../src/errors.js';
import { openLayout } from '../src/layout/index.js';
import { RegistryPool, type RegistryEvent, type RegistryOptions } from '../src/registry/index.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { rawManifest, skopeoCopy } from './harness/skopeo.js';
import { makeCa, makeServerCert } from './harness/tls.js';
import { startTokenServer, type TokenServer, type TokenServerOptions } from './harness/token-server.js';
import { countingTarget, makeMultiArch, writeToTarget, type Built } from './helpers/images.js';

const FAST = { retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20 } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-registry-auth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A docker config folder holding one login, and the env that points at it (no real home is read). */
async function dockerConfig(name: string, host: string, user: string, password: string): Promise<RegistryOptions> {
  const cfg = join(dir, name);
  await mkdir(cfg, { recursive: true });
  await writeFile(join(cfg, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
  return { env: { DOCKER_CONFIG: cfg }, home: join(dir, name, 'home') };
}

/** No credentials anywhere. */
function nowhere(name: string): RegistryOptions {
  return { env: { DOCKER_CONFIG: join(dir, name, 'none') }, home: join(dir, name, 'home') };
}

async function seed(built: Built, dest: string, extra: string[]): Promise<void> {
  const layoutDir = await mkdtemp(join(dir, 'seed-'));
  await writeToTarget(await openLayout(layoutDir, { create: true }), built, 'seed');
  await skopeoCopy(`oci:${layoutDir}:seed`, `docker://${dest}`, extra);
}

/** Copies `repo:tag` into a fresh layout through airlock and checks it byte-identical against skopeo's view of the registry. */
async function pullAndCompare(pool: RegistryPool, host: string, repo: string, tag: string, skopeoArgs: string[]): Promise<void> {
  const layoutDir = await mkdtemp(join(dir, 'pulled-'));
  const layout = await openLayout(layoutDir, { create: true });
  await copy(pool.repository({ registry: host, repository: repo }), tag, layout, { tags: ['copied'] });
  const fromRegistry = await rawManifest(`docker://${host}/${repo}:${tag}`, skopeoArgs);
  expect((await rawManifest(`oci:${layoutDir}:copied`)).equals(fromRegistry)).toBe(true);
}

function expectNoSecret(err: unknown, ...secrets: string[]): void {
  const e = err as AirlockError;
  const text = `${e.message}\n${e.hint ?? ''}\n${JSON.stringify(e)}`;
  for (const s of secrets) expect(text).not.toContain(s);
}

describe('registry with htpasswd basic auth', () => {
  const user = 'alice';
  const password = 'basic-Pa55word-xyz';
  let reg: RunningRegistry;
  const built = makeMultiArch('basic-auth');

  beforeAll(async () => {
    reg = await startRegistry({ htpasswd: { user, password } });
    await seed(built, `${reg.host}/team/app:1.0`, ['--dest-creds', `${user}:${password}`]);
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('copies back into a layout byte-identical, with the login from a docker config', async () => {
    const pool = new RegistryPool({ ...FAST, ...(await dockerConfig('basic-ok', reg.host, user, password)) });
    try {
      await pullAndCompare(pool, reg.host, 'team/app', '1.0', ['--creds', `${user}:${password}`]);
      // And pushes with it.
      await copy(pool.repository({ registry: reg.host, repository: 'team/app' }), '1.0', pool.repository({ registry: reg.host, repository: 'team/copy' }), { tags: ['2.0'] });
      const a = await rawManifest(`docker://${reg.host}/team/copy:2.0`, ['--creds', `${user}:${password}`]);
      expect(a.equals(await rawManifest(`docker://${reg.host}/team/app:1.0`, ['--creds', `${user}:${password}`]))).toBe(true);
    } finally {
      pool.close();
    }
  });

  it('explicit credentials (flags) win over the config file', async () => {
    const pool = new RegistryPool({ ...FAST, ...(await dockerConfig('basic-explicit', reg.host, user, 'wrong')), credentials: { [reg.host]: { username: user, password } } });
    try {
      expect((await pool.repository({ registry: reg.host, repository: 'team/app' }).resolve('1.0')).size).toBeGreaterThan(0);
    } finally {
      pool.close();
    }
  });

  it('a wrong password ends in UNAUTHORIZED that does not contain the password', async () => {
    const badPassword = 'wrong-Secret-123';
    const pool = new RegistryPool({ ...FAST, ...(await dockerConfig('basic-bad', reg.host, user, badPassword)) });
    try {
      const err = await pool.repository({ registry: reg.host, repository: 'team/app' }).resolve('1.0').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AirlockError);
      expect((err as AirlockError).code).toBe('UNAUTHORIZED');
      expect((err as AirlockError).message).toContain(reg.host);
      expect((err as AirlockError).hint).toContain('airlock login');
      expectNoSecret(err, badPassword, Buffer.from(`${user}:${badPassword}`).toString('base64'));
    } finally {
      pool.close();
    }
  });

  it('no credentials at all: UNAUTHORIZED with a login hint', async () => {
    const pool = new RegistryPool({ ...FAST, ...nowhere('basic-none') });
    try {
      const err = (await pool.repository({ registry: reg.host, repository: 'team/app' }).resolve('1.0').catch((e: unknown) => e)) as AirlockError;
      expect(err.code).toBe('UNAUTHORIZED');
      expect(err.hint).toContain(`airlock login ${reg.host}`);
    } finally {
      pool.close();
    }
  });

  it('airlock login checks the password against the registry before saving it', async () => {
    const where = nowhere('login-cmd');
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), tty: false };
    const bad = await login(reg.host, { username: user, passwordStdin: true }, io, Readable.from([Buffer.from('nope-nope\n')]), where).catch((e: unknown) => e);
    expect((bad as AirlockError).code).toBe('UNAUTHORIZED');
    expectNoSecret(bad, 'nope-nope');
    await expect(readFile(join(dir, 'login-cmd', 'none', 'config.json'))).rejects.toThrow();
    await login(reg.host, { username: user, passwordStdin: true }, io, Readable.from([Buffer.from(`${password}\n`)]), where);
    expect(out.join('\n')).toContain('login succeeded');
    expect(out.join('\n')).not.toContain(password);
    // The saved login works for a new client.
    const pool = new RegistryPool({ ...FAST, ...where });
    try {
      expect((await pool.repository({ registry: reg.host, repository: 'team/app' }).resolve('1.0')).size).toBeGreaterThan(0);
    } finally {
      pool.close();
    }
  });
});

describe('registry over TLS with a private CA', () => {
  let reg: RunningRegistry;
  let caFile: string;
  const built = makeMultiArch('tls');

  beforeAll(async () => {
    const certs = await mkdtemp(join(dir, 'certs-'));
    const ca = await makeCa(certs);
    caFile = ca.certFile;
    const server = await makeServerCert(certs, ca);
    reg = await startRegistry({ tls: server });
    await seed(built, `${reg.host}/secure/app:1.0`, []);
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('copies back byte-identical when the CA is given with caFile', async () => {
    const pool = new RegistryPool({ ...FAST, ...nowhere('tls-ok'), caFile });
    try {
      await pullAndCompare(pool, reg.host, 'secure/app', '1.0', []);
      await copy(pool.repository({ registry: reg.host, repository: 'secure/app' }), '1.0', pool.repository({ registry: reg.host, repository: 'secure/copy' }), { tags: ['1.0'] });
      expect((await rawManifest(`docker://${reg.host}/secure/copy:1.0`)).equals(await rawManifest(`docker://${reg.host}/secure/app:1.0`))).toBe(true);
    } finally {
      pool.close();
    }
  });

  it('refuses the connection without the CA, with a clear TLS error', async () => {
    const pool = new RegistryPool({ ...FAST, ...nowhere('tls-no-ca') });
    try {
      const err = (await pool.repository({ registry: reg.host, repository: 'secure/app' }).resolve('1.0').catch((e: unknown) => e)) as AirlockError;
      expect(err).toBeInstanceOf(AirlockError);
      expect(err.code).toBe('NETWORK');
      expect(err.message).toMatch(/TLS certificate of 127\.0\.0\.1:\d+ is not trusted/);
      expect(err.hint).toContain('--ca-file');
      expect(err.retryable).toBe(false);
    } finally {
      pool.close();
    }
  });

  it('accepts the unverified connection only for a host named insecure', async () => {
    const pool = new RegistryPool({ ...FAST, ...nowhere('tls-insecure'), insecureRegistries: [reg.host] });
    try {
      expect((await pool.repository({ registry: reg.host, repository: 'secure/app' }).resolve('1.0')).size).toBeGreaterThan(0);
    } finally {
      pool.close();
    }
  });

  it('names an unreadable CA file', () => {
    expect(() => new RegistryPool({ caFile: join(dir, 'missing.pem') }).client(reg.host)).toThrow(/cannot read the CA file/);
  });
});

describe('registry with token auth (distribution auth: token, short-lived ES256 tokens)', () => {
  const user = 'bob';
  const password = 'token-Pa55-word';
  let reg: RunningRegistry;
  let tokens: TokenServer;
  const service = 'airlock-test-registry';
  const built = makeMultiArch('token-auth', { layerSize: 8192 });
  const tokenOptions: TokenServerOptions = { service, issuer: 'airlock-test-issuer', users: { [user]: password }, ttlSeconds: 1, anonymousPull: false, dir: '' };

  beforeAll(async () => {
    tokenOptions.dir = await mkdtemp(join(dir, 'token-'));
    tokens = await startTokenServer(tokenOptions);
    reg = await startRegistry({ token: { realm: tokens.realm, service, issuer: tokenOptions.issuer, rootCertBundle: tokens.certFile } });
    await seed(built, `${reg.host}/tok/app:1.0`, ['--dest-creds', `${user}:${password}`]);
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('copies back byte-identical, refreshing 1-second tokens during a slow multi-blob copy', async () => {
    const events: RegistryEvent[] = [];
    const pool = new RegistryPool({ ...FAST, ...(await dockerConfig('token-ok', reg.host, user, password)), onEvent: (e) => events.push(e) });
    try {
      const before = tokens.issued.length;
      const layoutDir = await mkdtemp(join(dir, 'tok-pulled-'));
      const layout = await openLayout(layoutDir, { create: true });
      // One transfer at a time, each fetch 250 ms late: the copy outlives several tokens.
      const slow = countingTarget(pool.repository({ registry: reg.host, repository: 'tok/app' }), { fetchDelay: 250 });
      await copy(slow, '1.0', layout, { tags: ['copied'], concurrency: 1 });
      const issued = tokens.issued.slice(before); // before skopeo asks for its own
      expect((await rawManifest(`oci:${layoutDir}:copied`)).equals(await rawManifest(`docker://${reg.host}/tok/app:1.0`, ['--creds', `${user}:${password}`]))).toBe(true);
      expect(issued.length).toBeGreaterThanOrEqual(3);
      expect(issued.every((t) => t.user === user)).toBe(true);
      expect(events.filter((e) => e.kind === 'token').length).toBe(issued.length);
    } finally {
      pool.close();
    }
  });

  it('pushes with push scope, and a token rejected mid-run (expired) is refreshed and the request retried', async () => {
    const pool = new RegistryPool({ ...FAST, ...(await dockerConfig('token-push', reg.host, user, password)) });
    try {
      const src = await openLayout(await mkdtemp(join(dir, 'tok-src-')), { create: true });
      const image = makeMultiArch('token-push');
      await writeToTarget(src, image, 'app');
      const dest = pool.repository({ registry: reg.host, repository: 'tok/pushed' });
      await dest.resolve('1.0').catch(() => undefined); // a first token for the repository
      tokens.expireNext(1);
      const before = tokens.issued.length;
      // The next token is born expired: the registry answers 401 and the client must fetch another.
      await copy(src, 'app', dest, { tags: ['1.0'] });
      const issued = tokens.issued.slice(before);
      expect(issued[0]?.expired).toBe(true);
      expect(issued.some((t) => !t.expired && t.scopes.includes('repository:tok/pushed:pull,push'))).toBe(true);
      expect((await rawManifest(`docker://${reg.host}/tok/pushed:1.0`, ['--creds', `${user}:${password}`])).equals(image.manifest)).toBe(true);
    } finally {
      pool.close();
    }
  });

  it('anonymous: a token without credentials works where the token service allows pulls, and push is refused', async () => {
    tokenOptions.anonymousPull = true;
    const pool = new RegistryPool({ ...FAST, ...nowhere('token-anon') });
    try {
      const before = tokens.issued.length;
      await pullAndCompare(pool, reg.host, 'tok/app', '1.0', ['--creds', `${user}:${password}`]);
      expect(tokens.issued.slice(before).some((t) => t.user === undefined && t.scopes.includes('repository:tok/app:pull'))).toBe(true);
      const src = await openLayout(await mkdtemp(join(dir, 'tok-anon-src-')), { create: true });
      await writeToTarget(src, makeMultiArch('anon-push'), 'app');
      const err = (await copy(src, 'app', pool.repository({ registry: reg.host, repository: 'tok/anon' })).catch((e: unknown) => e)) as AirlockError;
      expect(['UNAUTHORIZED', 'DENIED']).toContain(err.code);
      expect(err.message).toContain(reg.host);
    } finally {
      tokenOptions.anonymousPull = false;
      pool.close();
    }
  });

  it('falls back to OAuth2 POST (grant_type=password) when the token service refuses GET', async () => {
    tokenOptions.oauthOnly = true;
    const pool = new RegistryPool({ ...FAST, ...(await dockerConfig('token-oauth', reg.host, user, password)) });
    try {
      const before = tokens.issued.length;
      expect((await pool.repository({ registry: reg.host, repository: 'tok/app' }).resolve('1.0')).size).toBeGreaterThan(0);
      expect(tokens.issued.slice(before).map((t) => t.user)).toEqual([user]);
    } finally {
      tokenOptions.oauthOnly = false;
      pool.close();
    }
  });

  it('an identity token from the docker config is exchanged with grant_type=refresh_token', async () => {
    const refresh = 'refresh-Identity-Token-42';
    tokenOptions.refreshTokens = { [refresh]: user };
    const cfg = join(dir, 'token-identity');
    await mkdir(cfg, { recursive: true });
    await writeFile(join(cfg, 'config.json'), JSON.stringify({ auths: { [reg.host]: { identitytoken: refresh } } }));
    const pool = new RegistryPool({ ...FAST, env: { DOCKER_CONFIG: cfg }, home: join(cfg, 'home') });
    try {
      const before = tokens.issued.length;
      await pullAndCompare(pool, reg.host, 'tok/app', '1.0', ['--creds', `${user}:${password}`]);
      expect(tokens.issued.slice(before)[0]?.user).toBe(user);
    } finally {
      pool.close();
    }
  });

  it('airlock login gets a token with the credentials before saving them', async () => {
    const where = nowhere('token-login');
    const io = { out: () => undefined, err: () => undefined, tty: false };
    const bad = (await login(reg.host, { username: user, passwordStdin: true }, io, Readable.from([Buffer.from('bad\n')]), where).catch((e: unknown) => e)) as AirlockError;
    expect(bad.code).toBe('UNAUTHORIZED');
    await login(reg.host, { username: user, passwordStdin: true }, io, Readable.from([Buffer.from(`${password}\n`)]), where);
    const saved = JSON.parse(await readFile(join(dir, 'token-login', 'none', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(saved.auths[reg.host]!.auth, 'base64').toString()).toBe(`${user}:${password}`);
  });

  it('a wrong password is refused by the token service; no secret in the error', async () => {
    const bad = 'Wrong-token-pass';
    const pool = new RegistryPool({ ...FAST, ...(await dockerConfig('token-bad', reg.host, user, bad)) });
    try {
      const err = (await pool.repository({ registry: reg.host, repository: 'tok/app' }).resolve('1.0').catch((e: unknown) => e)) as AirlockError;
      expect(err.code).toBe('UNAUTHORIZED');
      expect(err.message).toContain('token service');
      expect(err.hint).toContain('airlock login');
      expectNoSecret(err, bad, Buffer.from(`${user}:${bad}`).toString('base64'), ...tokens.issued.map((t) => t.token));
    } finally {
      pool.close();
    }
  });
});
