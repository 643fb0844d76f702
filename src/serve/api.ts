import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { BundleReader } from '../archive/index.js';
import { MANIFEST_SIZE_LIMIT, readVerified, VerifyingStream } from '../content/verify.js';
import { isAirlockError, messageOf } from '../errors.js';
import { isDigest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { manifestIn, type Catalog, type Repository } from './catalog.js';
import { parseRange } from './range.js';
import { paginate, route } from './routes.js';
import { Window } from './window.js';

/** What the request log says of one response beyond its status. */
export interface Outcome {
  /** Body bytes sent. */
  bytes: number;
  /** Why a transfer was cut or failed (a blob that no longer matches its digest). */
  error?: string;
}

export interface ApiContext {
  catalog: Catalog;
  reader: BundleReader;
  /** Bounds concurrent reads from the bundle (manifests and blob transfers). */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
}

/** The spec's error codes this read-only registry answers with. */
type ErrorCode = 'NAME_UNKNOWN' | 'MANIFEST_UNKNOWN' | 'BLOB_UNKNOWN' | 'DIGEST_INVALID' | 'UNSUPPORTED' | 'PAGINATION_NUMBER_INVALID' | 'UNKNOWN';

const EMPTY_INDEX = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));

function send(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer, type: string, headers: Record<string, string> = {}): Outcome {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(body.length), ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
  return { bytes: req.method === 'HEAD' ? 0 : body.length };
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): Outcome {
  return send(req, res, status, Buffer.from(JSON.stringify(value)), 'application/json', headers);
}

function fail(req: IncomingMessage, res: ServerResponse, status: number, code: ErrorCode, message: string, detail?: unknown): Outcome {
  return sendJson(req, res, status, { errors: [{ code, message, ...(detail !== undefined ? { detail } : {}) }] });
}

/** `n` of a paginated list: a whole number >= 0, or absent. */
function pageSize(query: URLSearchParams): number | undefined | 'invalid' {
  const text = query.get('n');
  if (text === null) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && text.trim() !== '' ? n : 'invalid';
}

function listPage(req: IncomingMessage, res: ServerResponse, url: URL, items: readonly string[], body: (page: string[]) => unknown): Outcome {
  const n = pageSize(url.searchParams);
  if (n === 'invalid') return fail(req, res, 400, 'PAGINATION_NUMBER_INVALID', 'n must be a whole number >= 0');
  const { page, more } = paginate(items, n, url.searchParams.get('last') ?? undefined);
  const headers: Record<string, string> = {};
  if (more && page.length > 0) {
    headers.Link = `<${url.pathname}?n=${n}&last=${encodeURIComponent(page[page.length - 1]!)}>; rel="next"`;
  }
  return sendJson(req, res, 200, body(page), headers);
}

/**
 * A repository by name. containerd adds `?ns=<source host>` when it asks a mirror,
 * so under --keep-source-host `library/nginx?ns=docker.io` finds `docker.io/library/nginx`.
 */
function findRepository(catalog: Catalog, name: string, query: URLSearchParams): Repository | undefined {
  const ns = query.get('ns');
  return catalog.repositories.get(name) ?? (ns !== null ? catalog.repositories.get(`${ns}/${name}`) : undefined);
}

async function manifest(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, repo: Repository, reference: string): Promise<Outcome> {
  const desc = isDigest(reference) ? manifestIn(repo, reference) : repo.tags.get(reference);
  const located = desc && ctx.catalog.locate(desc.digest);
  if (desc === undefined || located === undefined || located.size > MANIFEST_SIZE_LIMIT) {
    return fail(req, res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${repo.name}:${reference}`);
  }
  const what = `manifest ${desc.digest} of ${repo.name}`;
  const bytes = await ctx.limit(async () => readVerified(await ctx.reader.open(located.path), { digest: desc.digest, size: located.size }, what));
  return send(req, res, 200, bytes, desc.mediaType, { 'Docker-Content-Digest': desc.digest, ETag: `"${desc.digest}"` });
}

async function blob(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, repo: Repository, digest: string): Promise<Outcome> {
  if (!isDigest(digest)) return fail(req, res, 400, 'DIGEST_INVALID', `not a sha256 digest: ${digest}`);
  const located = repo.content.has(digest) ? ctx.catalog.locate(digest) : undefined;
  if (located === undefined) return fail(req, res, 404, 'BLOB_UNKNOWN', `blob unknown to ${repo.name}: ${digest}`);
  const { size } = located;
  const range = parseRange(req.headers.range, size);
  const common = { 'Docker-Content-Digest': digest, ETag: `"${digest}"`, 'Accept-Ranges': 'bytes' };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...common, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
    res.end();
    return { bytes: 0 };
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  res.writeHead(range ? 206 : 200, {
    ...common,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(end - start + 1),
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return { bytes: 0 };
  }
  return ctx.limit(async () => {
    // A client that left while it waited for a slot gets nothing read for it.
    if (res.destroyed) return { bytes: 0, error: 'client gone before the transfer started' };
    const window = new Window(start, end);
    try {
      // The whole blob is hashed even for a range: only then is the last byte let go.
      const check = new VerifyingStream({ digest, size }, `blob ${digest} of ${repo.name}`);
      await pipeline(await ctx.reader.open(located.path), check, window, res);
      return { bytes: window.sent };
    } catch (err) {
      res.destroy();
      // Reading the bundle fails with an AirlockError (digest, size, I/O); anything else is the client's side going away.
      return { bytes: window.sent, error: isAirlockError(err) ? err.message : `the client closed the connection (${messageOf(err)})` };
    }
  });
}

/** Answers one request; never throws (a failure becomes a 500 or a cut connection). */
export async function answer(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<Outcome> {
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return fail(req, res, 405, 'UNSUPPORTED', `${req.method ?? 'this method'} is not supported: this registry serves a signed bundle, read-only`);
  }
  try {
    // Inside the try: a request line that is no URL must not take the server down.
    const url = new URL(req.url ?? '/', 'http://serve.invalid');
    const r = route(url.pathname);
    if (r === undefined) return fail(req, res, 404, 'UNSUPPORTED', `no such endpoint: ${url.pathname}`);
    if (r.kind === 'base') return sendJson(req, res, 200, {});
    if (r.kind === 'catalog') return listPage(req, res, url, [...ctx.catalog.repositories.keys()], (repositories) => ({ repositories }));
    const repo = findRepository(ctx.catalog, r.name, url.searchParams);
    if (repo === undefined) return fail(req, res, 404, 'NAME_UNKNOWN', `repository name not known to registry: ${r.name}`);
    switch (r.kind) {
      case 'tags':
        return listPage(req, res, url, [...repo.tags.keys()].sort(), (tags) => ({ name: repo.name, tags }));
      case 'manifest':
        return await manifest(ctx, req, res, repo, r.reference);
      case 'blob':
        return await blob(ctx, req, res, repo, r.digest);
      case 'referrers':
        // Artifacts attached to images come with a later version; an empty index is the spec's "none".
        if (!isDigest(r.digest)) return fail(req, res, 400, 'DIGEST_INVALID', `not a sha256 digest: ${r.digest}`);
        return send(req, res, 200, EMPTY_INDEX, MediaType.OciIndex);
    }
  } catch (err) {
    const message = isAirlockError(err) ? err.message : messageOf(err);
    if (res.headersSent) {
      res.destroy();
      return { bytes: 0, error: message };
    }
    return { ...fail(req, res, 500, 'UNKNOWN', message), error: message };
  }
}
