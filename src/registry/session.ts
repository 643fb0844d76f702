import type { ManifestCache } from './cache.js';
import type { RegistryEvent, RetryPolicy, UploadPolicy } from './options.js';
import type { HttpResponse, RequestBody } from './transport.js';
import type { UploadStateStore } from './upload-state.js';

/** One request as the repository code describes it; the client adds auth, retries and redirects. */
export interface Operation {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** `/v2/...` relative to the registry, or an absolute URL (an upload `Location`). */
  path?: string;
  url?: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Token scopes the request needs: `repository:NAME:pull`. */
  scopes: readonly string[];
  /** Statuses handed back to the caller; `any` = every status that is not retried. */
  ok: readonly number[] | 'any';
  /** Names the object in messages: `manifest library/nginx:1.27`. */
  what: string;
  /** Repository path, for hints. */
  repository?: string;
  /** Follow 3xx (blob GETs go to storage backends). */
  redirects?: boolean;
  /** Send no Authorization header (token service calls). */
  anonymous?: boolean;
  /** One attempt only (the https probe of a host that may turn out to speak plain http). */
  once?: boolean;
}

const ERROR_BODY_LIMIT = 64 * 1024;

/** Reads at most `limit` bytes of a body and drops the rest (error bodies, token answers). */
export async function readSome(res: HttpResponse, limit = ERROR_BODY_LIMIT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      if (total + buf.length > limit) {
        chunks.push(buf.subarray(0, limit - total));
        res.body.destroy();
        break;
      }
      total += buf.length;
      chunks.push(buf);
    }
  } catch {
    // A connection cut while reading an error body: what arrived is enough for the message.
  }
  return Buffer.concat(chunks);
}

/** Lets a finished response give its connection back to the pool. */
export function discard(res: HttpResponse): void {
  res.body.resume();
  res.body.on('error', () => undefined);
}

/**
 * What the repository, upload and download code needs of a registry host: one
 * request path (auth, retries, redirects), the manifest cache and the record of
 * which repositories hold a blob. RegistryClient implements it; the code below it
 * depends on this interface only, so the client can own the repositories it hands out.
 */
export interface RegistrySession {
  /** The host as references name it: `docker.io`, `127.0.0.1:5000`. */
  readonly host: string;
  readonly retry: RetryPolicy;
  readonly upload: UploadPolicy;
  readonly manifests: ManifestCache;
  /** Resumable uploads, when the caller keeps their state. */
  readonly uploadState?: UploadStateStore | undefined;
  request(op: Operation): Promise<HttpResponse>;
  emit(event: RegistryEvent): void;
  noteBlob(digest: string, repository: string): void;
  blobSources(digest: string, except: string): string[];
}
