import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small in-memory registry on 127.0.0.1, only for faults a real registry cannot
 * produce on demand: rate limits, resets mid-body, short or corrupt bodies, 5xx,
 * expired tokens, redirects to a storage host. Storage is global (repositories are
 * not separated); the test decides what each request meets.
 */
export type Fault =
  /** No fault for this request (to aim the next one at a later request). */
  | { pass: true }
  /** Answer with this status (and headers/body) instead of the real answer. */
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Close the connection without an answer. */
  | { reset: true }
  /** Send the real headers and half of the body, then cut the connection. */
  | { cutAfter: number }
  /** Announce the full length, send fewer bytes, end the response cleanly (no Content-Length lie detection by TCP). */
  | { truncateTo: number }
  /** Send the body with one byte flipped. */
  | { corrupt: true }
  /** Never answer (the client's idle timeout must fire). */
  | { stall: true }
  /** Read this many bytes of the request body, then cut the connection (an upload dying mid-way). */
  | { readThenReset: number };

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export interface FakeRegistryOptions {
  /** Require `Authorization: Bearer` tokens from its own `/token` endpoint. */
  bearer?: boolean;
  /** Required Basic credentials at the token endpoint (with bearer) or on every request (without). */
  basic?: { user: string; password: string };
  /** `expires_in` of the tokens it issues. */
  tokenSeconds?: number;
  /** Redirect blob GETs to this base URL (a storage backend), `/storage/<digest>` appended. */
  redirectBlobsTo?: string;
}

export interface FakeRegistry {
  host: string;
  url: string;
  requests: FakeRequest[];
  blobs: Map<string, Buffer>;
  /** `repo:reference` → manifest. */
  manifests: Map<string, { bytes: Buffer; mediaType: string }>;
  /** Uploaded blobs by digest (commit order). */
  committed: string[];
  tokensIssued: number;
  addBlob(bytes: Buffer): string;
  addManifest(repo: string, tag: string, bytes: Buffer, mediaType: string): string;
  /** Queues faults for requests matching `method` and `path`, met in order, one per request. */
  fault(method: string, path: RegExp, ...faults: Fault[]): void;
  /** Every token issued so far stops working (the next request gets a 401). */
  expireTokens(): void;
  count(method: string, path: RegExp): number;
  stop(): Promise<void>;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, detail: null }] });
}

