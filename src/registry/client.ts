import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { AirlockError, messageOf } from '../errors.js';
import { Authenticator, type AuthUse } from './auth.js';
import { canonicalHost, findCredentials, secretsOf, type Credentials } from './credentials.js';
import { registryError } from './errors.js';
import {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  DEFAULT_UPLOAD,
  type RegistryEvent,
  type RegistryOptions,
  type RetryPolicy,
  type Timeouts,
  type UploadPolicy,
} from './options.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, sleep } from './retry.js';
import {
  Agents,
  isInsecureHost,
  isLoopbackHost,
  isNotTlsError,
  errorCode,
  isStreamBody,
  isTransientNetworkError,
  networkError,
  responseHeader,
  send,
  headersForHop,
  plainRealmAllowed,
  type HttpResponse,
  type RequestBody,
} from './transport.js';
import { ManifestCache } from './cache.js';
import { REDIRECT_STATUSES, redirectTarget } from './redirect.js';
import { RegistryRepository } from './repository.js';
import { discard, readSome, type Operation, type RegistrySession } from './session.js';
import type { UploadStateStore } from './upload-state.js';

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/**
 * A client for one registry host: one connection pool, one auth cache, one set of
 * options, shared by every repository on the host. It also remembers which
 * repositories hold which blobs, the candidates for cross-repository mounts.
 */
export class RegistryClient implements RegistrySession {
  /** The host as references name it: `docker.io`, `127.0.0.1:5000`. */
  readonly host: string;
  /** Where the API lives: Docker Hub's is `registry-1.docker.io`. */
  readonly apiHost: string;
  readonly retry: RetryPolicy;
  readonly timeouts: Timeouts;
  readonly upload: UploadPolicy;
  readonly uploadState: UploadStateStore | undefined;
  private readonly agents: Agents;
  private readonly auth: Authenticator;
  private readonly insecure: boolean;
  private base: Promise<URL> | undefined;
  private creds: Promise<Credentials | undefined> | undefined;
  private knownCreds: Credentials | undefined;
  private readonly blobHomes = new Map<string, Set<string>>();
  /** Manifest bytes held after resolve/push, for the fetch or tag that follows. */
  readonly manifests = new ManifestCache();
  private readonly repositories = new Map<string, RegistryRepository>();

