/**
 * Credentials never follow a redirect to another origin, and never travel to a
 * plain-http token service unless nothing leaves the machine. A fake registry on
 * 127.0.0.1 sends its token requests elsewhere; a capturing server on another
 * 127.0.0.1 port records what it receives.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/index.js';
import { headersForHop, plainRealmAllowed } from '../src/registry/transport.js';
import { isAirlockError } from '../src/errors.js';

const USER = 'alice';
const PASSWORD = 's3cret-Passw0rd';

interface Listening {
  server: Server;
  port: number;
  seen: { url: string; headers: IncomingHttpHeaders }[];
}

async function listen(handler: (url: URL, headers: IncomingHttpHeaders, res: import('node:http').ServerResponse, port: number) => void): Promise<Listening> {
  const seen: Listening['seen'] = [];
  let port = 0;
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    handler(new URL(req.url ?? '/', `http://127.0.0.1:${port}`), req.headers, res, port);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return { server, port, seen };
}

let capture: Listening;
const servers: Server[] = [];

beforeAll(async () => {
  // The other origin: answers like a token service, and remembers every header.
  capture = await listen((_url, _headers, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: 'stolen-token', expires_in: 300 }));
  });
});

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  capture.seen.length = 0;
});

afterAll(async () => {
  await new Promise((r) => capture.server.close(r));
});

/** A registry whose token endpoint (on its own origin) answers 302 to `location(port)`. */
async function redirectingRegistry(location: (ownPort: number) => string): Promise<Listening> {
  const reg = await listen((url, headers, res, port) => {
    if (url.pathname === '/token') {
      res.writeHead(302, { location: location(port) });
      return void res.end();
    }
    if (headers.authorization === 'Bearer stolen-token' || headers.authorization === 'Bearer good-token') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    }
    res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="fake"`, 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}');
  });
  servers.push(reg.server);
  return reg;
}

async function resolveOn(port: number): Promise<unknown> {
  const client = new RegistryClient(`127.0.0.1:${port}`, { credentials: { [`127.0.0.1:${port}`]: { username: USER, password: PASSWORD } }, retry: { retries: 0 } });
  try {
    return await client.repository('org/app').resolve('v1');
  } catch (err) {
    return err;
  }
}

describe('credentials on redirects (item 5)', () => {
  it('a token endpoint redirecting to another port gets the password; the new origin does not', async () => {
    const reg = await redirectingRegistry(() => `http://127.0.0.1:${capture.port}/steal?x=1`);
    const err = await resolveOn(reg.port);
    // The registry's own token endpoint got the login; the capture server was reached without it.
    const own = reg.seen.find((r) => r.url.startsWith('/token'));
    expect(own?.headers.authorization).toBe(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    expect(capture.seen.length).toBeGreaterThan(0);
    for (const r of capture.seen) {
      expect(r.headers.authorization).toBeUndefined();
      expect(JSON.stringify(r.headers)).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
    }
    expect(isAirlockError(err, 'NOT_FOUND')).toBe(true);
  });

  it('another host name for the same address (localhost vs 127.0.0.1) is another origin too', async () => {
    const reg = await redirectingRegistry(() => `http://localhost:${capture.port}/steal`);
    await resolveOn(reg.port);
    expect(capture.seen.length).toBeGreaterThan(0);
    for (const r of capture.seen) expect(r.headers.authorization).toBeUndefined();
  });

  it('headersForHop: scheme, host and port all count', () => {
    const h = { authorization: 'Basic x', Cookie: 'c', 'proxy-authorization': 'p', accept: 'a' };
    const from = new URL('http://127.0.0.1:5000/token');
    expect(headersForHop(h, from, new URL('http://127.0.0.1:5000/other'))).toEqual(h);
    for (const to of ['https://127.0.0.1:5000/token', 'http://127.0.0.1:5001/token', 'http://localhost:5000/token']) {
      expect(headersForHop(h, from, new URL(to)), to).toEqual({ accept: 'a' });
    }
  });
});

describe('plain-http token services', () => {
  it('are accepted only for a loopback registry reached over http, or a realm named insecure', () => {
    const u = (s: string): URL => new URL(s);
    expect(plainRealmAllowed(u('http://127.0.0.1:1/token'), u('http://127.0.0.1:2/'), [])).toBe(true);
    expect(plainRealmAllowed(u('http://[::1]:1/token'), u('http://localhost:2/'), [])).toBe(true);
    // The registry spoke TLS: its logins must not fall back to plain http, even on loopback.
    expect(plainRealmAllowed(u('http://127.0.0.1:1/token'), u('https://127.0.0.1:2/'), [])).toBe(false);
    // A loopback registry sending logins to another machine in clear.
    expect(plainRealmAllowed(u('http://auth.example.com/token'), u('http://127.0.0.1:2/'), [])).toBe(false);
    expect(plainRealmAllowed(u('http://auth.example.com/token'), u('https://registry.example.com/'), [])).toBe(false);
    expect(plainRealmAllowed(u('http://auth.internal/token'), u('http://registry.internal/'), ['auth.internal'])).toBe(true);
  });

  it('a loopback registry over http whose realm is another machine over http: refused before anything is sent', async () => {
    const reg = await listen((_url, _headers, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://auth.example.invalid/token",service="fake"' });
      res.end();
    });
    servers.push(reg.server);
    const err = await resolveOn(reg.port);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', message: `127.0.0.1:${reg.port} sends logins to a token service over plain http (auth.example.invalid); refused` });
  });
});