export async function startFakeRegistry(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const requests: FakeRequest[] = [];
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const uploads = new Map<string, Buffer[]>();
  const committed: string[] = [];
  const faults: { method: string; path: RegExp; queue: Fault[] }[] = [];
  const validTokens = new Set<string>();
  const sockets = new Set<Socket>();
  let tokensIssued = 0;
  let base = '';

  const takeFault = (method: string, path: string): Fault | undefined => {
    for (const f of faults) if (f.method === method && f.path.test(path) && f.queue.length > 0) return f.queue.shift();
    return undefined;
  };

  const sendBody = (res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer, fault: Fault | undefined, head: boolean): void => {
    const all = { 'content-length': String(body.length), 'docker-distribution-api-version': 'registry/2.0', ...headers };
    if (head) {
      res.writeHead(status, all).end();
      return;
    }
    if (fault !== undefined && 'cutAfter' in fault) {
      res.writeHead(status, all);
      res.write(body.subarray(0, fault.cutAfter), () => res.socket?.destroy());
      return;
    }
    if (fault !== undefined && 'truncateTo' in fault) {
      // Claims the full length, sends less, then closes: what a dying proxy does.
      res.writeHead(status, all);
      res.write(body.subarray(0, fault.truncateTo), () => res.socket?.end());
      return;
    }
    if (fault !== undefined && 'corrupt' in fault) {
      const copy = Buffer.from(body);
      if (copy.length > 0) copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
      res.writeHead(status, all).end(copy);
      return;
    }
    res.writeHead(status, all).end(body);
  };

  const waiting = new WeakSet<IncomingMessage>();
  const readBody = async (req: IncomingMessage, res: ServerResponse): Promise<Buffer> => {
    // Like Go's server: 100 Continue only once the handler wants the body.
    if (waiting.has(req)) {
      waiting.delete(req);
      res.writeContinue();
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  const basicOk = (req: IncomingMessage): boolean => {
    if (opts.basic === undefined) return true;
    const want = `Basic ${Buffer.from(`${opts.basic.user}:${opts.basic.password}`).toString('base64')}`;
    return req.headers.authorization === want;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname + url.search, headers: req.headers });
    const fault = takeFault(method, url.pathname);
    if (fault !== undefined && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined && 'stall' in fault) return;
    if (fault !== undefined && 'readThenReset' in fault) {
      if (waiting.has(req)) {
        waiting.delete(req);
        res.writeContinue();
      }
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= fault.readThenReset) req.socket.destroy();
      });
      return;
    }
    if (fault !== undefined && 'status' in fault) {
      // Like Go's server: answer without reading the body (a 100-continue client sends none).
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? errorBody(fault.status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN', `injected ${fault.status}`));
      return;
    }

    if (url.pathname === '/token') {
      if (!basicOk(req)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(errorBody('UNAUTHORIZED', 'bad credentials'));
        return;
      }
      const token = randomBytes(16).toString('hex');
      validTokens.add(token);
      tokensIssued++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: opts.tokenSeconds ?? 300 }));
      return;
    }
    if (url.pathname.startsWith('/storage/')) {
      const digest = url.pathname.slice('/storage/'.length);
      const bytes = blobs.get(digest);
      if (bytes === undefined) res.writeHead(404).end();
      else sendRange(req, res, bytes, fault, method === 'HEAD');
      return;
    }

    if (opts.bearer) {
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !validTokens.has(auth.slice(7))) {
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="${base}/token",service="fake"`,
        });
        res.end(errorBody('UNAUTHORIZED', 'authentication required'));
        return;
      }
    } else if (opts.basic !== undefined && !basicOk(req)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="fake"' });
      res.end(errorBody('UNAUTHORIZED', 'authentication required'));
      return;
    }

    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m !== null) {
      const key = `${m[1]}:${m[2]}`;
      if (method === 'PUT') {
        const bytes = await readBody(req, res);
        const entry = { bytes, mediaType: req.headers['content-type'] ?? '' };
        manifests.set(key, entry);
        manifests.set(`${m[1]}:${sha256(bytes)}`, entry);
        res.writeHead(201, { 'docker-content-digest': sha256(bytes), location: `/v2/${m[1]}/manifests/${sha256(bytes)}` }).end();
        return;
      }
      const entry = manifests.get(key);
      if (entry === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(errorBody('MANIFEST_UNKNOWN', 'manifest unknown'));
        return;
      }
      sendBody(res, 200, { 'content-type': entry.mediaType, 'docker-content-digest': sha256(entry.bytes) }, entry.bytes, fault, method === 'HEAD');
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (m !== null) {
      const bytes = blobs.get(m[2]!);
      if (bytes === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(method === 'HEAD' ? undefined : errorBody('BLOB_UNKNOWN', 'blob unknown'));
        return;
      }
      if (opts.redirectBlobsTo !== undefined && method === 'GET') {
        res.writeHead(307, { location: `${opts.redirectBlobsTo}/storage/${m[2]}` }).end();
        return;
      }
      sendRange(req, res, bytes, fault, method === 'HEAD');
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/uploads\/$/.exec(url.pathname);
    if (m !== null && method === 'POST') {
      const id = randomBytes(8).toString('hex');
      uploads.set(id, []);
      // Relative Location, as some registries (and distribution with relativeurls) send.
      res.writeHead(202, { location: `/v2/${m[1]}/blobs/uploads/${id}?_state=s0`, range: '0-0', 'content-length': '0' }).end();
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/uploads\/([a-f0-9]+)$/.exec(url.pathname);
    if (m !== null) {
      const parts = uploads.get(m[2]!);
      if (parts === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(errorBody('BLOB_UPLOAD_UNKNOWN', 'upload unknown'));
        return;
      }
      const body = await readBody(req, res);
      if (method === 'PATCH') {
        parts.push(body);
        const size = parts.reduce((n, p) => n + p.length, 0);
        // Absolute Location this time: clients must take both.
        res.writeHead(202, { location: `${base}/v2/${m[1]}/blobs/uploads/${m[2]}?_state=s${size}`, range: `0-${size - 1}`, 'content-length': '0' }).end();
        return;
      }
      if (method === 'PUT') {
        parts.push(body);
        const all = Buffer.concat(parts);
        const digest = url.searchParams.get('digest') ?? '';
        if (sha256(all) !== digest) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(errorBody('DIGEST_INVALID', 'provided digest did not match uploaded content'));
          return;
        }
        blobs.set(digest, all);
        committed.push(digest);
        uploads.delete(m[2]!);
        res.writeHead(201, { location: `/v2/${m[1]}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': '0' }).end();
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  };

  const sendRange = (req: IncomingMessage, res: ServerResponse, bytes: Buffer, fault: Fault | undefined, head: boolean): void => {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range !== null) {
      const start = Number(range[1]);
      sendBody(res, 206, { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` }, bytes.subarray(start), fault, head);
      return;
    }
    sendBody(res, 200, { 'content-type': 'application/octet-stream' }, bytes, fault, head);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    waiting.add(req);
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    host: `127.0.0.1:${port}`,
    url: base,
    requests,
    blobs,
    manifests,
    committed,
    get tokensIssued() {
      return tokensIssued;
    },
    addBlob(bytes) {
      const digest = sha256(bytes);
      blobs.set(digest, bytes);
      return digest;
    },
    addManifest(repo, tag, bytes, mediaType) {
      const digest = sha256(bytes);
      manifests.set(`${repo}:${tag}`, { bytes, mediaType });
      manifests.set(`${repo}:${digest}`, { bytes, mediaType });
      return digest;
    },
    fault(method, path, ...list) {
      faults.push({ method, path, queue: list });
    },
    expireTokens() {
      validTokens.clear();
    },
    count(method, path) {
      return requests.filter((r) => r.method === method && path.test(r.path.split('?')[0]!)).length;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