  constructor(
    host: string,
    readonly options: RegistryOptions = {},
  ) {
    this.host = canonicalHost(host) === 'docker.io' ? 'docker.io' : host;
    this.apiHost = this.host === 'docker.io' ? 'registry-1.docker.io' : host;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.upload = { ...DEFAULT_UPLOAD, ...options.upload };
    this.uploadState = options.uploadState;
    this.insecure = isInsecureHost(this.host, options.insecureRegistries ?? []) || isInsecureHost(this.apiHost, options.insecureRegistries ?? []);
    let ca: string | undefined;
    if (options.caFile !== undefined) {
      try {
        ca = readFileSync(options.caFile, 'utf8');
      } catch (err) {
        throw new AirlockError('USAGE', `cannot read the CA file ${options.caFile}: ${messageOf(err)}`, {
          hint: 'pass a PEM file with the CA certificate(s) that signed the registry certificate',
        });
      }
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
        throw new AirlockError('USAGE', `the CA file ${options.caFile} holds no PEM certificate`, {
          hint: 'pass a PEM file (-----BEGIN CERTIFICATE-----); convert DER with: openssl x509 -inform der -in CA.cer -out ca.pem',
        });
      }
    }
    this.agents = new Agents(options.maxSockets ?? 16, ca);
    this.auth = new Authenticator({
      host: this.host,
      credentials: () => this.credentials(),
      call: async (method, url, headers, body) => {
        const res = await this.request({ method, url, headers, ...(body ? { body } : {}), scopes: [], ok: 'any', what: `token request to ${url.host}`, anonymous: true, redirects: method === 'GET' });
        return { status: res.status, body: await readSome(res, 1024 * 1024 + 1) };
      },
      mayUseHttp: async (url) => plainRealmAllowed(url, await this.ping(), this.options.insecureRegistries ?? []),
      now: () => Date.now(),
      onToken: (detail) => this.emit({ kind: 'token', host: this.host, what: 'token', detail }),
    });
  }

  /** The repository `name` on this host as a copy target (one object per name). */
  repository(name: string): RegistryRepository {
    let repo = this.repositories.get(name);
    if (repo === undefined) {
      repo = new RegistryRepository(this, name);
      this.repositories.set(name, repo);
    }
    return repo;
  }

  /** Closes the pooled connections. */
  close(): void {
    this.agents.destroy();
  }

  /** Credentials for this host, looked up once. */
  credentials(): Promise<Credentials | undefined> {
    this.creds ??= findCredentials(this.host, undefined, this.options.credentials, {
      ...(this.options.env !== undefined ? { env: this.options.env } : {}),
      ...(this.options.home !== undefined ? { home: this.options.home } : {}),
    }).then((found) => {
      this.knownCreds = found; // kept at hand for synchronous redaction
      return found;
    });
    return this.creds;
  }

  /** Records that `repository` on this host holds blob `digest` (seen or pushed in this run). */
  noteBlob(digest: string, repository: string): void {
    let homes = this.blobHomes.get(digest);
    if (homes === undefined) {
      homes = new Set();
      this.blobHomes.set(digest, homes);
    }
    homes.add(repository);
  }

  /** Repositories on this host known to hold `digest`, other than `except`. */
  blobSources(digest: string, except: string): string[] {
    return [...(this.blobHomes.get(digest) ?? [])].filter((r) => r !== except);
  }

  emit(event: RegistryEvent): void {
    this.options.onEvent?.(event);
  }

  mayUseHttp(host: string): boolean {
    return isLoopbackHost(host) || isInsecureHost(host, this.options.insecureRegistries ?? []);
  }

  /**
   * Pings `/v2/` once and learns the scheme (https, or http for loopback and insecure
   * hosts that do not speak TLS) and the auth challenge. Every request waits for it.
   */
  ping(): Promise<URL> {
    this.base ??= this.discover().catch((err: unknown) => {
      this.base = undefined; // the next command may find the registry up
      throw err;
    });
    return this.base;
  }

  private async discover(): Promise<URL> {
    const mayHttp = this.mayUseHttp(this.apiHost);
    const secure = new URL(`https://${this.apiHost}/`);
    if (!mayHttp) return this.probe(secure, false);
    // Loopback and insecure hosts: https first (a TLS registry on 127.0.0.1 stays verified),
    // plain http when the server does not speak TLS at all. A plain server may also just
    // hang up on a TLS hello, so a reset counts as "not TLS" here; the https try is made
    // once, and a refused connection is left to the http probe and its retries.
    try {
      return await this.probe(secure, true);
    } catch (err) {
      const cause = err instanceof AirlockError ? err.cause : err;
      const code = errorCode(cause);
      if (!isNotTlsError(cause) && code !== 'ECONNRESET' && code !== 'ECONNREFUSED') throw err;
    }
    return this.probe(new URL(`http://${this.apiHost}/`), false);
  }

  private async probe(base: URL, once: boolean): Promise<URL> {
    const res = await this.exchange(
      { method: 'GET', url: new URL('/v2/', base), scopes: [], ok: 'any', what: 'API check /v2/', anonymous: true, once },
      base,
    );
    const body = await readSome(res);
    if (res.status === 200 || res.status === 401) {
      if (res.status === 401) this.auth.learn(res.headers['www-authenticate']);
      return base;
    }
    if (res.status === 404) {
      throw new AirlockError('REGISTRY_ERROR', `${this.host} does not serve the registry API (GET /v2/ answered 404)`, {
        hint: 'check the host name: it must be the registry itself, not a web UI or a path below it',
      });
    }
    throw this.redact(registryError(res.status, body, { host: this.host, method: 'GET', what: 'API check /v2/' }));
  }

  /**
   * Checks that the credentials are accepted (what `login` does before it saves them):
   * `/v2/` with Basic, or with a token the token service issued for them. Returns false
   * when the registry asks for no login at all, so nothing could be checked.
   */
  async checkLogin(): Promise<boolean> {
    const base = await this.ping();
    const res = await this.request({ method: 'GET', url: new URL('/v2/', base), scopes: [], ok: [200], what: 'login check /v2/' });
    discard(res);
    return this.auth.scheme !== undefined;
  }

  /**
   * Sends an operation with auth, retries (backoff, Retry-After) and redirects.
   * Returns the response for the statuses in `op.ok`; any other ends in an AirlockError
   * naming the host and object, with secrets redacted.
   */
  async request(op: Operation): Promise<HttpResponse> {
    const base = await this.ping();
    return this.exchange(op, base);
  }

  private async exchange(op: Operation, base: URL): Promise<HttpResponse> {
    let scopes = [...op.scopes];
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      const url = op.url ?? new URL(op.path ?? '/v2/', base);
      const use: AuthUse = op.anonymous || url.origin !== base.origin ? {} : await this.auth.authorize(scopes);
      let res: HttpResponse;
      try {
        res = await this.follow(op, url, base, use.header);
      } catch (err) {
        if (consumed(op.body)) throw this.redact(unreplayable(err, this.host, op.what));
        if (isTransientNetworkError(err) && attempt < this.retry.retries && !op.once) {
          await this.pause(attempt, op, messageOf(err));
          continue;
        }
        throw this.redact(networkError(err, this.host, `${op.method} ${op.what}`));
      }

      if (res.status === 401 && !op.anonymous && res.url.origin === base.origin) {
        const body = await readSome(res);
        const next = authRetried ? undefined : await this.auth.unauthorized(res.headers['www-authenticate'], scopes, use);
        if (next !== undefined && !consumed(op.body)) {
          authRetried = true;
          scopes = next;
          attempt--; // an auth round trip is not a failure
          continue;
        }
        const err = registryError(401, body, this.context(op));
        if (consumed(op.body)) {
          // The token ran out during a long upload: the next attempt gets a fresh one.
          throw this.redact(new AirlockError('UNAUTHORIZED', err.message, { hint: err.hint ?? '', retryable: true }));
        }
        throw this.redact(insufficientScope(err, res.headers['www-authenticate'], this.host, op));
      }
      if (op.ok === 'any' ? !isRetryableStatus(res.status) || attempt >= this.retry.retries : op.ok.includes(res.status)) return res;
      if (isRetryableStatus(res.status) && attempt < this.retry.retries && !consumed(op.body)) {
        const retryAfter = responseHeader(res, 'retry-after');
        const wait = parseRetryAfter(retryAfter, this.retry.maxDelayMs);
        discard(res);
        await this.pause(attempt, op, `HTTP ${res.status}`, wait);
        continue;
      }
      const body = op.method === 'HEAD' ? Buffer.alloc(0) : await readSome(res);
      discard(res);
      throw this.redact(registryError(res.status, body, this.context(op)));
    }
  }

  private context(op: Operation): { host: string; repository?: string; method: string; what: string } {
    return { host: this.host, method: op.method, what: op.what, ...(op.repository !== undefined ? { repository: op.repository } : {}) };
  }

  private async pause(attempt: number, op: Operation, why: string, wait?: number): Promise<void> {
    const delayMs = wait ?? backoffDelay(attempt, this.retry);
    this.emit({ kind: 'retry', host: this.host, what: `${op.method} ${op.what}`, detail: why, delayMs });
    await sleep(delayMs);
  }

  /** One send, following redirects; Authorization goes only to the registry's own origin. */
  private async follow(op: Operation, start: URL, base: URL, authorization: string | undefined): Promise<HttpResponse> {
    let url = start;
    let method: string = op.method;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'airlock', ...headersForHop(op.headers, start, url) };
      if (authorization !== undefined && url.origin === base.origin) headers.authorization = authorization;
      const res = await send(this.agentFor(url, base), { method, url, headers, ...(op.body !== undefined ? { body: op.body } : {}) }, this.timeouts);
      const location = responseHeader(res, 'location');
      if (!op.redirects || !REDIRECT_STATUSES.has(res.status) || location === undefined) return res;
      discard(res);
      const next = redirectTarget(url, location, { host: this.host, what: op.what, hop, mayUseHttp: (h) => this.mayUseHttp(h) });
      if (res.status === 303) method = 'GET';
      this.emit({ kind: 'redirect', host: this.host, what: `${op.method} ${op.what}`, detail: next.host });
      url = next;
    }
  }

  private agentFor(url: URL, base: URL): http.Agent {
    if (url.protocol === 'http:') return this.agents.http;
    // Verification is skipped only for the host the user named insecure, never for a redirect target.
    if (this.insecure && url.host === base.host) return this.agents.httpsInsecure;
    return this.agents.https;
  }

  /** Removes passwords and tokens from an error before it leaves the client. */
  redact(err: AirlockError): AirlockError {
    const secrets = [...this.auth.secrets(), ...(this.knownCreds ? secretsOf(this.knownCreds) : [])].filter((s) => s.length >= 4);
    const clean = (text: string): string => {
      let out = text;
      for (const s of secrets) out = out.split(s).join('***');
      return out.replace(JWT_LIKE, '***');
    };
    const message = clean(err.message);
    const hint = err.hint === undefined ? undefined : clean(err.hint);
    if (message === err.message && hint === err.hint) return err;
    return new AirlockError(err.code, message, { ...(hint !== undefined ? { hint } : {}), retryable: err.retryable });
  }
}

