import type { Readable } from 'node:stream';
import { shortDigest } from '../content/digest.js';
import { AirlockError, messageOf } from '../errors.js';
import type { Descriptor } from '../oci/schemas.js';
import { repositoryScope } from './auth.js';
import { discard, type RegistrySession } from './session.js';
import { backoffDelay, sleep } from './retry.js';
import { responseHeader, type HttpResponse, type StreamBody } from './transport.js';
import { cancelUpload, type OpenSession } from './upload-cancel.js';

/**
 * Hands out a stream's bytes in exact-length slices for request bodies, without
 * holding more than the chunk the stream gave. Before the last byte of the blob is
 * written it waits for the stream to END: the stream is the verifier, which fails
 * at its end on a wrong digest, so a registry never receives a complete,
 * committable body that did not verify.
 */
/** Progress granularity of a held chunk. */
const HELD_SLICE = 256 * 1024;

export class UploadBody {
  private readonly it: AsyncIterator<unknown>;
  private pending: Buffer = Buffer.alloc(0);
  private handed = 0;
  /** Why the stream failed in the middle of a padded body (see pipe); thrown once the request is done. */
  failure: unknown;

  /** Bytes written out (or found already held by the registry), for `onProgress`. */
  private sent = 0;

  constructor(
    private readonly stream: Readable,
    private readonly total: number,
    private readonly what: string,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    // The iterator reports the stream's error; this listener only keeps a late second
    // emission (pipe() re-emits on the verifier) from becoming an uncaught exception.
    stream.on('error', () => undefined);
    this.it = stream[Symbol.asyncIterator]();
  }

  /**
   * A request body of exactly `length` bytes, the next ones of the stream. Usable once.
   * `pad`: if the stream fails midway, the body is finished with zeros and the
   * failure kept in `failure`, for PATCH chunks: a PATCH cut midway leaves the
   * registry at an offset its session state does not know, and distribution then
   * refuses even to cancel the session. Zeros are never committed: no PUT follows
   * a failure, and a PUT is checked against the digest anyway.
   */
  body(length: number, pad = false): StreamBody {
    const body: StreamBody = { length, started: false, write: (sink) => this.pipe(length, sink, pad) };
    return body;
  }

  private async pipe(length: number, sink: (chunk: Buffer) => Promise<void>, pad: boolean): Promise<void> {
    let left = length;
    while (left > 0) {
      let piece: Buffer;
      try {
        piece = await this.piece(left);
      } catch (err) {
        if (!pad) throw err;
        this.failure = err;
        const zeros = Buffer.alloc(Math.min(left, 1024 * 1024));
        while (left > 0) {
          const n = Math.min(left, zeros.length);
          await sink(zeros.subarray(0, n));
          left -= n;
        }
        return;
      }
      left -= piece.length;
      await sink(piece);
      this.report(piece.length);
    }
  }

  private report(n: number): void {
    this.sent += n;
    this.onProgress?.(this.sent);
  }

  /** The next at most `max` bytes of the stream; before its last byte, the stream's verified end. */
  private async piece(max: number): Promise<Buffer> {
    if (this.pending.length === 0) {
      const next = await this.it.next();
      if (next.done === true) {
        throw new AirlockError('SIZE_MISMATCH', `${this.what} ended after ${this.handed} of ${this.total} bytes`, {
          hint: 'the source was cut short; run the command again',
          retryable: true,
        });
      }
      this.pending = Buffer.from(next.value as Uint8Array);
    }
    const take = Math.min(max, this.pending.length);
    const piece = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    this.handed += take;
    if (this.handed === this.total) await this.end();
    return piece;
  }

  /**
   * Reads `length` bytes through the verifier without sending them: the part of a
   * resumed upload the registry already holds still counts towards the digest.
   */
  async skip(length: number): Promise<void> {
    let left = length;
    while (left > 0) left -= (await this.piece(left)).length;
    this.report(length);
  }

