import { AirlockError } from '../errors.js';
import { pickChallenge, type Challenge } from './challenge.js';
import type { Credentials } from './credentials.js';

/** What the authenticator needs from the client: credentials, and a way to call the token service. */
export interface AuthContext {
  host: string;
  credentials(): Promise<Credentials | undefined>;
  /** One request to the token realm (retries and TLS rules handled by the client); body read in full. */
  call(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; body: Buffer }>;
  /** Whether a realm URL may be plain http (see plainRealmAllowed in transport.ts). */
  mayUseHttp(url: URL): Promise<boolean>;
  now(): number;
  onToken?(detail: string): void;
}

interface Token {
  value: string;
  scopes: string[];
  expiresAt: number;
  /** When to fetch a new one before it runs out: a request must not start with a dying token. */
  refreshAt: number;
}

/** What an authorized request carried, so a 401 can retire exactly that token. */
export interface AuthUse {
  header?: string;
  token?: Token;
}

/** `repository:NAME:pull` or `repository:NAME:pull,push`. */
export function repositoryScope(name: string, push: boolean): string {
  return `repository:${name}:${push ? 'pull,push' : 'pull'}`;
}

function parseScope(scope: string): { resource: string; actions: Set<string> } {
  const last = scope.lastIndexOf(':');
  return { resource: scope.slice(0, last), actions: new Set(scope.slice(last + 1).split(',')) };
}

/** Whether a token granted for `have` also serves `want` (a pull,push token serves pulls). */
export function scopesCover(have: readonly string[], want: readonly string[]): boolean {
  const granted = have.map(parseScope);
  return want.every((w) => {
    const need = parseScope(w);
    return granted.some((g) => g.resource === need.resource && [...need.actions].every((a) => g.actions.has(a) || g.actions.has('*')));
  });
}

/** Default lifetime when a token service does not say (the distribution token spec's 60 s). */
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_BODY_LIMIT = 1024 * 1024;