function consumed(body: RequestBody | undefined): boolean {
  return isStreamBody(body) && body.started;
}

function unreplayable(err: unknown, host: string, what: string): AirlockError {
  const base = err instanceof AirlockError ? err : networkError(err, host, what);
  // A verifier or source error (digest mismatch, source gone) is about the content, not the network: keep it.
  if (err instanceof AirlockError && err.code !== 'NETWORK' && err.code !== 'TIMEOUT') return err;
  return new AirlockError(base.code, `${base.message} (the upload of ${what} to ${host} was cut off after its content started; the source stream cannot be replayed)`, {
    hint: 'run the command again: blobs already pushed are skipped',
    retryable: true,
    cause: err,
  });
}

function insufficientScope(err: AirlockError, challenge: string | string[] | undefined, host: string, op: Operation): AirlockError {
  const text = Array.isArray(challenge) ? challenge.join(' ') : (challenge ?? '');
  if (!/insufficient_scope/.test(text)) return err;
  const writing = op.method !== 'GET' && op.method !== 'HEAD';
  return new AirlockError('DENIED', `${err.message}: the login for ${host} lacks ${writing ? 'push' : 'pull'} rights on ${op.repository ?? 'the repository'}`, {
    hint: writing ? `ask for push rights on ${op.repository ?? 'the repository'} or log in with another account` : 'log in with an account that may read it',
  });
}