  /**
   * A body of the next `length` bytes, held whole before a byte is sent: a resumable chunk.
   * A stream that fails (an interrupt, a wrong digest) fails here, before the
   * PATCH; a PATCH under way finishes with real bytes when the run is interrupted,
   * so the registry's session stays consistent and the next run continues it.
   */
  async held(length: number): Promise<StreamBody> {
    const parts: Buffer[] = [];
    let left = length;
    while (left > 0) {
      const piece = await this.piece(left);
      parts.push(piece);
      left -= piece.length;
    }
    const bytes = Buffer.concat(parts, length);
    // Written in slices, so progress follows the bytes on the wire, not the read ahead.
    return {
      length,
      started: false,
      write: async (sink) => {
        for (let at = 0; at < bytes.length; at += HELD_SLICE) {
          const slice = bytes.subarray(at, at + HELD_SLICE);
          await sink(slice);
          this.report(slice.length);
        }
      },
    };
  }

  /** Waits for the stream to end cleanly (its verifier passed) with no byte left over. */
  async end(): Promise<void> {
    const next = this.pending.length > 0 ? { done: false } : await this.it.next();
    if (next.done !== true) {
      throw new AirlockError('SIZE_MISMATCH', `${this.what} is larger than its descriptor says (${this.total} bytes)`, {
        hint: 'the source serves content that does not match its digest; re-fetch it',
      });
    }
  }

  /** Stops reading and releases the stream. */
  close(): void {
    if (!this.stream.destroyed) this.stream.destroy();
  }
}

/** Options of a blob push. */
export interface PushOptions {
  /**
   * Opens the content again from its start, already wrapped in the verifier. A
   * stream that was partly sent cannot be replayed; with `reopen` an upload cut off
   * by the network starts over instead of failing (the copy layer can pass one for
   * sources that can seek: layout files, bundle entries, registry blobs).
   */
  reopen?: () => Promise<Readable>;
  /** An upload session already opened (a mount the registry answered with 202). */
  session?: URL;
  /** Bytes of the blob sent so far (after a resume: those the registry holds included). */
  onProgress?: (bytes: number) => void;
}