/**
 * Registry authentication for one host: anonymous, Basic, or Bearer tokens from the
 * realm a `WWW-Authenticate` challenge names. Tokens are cached per scope and
 * fetched again before they run out; a 401 retires the token that failed.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private tokens: Token[] = [];
  private pending = new Map<string, Promise<Token>>();
  private issued: string[] = [];

  constructor(private readonly ctx: AuthContext) {}

  /** Remembers the challenge of a `/v2/` ping so the first real request is already authorized. */
  learn(header: string | string[] | undefined): void {
    const challenge = pickChallenge(header);
    if (challenge !== undefined) this.challenge = challenge;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** Every token this authenticator obtained, for redaction from messages. */
  secrets(): string[] {
    return this.issued;
  }

  /** The Authorization header for a request needing `scopes` (undefined = send none). */
  async authorize(scopes: readonly string[]): Promise<AuthUse> {
    const challenge = this.challenge;
    if (challenge === undefined) return {};
    const creds = await this.ctx.credentials();
    if (creds?.registryToken !== undefined) return { header: `Bearer ${creds.registryToken}` };
    if (challenge.scheme === 'basic') {
      if (creds?.username === undefined || creds.password === undefined) return {};
      return { header: basicHeader(creds.username, creds.password) };
    }
    if (challenge.scheme !== 'bearer') return {};
    const token = await this.token(challenge, scopes, creds);
    return { header: `Bearer ${token.value}`, token };
  }

  /**
   * Handles a 401. Returns the scopes to retry with (the request's plus any the
   * challenge names), or undefined when trying again cannot help.
   */
  async unauthorized(header: string | string[] | undefined, scopes: readonly string[], used: AuthUse): Promise<string[] | undefined> {
    const challenge = pickChallenge(header);
    if (challenge === undefined) return undefined;
    const previous = this.challenge;
    this.challenge = challenge;
    if (used.token !== undefined) this.tokens = this.tokens.filter((t) => t !== used.token);
    const extra = (challenge.params.scope ?? '').split(' ').filter((s) => s !== '' && !scopes.includes(s));
    const next = [...scopes, ...extra];
    if (challenge.scheme === 'basic') {
      // Basic credentials that were sent and refused will be refused again.
      if (used.header !== undefined && previous?.scheme === 'basic') return undefined;
      const creds = await this.ctx.credentials();
      return creds?.username !== undefined && creds.password !== undefined ? next : undefined;
    }
    if (challenge.scheme === 'bearer') {
      const creds = await this.ctx.credentials();
      if (creds?.registryToken !== undefined) return undefined;
      return next;
    }
    return undefined;
  }

  private async token(challenge: Challenge, scopes: readonly string[], creds: Credentials | undefined): Promise<Token> {
    const now = this.ctx.now();
    this.tokens = this.tokens.filter((t) => t.expiresAt > now);
    const cached = this.tokens.find((t) => t.refreshAt > now && scopesCover(t.scopes, scopes));
    if (cached !== undefined) return cached;
    const key = `${challenge.params.realm ?? ''} ${[...scopes].sort().join(' ')}`;
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(challenge, [...scopes], creds).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(challenge: Challenge, scopes: string[], creds: Credentials | undefined): Promise<Token> {
    const host = this.ctx.host;
    const realmText = challenge.params.realm;
    if (realmText === undefined || realmText === '') {
      throw new AirlockError('UNAUTHORIZED', `${host} asks for a bearer token but names no token service (realm)`, {
        hint: 'the registry or a proxy in front of it is misconfigured',
      });
    }
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new AirlockError('UNAUTHORIZED', `${host} names an invalid token service URL`, { hint: 'the registry is misconfigured' });
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && (await this.ctx.mayUseHttp(realm)))) {
      throw new AirlockError('UNAUTHORIZED', `${host} sends logins to a token service over plain http (${realm.host}); refused`, {
        hint: `credentials must not travel unencrypted: a plain http token service is accepted only for a loopback registry reached over http, or for a host named with --insecure-registry (only if you accept that)`,
      });
    }
    const service = challenge.params.service;
    const who = creds?.source !== undefined ? ` (credentials from ${creds.source})` : ' (anonymous)';
    let res: { status: number; body: Buffer };
    if (creds?.identityToken !== undefined) {
      res = await this.oauthPost(realm, service, scopes, { grant_type: 'refresh_token', refresh_token: creds.identityToken });
    } else {
      const url = new URL(realm);
      if (service !== undefined) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      const basic = creds?.username !== undefined && creds.password !== undefined;
      if (basic) headers.authorization = basicHeader(creds.username!, creds.password!);
      res = await this.ctx.call('GET', url, headers);
      // Some token services only speak OAuth2 POST (the spec's optional fallback).
      if ((res.status === 404 || res.status === 405) && basic) {
        res = await this.oauthPost(realm, service, scopes, {
          grant_type: 'password',
          username: creds.username!,
          password: creds.password!,
        });
      }
    }
    if (res.status === 401 || res.status === 403) {
      throw new AirlockError('UNAUTHORIZED', `the token service of ${host} (${realm.host}) refused the login${who} for ${scopes.join(' ') || 'the registry'}`, {
        hint: `check the user name and password: airlock login ${host} -u USER --password-stdin`,
      });
    }
    if (res.status !== 200) {
      throw new AirlockError('REGISTRY_ERROR', `the token service of ${host} (${realm.host}) answered HTTP ${res.status}`, {
        hint: 'the registry\'s token service is failing; run the command again later',
        retryable: res.status >= 500,
      });
    }
    if (res.body.length > TOKEN_BODY_LIMIT) {
      throw new AirlockError('REGISTRY_ERROR', `the token service of ${host} sent an oversized answer`);
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(res.body.toString('utf8')) as typeof doc;
    } catch {
      throw new AirlockError('REGISTRY_ERROR', `the token service of ${host} (${realm.host}) did not answer JSON`, {
        hint: 'a proxy may be in the way, or the realm is not a registry token service',
      });
    }
    const value = typeof doc.token === 'string' && doc.token !== '' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (value === '') throw new AirlockError('REGISTRY_ERROR', `the token service of ${host} (${realm.host}) answered without a token`);
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_SECONDS;
    const now = this.ctx.now();
    const lifetime = seconds * 1000;
    // Fetch a new one a little early: min(30 s, half its life), so a 2 s token is renewed after 1 s.
    const token: Token = { value, scopes, expiresAt: now + lifetime, refreshAt: now + lifetime - Math.min(30_000, lifetime / 2) };
    // Old tokens stay in the redaction list a while: an error may quote one that just expired.
    this.issued = [...this.issued.slice(-49), value];
    this.tokens.push(token);
    this.ctx.onToken?.(`token for ${scopes.join(' ') || 'the registry'}, valid ${seconds} s`);
    return token;
  }

  private oauthPost(realm: URL, service: string | undefined, scopes: string[], grant: Record<string, string>): Promise<{ status: number; body: Buffer }> {
    const form = new URLSearchParams({ ...grant, client_id: 'airlock', ...(service !== undefined ? { service } : {}) });
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    return this.ctx.call('POST', realm, { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(form.toString()));
  }
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
