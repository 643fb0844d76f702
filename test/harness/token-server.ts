import { randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeSigningCert } from './tls.js';

/**
 * A small token service for distribution's `auth: token`: checks Basic credentials,
 * grants the requested scopes and signs an ES256 JWT whose `x5c` header carries the
 * signer certificate, the one the registry trusts through its rootcertbundle.
 */
export interface TokenServerOptions {
  /** The `service` the registry names (it becomes the `aud` claim). */
  service: string;
  issuer: string;
  /** Users and passwords; empty = only anonymous. */
  users?: Record<string, string>;
  /** Whether an anonymous request gets pull access (a public registry). Default false. */
  anonymousPull?: boolean;
  /** Grant only `pull`, whatever is asked (a robot account that may read but not push). */
  pullOnly?: boolean;
  /** Token lifetime: `expires_in` and the `exp` claim. Default 300 s. */
  ttlSeconds?: number;
  /** Answer GET with 405: only OAuth2 POST (grant_type=password / refresh_token) is served. */
  oauthOnly?: boolean;
  /** OAuth2 refresh tokens (docker config `identitytoken`) and the user each stands for. */
  refreshTokens?: Record<string, string>;
  /** Folder for the signing key and certificate. */
  dir: string;
}

export interface IssuedToken {
  user: string | undefined;
  scopes: string[];
  token: string;
  expired: boolean;
}

export interface TokenServer {
  realm: string;
  /** The signer certificate: the registry's rootcertbundle. */
  certFile: string;
  issued: IssuedToken[];
  /** Requests refused for bad credentials. */
  refused: number;
  /** The next `n` tokens are born expired (beyond distribution's 60 s leeway): a 401 from the registry follows. */
  expireNext(n: number): void;
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function basicUser(req: IncomingMessage): { user: string; password: string } | undefined {
  const header = req.headers.authorization;
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const text = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon === -1 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const signer = await makeSigningCert(opts.dir);
  const ttl = opts.ttlSeconds ?? 300;
  const issued: IssuedToken[] = [];
  let expireCount = 0;
  let refused = 0;

  const makeToken = (user: string | undefined, scopes: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const expired = expireCount > 0;
    if (expired) expireCount--;
    // Born expired: before now minus the registry's 60 s leeway.
    const iat = expired ? now - 600 : now;
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop() ?? '';
      const name = rest.join(':');
      const wanted = actions.split(',').filter((a) => a !== '');
      const granted = user !== undefined && !opts.pullOnly ? wanted : (user !== undefined || opts.anonymousPull) ? wanted.filter((a) => a === 'pull') : [];
      return { type, name, actions: granted };
    });
    const header = { typ: 'JWT', alg: 'ES256', x5c: [signer.certDerBase64] };
    const claims = {
      iss: opts.issuer,
      sub: user ?? '',
      aud: opts.service,
      exp: iat + ttl,
      nbf: iat - 1,
      iat,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(data), { key: signer.keyPem, dsaEncoding: 'ieee-p1363' });
    const token = `${data}.${b64url(signature)}`;
    issued.push({ user, scopes, token, expired });
    return token;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let user: string | undefined;
      let scopes: string[];
      if (req.method === 'POST') {
        // OAuth2: grant_type=password (the optional fallback of the spec) or refresh_token (identity tokens).
        const form = await formBody(req);
        const grant = form.get('grant_type');
        const name = grant === 'refresh_token' ? opts.refreshTokens?.[form.get('refresh_token') ?? ''] : form.get('username') ?? '';
        const ok = grant === 'refresh_token' ? name !== undefined : grant === 'password' && opts.users?.[name ?? ''] === form.get('password');
        if (!ok || form.get('service') !== opts.service) {
          refused++;
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        user = name;
        scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      } else if (opts.oauthOnly) {
        res.writeHead(405).end();
        return;
      } else {
        const basic = basicUser(req);
        if (basic !== undefined) {
          if (opts.users?.[basic.user] !== basic.password) {
            refused++;
            res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' });
            res.end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
            return;
          }
          user = basic.user;
        }
        scopes = url.searchParams.getAll('scope');
      }
      if (url.searchParams.get('service') !== null && url.searchParams.get('service') !== opts.service && req.method === 'GET') {
        res.writeHead(400).end('wrong service');
        return;
      }
      const token = makeToken(user, scopes);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() }));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile: signer.certFile,
    issued,
    get refused() {
      return refused;
    },
    expireNext(n) {
      expireCount = n;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