/** The `Location` of an upload answer, resolved against the URL that answered (it may be relative). */
export function uploadLocation(res: HttpResponse, fallback: URL | undefined, what: string, host: string): URL {
  const location = responseHeader(res, 'location');
  if (location === undefined || location === '') {
    if (fallback !== undefined) return fallback;
    throw new AirlockError('REGISTRY_ERROR', `${host} opened an upload for ${what} without a Location header`, {
      hint: 'the registry or a proxy in front of it is not speaking the distribution API correctly',
    });
  }
  return new URL(location, res.url);
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

/** Starts an upload session: POST /v2/NAME/blobs/uploads/. */
export async function startUpload(client: RegistrySession, repository: string, what: string): Promise<URL> {
  const res = await client.request({
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/`,
    scopes: [repositoryScope(repository, true)],
    ok: [202],
    what,
    repository,
  });
  discard(res);
  return uploadLocation(res, undefined, what, client.host);
}

async function uploadOnce(client: RegistrySession, repository: string, desc: Descriptor, reader: UploadBody, what: string, session: URL | undefined, open: OpenSession): Promise<void> {
  const scopes = [repositoryScope(repository, true)];
  let location = session ?? (await startUpload(client, repository, what));
  open.location = location;
  const octet = { 'content-type': 'application/octet-stream' };
  const { monolithicLimit, chunkSize } = client.upload;

  if (desc.size <= monolithicLimit) {
    // Monolithic: the whole blob in the closing PUT, its last bytes held until the verifier passed.
    let body: Buffer | StreamBody;
    if (desc.size === 0) {
      await reader.end();
      body = Buffer.alloc(0);
    } else body = reader.body(desc.size);
    const res = await client.request({ method: 'PUT', url: withDigest(location, desc.digest), headers: octet, body, scopes, ok: [201, 204], what, repository });
    discard(res);
    open.location = undefined;
    return;
  }

  await uploadChunks(client, repository, desc, reader, what, location, open);
}

/** An interrupt, as opposed to a failure of the content or the registry. */
function isInterrupt(err: unknown): boolean {
  return (err instanceof Error && err.name === 'AbortError') || (err instanceof AirlockError && err.code === 'INTERRUPTED');
}

/**
 * Asks the registry how much of a saved session it holds (GET on the upload URL:
 * `Range: 0-N`). Undefined when the session is gone (expired, garbage-collected,
 * refused), so the caller starts over.
 */
async function uploadStatus(client: RegistrySession, repository: string, url: URL, what: string): Promise<{ offset: number; location: URL } | undefined> {
  try {
    const res = await client.request({ method: 'GET', url, scopes: [repositoryScope(repository, true)], ok: 'any', what: `status of the upload of ${what}`, repository, once: true });
    discard(res);
    if (res.status !== 204 && res.status !== 200) return undefined;
    const range = (responseHeader(res, 'range') ?? '').trim();
    const end = /^(?:bytes=)?0-(\d+)$/.exec(range);
    // No Range (or 0-0 from some registries for an empty session) means nothing is held yet.
    const offset = end === null ? 0 : Number(end[1]) + 1;
    return { offset, location: uploadLocation(res, url, what, client.host) };
  } catch {
    return undefined;
  }
}

/**
 * Largest chunk of a resumable upload: each is held in memory while it is sent
 * (see UploadBody.buffer), and an interrupt waits for the one in flight.
 * ECR wants at least 5 MiB for every chunk but the last.
 */
const RESUMABLE_CHUNK = 8 * 1024 * 1024;

/**
 * PATCH chunks with Content-Range, then the closing PUT. With a state store the
 * session and the confirmed offset are saved after every chunk; a saved session
 * for this digest is continued where the registry says it stands.
 *
 * A PATCH cut midway by the network leaves distribution (2.8) holding bytes its
 * session state does not know; it then refuses the session on every request, so
 * such a session is started over (with one `restart` event). Registries that keep
 * the confirmed offset of a cut session continue from the last whole chunk.
 */
async function uploadChunks(client: RegistrySession, repository: string, desc: Descriptor, reader: UploadBody, what: string, fresh: URL, open: OpenSession): Promise<void> {
  const scopes = [repositoryScope(repository, true)];
  const octet = { 'content-type': 'application/octet-stream' };
  const store = client.uploadState;
  const chunkSize = store ? Math.min(client.upload.chunkSize, RESUMABLE_CHUNK) : client.upload.chunkSize;
  let location = fresh;
  let offset = 0;
  const saved = store ? await store.get(client.host, repository, desc.digest) : undefined;
  if (store && saved) {
    const status = await uploadStatus(client, repository, new URL(saved.location), what);
    if (status !== undefined && status.offset <= desc.size) {
      // The session this attempt opened is not needed: drop it, continue the saved one.
      await cancelUpload(client, repository, { location: fresh }, what);
      location = status.location;
      offset = status.offset;
      client.emit({ kind: 'resume', host: client.host, what: `upload ${what}`, detail: `${offset} of ${desc.size} bytes already there` });
      await reader.skip(offset);
    } else {
      await store.delete(client.host, repository, desc.digest).catch(() => undefined);
      client.emit({ kind: 'restart', host: client.host, what: `upload ${what}`, detail: 'the saved upload session is gone (expired, or cut midway and refused by the registry); starting this blob over' });
    }
  }
  open.location = location;
  let recording = true;
  while (offset < desc.size) {
    const n = Math.min(chunkSize, desc.size - offset);
    const res = await client.request({
      method: 'PATCH',
      url: location,
      headers: { ...octet, 'content-range': `${offset}-${offset + n - 1}` },
      body: store ? await reader.held(n) : reader.body(n, true),
      scopes,
      ok: [202, 204],
      what,
      repository,
    });
    discard(res);
    const range = responseHeader(res, 'range');
    const end = range !== undefined ? /^(?:bytes=)?0-(\d+)$/.exec(range.trim()) : null;
    if (end !== null && Number(end[1]) !== offset + n - 1) {
      throw new AirlockError('REGISTRY_ERROR', `${client.host} holds ${Number(end[1]) + 1} bytes of ${what} after a chunk ending at ${offset + n}`, {
        hint: 'the upload lost data on the way; run the command again',
        retryable: true,
      });
    }
    location = uploadLocation(res, location, what, client.host);
    open.location = location;
    // The stream failed midway and the chunk went out padded: the session is consistent, and dead.
    if (reader.failure !== undefined) throw reader.failure;
    offset += n;
    if (store && recording) {
      // A state folder that cannot be written costs the resume, never the push.
      recording = await store.put({ host: client.host, repository, digest: desc.digest, location: location.href, offset, updated: new Date().toISOString() }).then(
        () => true,
        (err: unknown) => (client.emit({ kind: 'unresumable', host: client.host, what: `upload ${what}`, detail: messageOf(err) }), false),
      );
      open.saved = recording;
    }
  }
  // The last chunk waited for the verified end of the stream (skip() too): only now commit.
  const res = await client.request({ method: 'PUT', url: withDigest(location, desc.digest), scopes, ok: [201, 204], what, repository });
  discard(res);
  open.location = undefined;
  await store?.delete(client.host, repository, desc.digest).catch(() => undefined);
}

/**
 * Uploads one blob: POST then one PUT for small blobs, POST, PATCH chunks and a
 * closing PUT for large ones. Relative and absolute `Location`s are both followed.
 * A failure after bytes were sent is retried only through `opts.reopen`.
 */
export async function uploadBlob(client: RegistrySession, repository: string, desc: Descriptor, content: Readable, opts: PushOptions = {}): Promise<void> {
  const what = `blob ${shortDigest(desc.digest)}… for ${repository}`;
  let stream = content;
  let session = opts.session;
  for (let attempt = 0; ; attempt++) {
    const reader = new UploadBody(stream, desc.size, what, opts.onProgress);
    const open: OpenSession = {};
    try {
      await uploadOnce(client, repository, desc, reader, what, session, open);
      return;
    } catch (err) {
      reader.close();
      // A session whose state was saved, cut by an interrupt or the network (not by wrong
      // content), is kept: this run's retry or the next run continues it. Any other is dead.
      const resumable = open.saved === true && reader.failure === undefined && (isInterrupt(err) || (err instanceof AirlockError && err.retryable));
      if (!resumable) {
        await cancelUpload(client, repository, open, what);
        await client.uploadState?.delete(client.host, repository, desc.digest).catch(() => undefined);
      }
      const again = err instanceof AirlockError && err.retryable && opts.reopen !== undefined && attempt < client.retry.retries;
      if (!again) {
        if (err instanceof AirlockError && err.retryable && opts.reopen !== undefined && attempt > 0) {
          // The last attempt's text may say the stream "cannot be replayed": true of that one
          // attempt, misleading after `attempt` fresh starts; say what happened instead.
          const cause = err.cause instanceof Error ? ((err.cause as { code?: string }).code ?? err.cause.message) : err.message;
          throw new AirlockError(err.code, `uploading ${what} to ${client.host} failed ${attempt + 1} times, each time started again from its first byte; the last failure: ${cause}`, {
            hint: 'check the connection to the registry, or a proxy in front of it that limits request size or duration; run the command again: blobs already pushed are skipped',
            retryable: true,
            cause: err,
          });
        }
        throw err;
      }
      const delayMs = backoffDelay(attempt, client.retry);
      client.emit({ kind: 'retry', host: client.host, what: `upload ${what}`, detail: err.message, delayMs });
      await sleep(delayMs);
      // With a saved state the next attempt continues the session; otherwise a new one.
      session = undefined;
      stream = await opts.reopen!();
    }
  }
}
