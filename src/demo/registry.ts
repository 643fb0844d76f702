import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AirlockError } from '../errors.js';

/** Debian's CNCF distribution 2.8 binary. */
export const REGISTRY_BIN = process.env.AIRLOCK_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** Basic auth through this htpasswd file (bcrypt entries: the only hash distribution accepts). */
  htpasswdFile?: string;
  /** Serve https with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  /** distribution's `auth: token`: a token server the test runs signs JWTs with a key whose cert is rootCertBundle. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Allow DELETE of manifests and blobs. */
  deleteEnabled?: boolean;
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`: what goes in an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  /** Temp folder holding config, storage and the log. */
  dir: string;
  log(): Promise<string>;
  stop(): Promise<void>;
}

function missingBinary(): AirlockError {
  return new AirlockError('USAGE', `${REGISTRY_BIN} not found: this needs Debian's CNCF distribution registry`, {
    hint: 'install it with: apt-get update && apt-get install -y docker-registry',
  });
}

const running = new Set<ChildProcess>();
// Whatever happens to the test process, the registries it started must not outlive it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port nothing listens on right now (a race remains: callers retry or fail clearly). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function registryConfig(port: number, dir: string, opts: RegistryOptions): Record<string, unknown> {
  const http: Record<string, unknown> = { addr: `127.0.0.1:${port}`, secret: 'airlock-test-secret' };
  if (opts.tls) http.tls = { certificate: opts.tls.certFile, key: opts.tls.keyFile };
  const storage: Record<string, unknown> = {
    filesystem: { rootdirectory: join(dir, 'storage') },
    // No blob-descriptor cache: tests delete and re-push, and want the disk's truth.
    delete: { enabled: opts.deleteEnabled ?? true },
  };
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
    storage,
    http,
  };
  if (opts.htpasswdFile) config.auth = { htpasswd: { realm: 'airlock', path: opts.htpasswdFile } };
  if (opts.token) {
    config.auth = {
      token: {
        realm: opts.token.realm,
        service: opts.token.service,
        issuer: opts.token.issuer,
        rootcertbundle: opts.token.rootCertBundle,
      },
    };
  }
  return config;
}

async function waitReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited with ${child.exitCode}: ${await readFile(logFile, 'utf8').catch(() => '')}`);
    }
    try {
      // Any HTTP answer (200, or 401 under auth) means it listens. TLS: the test's CA is not
      // trusted by this probe, so a TLS error that is a certificate complaint also means "up".
      await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      return;
    } catch (err) {
      lastError = err;
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(cause.code)) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry at ${url} did not answer within 15 s: ${String(lastError)}`);
}

/**
 * Starts Debian's docker-registry (for the demo and the tests) on 127.0.0.1 with a random port, a temp config and
 * temp storage. Stop it with `stop()`: it kills exactly the process it started.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  if (!existsSync(REGISTRY_BIN)) throw missingBinary();
  const dir = await mkdtemp(join(tmpdir(), 'airlock-registry-'));
  const scheme = opts.tls ? 'https' : 'http';
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const configFile = join(dir, 'config.yml');
    // JSON is YAML, and distribution reads it as such.
    await writeFile(configFile, JSON.stringify(registryConfig(port, dir, opts), null, 2));
    const logFile = join(dir, 'registry.log');
    const fd = openSync(logFile, 'a');
    const child = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    running.add(child);
    child.once('exit', () => running.delete(child));
    const url = `${scheme}://127.0.0.1:${port}`;
    try {
      await waitReady(url, child, logFile);
    } catch (err) {
      child.kill('SIGKILL');
      // Another process may have taken the port between probe and bind: try a new one.
      if (attempt < 3 && /address already in use/.test(await readFile(logFile, 'utf8').catch(() => ''))) continue;
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      host: `127.0.0.1:${port}`,
      url,
      dir,
      log: () => readFile(logFile, 'utf8'),
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}
