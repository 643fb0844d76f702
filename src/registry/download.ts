import { Readable } from 'node:stream';
import { shortDigest } from '../content/digest.js';
import { AirlockError, messageOf } from '../errors.js';
import type { Descriptor } from '../oci/schemas.js';
import { repositoryScope } from './auth.js';
import type { RegistrySession } from './session.js';
import { backoffDelay, sleep } from './retry.js';
import { isTransientNetworkError, responseHeader, type HttpResponse } from './transport.js';

/** Size of the pieces a blob is handed on in (see bytes() below). */
const COALESCE = 256 * 1024;

/**
 * Opens a blob for reading. The first request happens now (a 404 or a 401 fails
 * here); then the bytes stream. A connection cut mid-blob (or a body that ends
 * short) is resumed with `Range: bytes=N-` from where it stopped, so a 2 GB layer
 * does not start over; a server without Range support is skipped forward instead.
 * The copy's verifier still sees, and hashes, every byte exactly once.
 */
export async function openBlob(client: RegistrySession, repository: string, desc: Descriptor, from = 0): Promise<Readable> {
  const what = `blob ${shortDigest(desc.digest)}… in ${repository}`;
  const get = (offset: number): Promise<HttpResponse> =>
    client.request({
      method: 'GET',
      path: `/v2/${repository}/blobs/${desc.digest}`,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      scopes: [repositoryScope(repository, false)],
      ok: offset > 0 ? [200, 206] : [200],
      what,
      repository,
      redirects: true,
    });

  const first = await get(from);
  // From a later byte (the start kept by a cache): 206 from there, or 200 from 0 to be skipped.
  const partial = from > 0 && first.status === 206;
  const length = responseHeader(first, 'content-length');
  if (length !== undefined && Number(length) !== (partial ? desc.size - from : desc.size)) {
    first.body.destroy();
    throw new AirlockError('SIZE_MISMATCH', `${client.host} announces ${length} bytes for ${what}${partial ? ` from byte ${from}` : ''}, its descriptor says ${desc.size} in all`, {
      hint: 'the registry serves content that does not match the manifest; do not use it',
    });
  }
  if (partial && Number(/^bytes (\d+)-/.exec(responseHeader(first, 'content-range') ?? '')?.[1]) !== from) {
    first.body.destroy();
    throw new AirlockError('REGISTRY_ERROR', `${client.host} answered a request for ${what} from byte ${from} with range ${responseHeader(first, 'content-range') ?? '(none)'}`, { hint: 'run the command again', retryable: true });
  }

  async function* bytes(): AsyncGenerator<Buffer> {
    let res = first;
    let offset = from;
    let skip = from > 0 && !partial ? from : 0;
    let failures = 0;
    // Socket reads come in 64 KiB pieces; handed on in pieces of COALESCE bytes, every
    // stage after this one (verifier, tar writer, upload) runs 4 times less often. Larger
    // pieces bought no more speed here, only more memory awaiting collection.
    // Bytes held here are counted in `offset`: a resume continues after them.
    let held: Buffer[] = [];
    let heldBytes = 0;
    const release = (): Buffer => {
      const out = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
      held = [];
      heldBytes = 0;
      return out;
    };
    try {
      for (;;) {
        try {
          for await (const chunk of res.body) {
            let buf = chunk as Buffer;
            if (skip > 0) {
              const drop = Math.min(skip, buf.length);
              skip -= drop;
              buf = buf.subarray(drop);
              if (buf.length === 0) continue;
            }
            offset += buf.length;
            held.push(buf);
            heldBytes += buf.length;
            if (heldBytes >= COALESCE) yield release();
          }
          if (heldBytes > 0) yield release();
          // More bytes than the descriptor says are the verifier's to refuse.
          if (offset >= desc.size) return;
          throw new AirlockError('NETWORK', `${client.host} ended ${what} after ${offset} of ${desc.size} bytes`, { retryable: true });
        } catch (err) {
          if (!isTransientNetworkError(err) || failures >= client.retry.retries) {
            if (err instanceof AirlockError) throw err;
            throw new AirlockError('NETWORK', `reading ${what} from ${client.host} failed after ${offset} of ${desc.size} bytes: ${messageOf(err)}`, {
              hint: 'check the connection to the registry and run the command again',
              retryable: true,
              cause: err,
            });
          }
          res.body.destroy();
          const delayMs = backoffDelay(failures, client.retry);
          client.emit({ kind: 'retry', host: client.host, what: `GET ${what}`, detail: `resume at byte ${offset}: ${messageOf(err)}`, delayMs });
          failures++;
          await sleep(delayMs);
          res = await get(offset);
          if (res.status === 200) skip = offset;
          else {
            const range = responseHeader(res, 'content-range');
            const start = range === undefined ? NaN : Number(/^bytes (\d+)-/.exec(range)?.[1]);
            if (start !== offset) {
              res.body.destroy();
              throw new AirlockError('REGISTRY_ERROR', `${client.host} answered a resume of ${what} at byte ${offset} with range ${range ?? '(none)'}`, {
                hint: 'run the command again',
                retryable: true,
              });
            }
          }
        }
      }
    } finally {
      res.body.destroy();
    }
  }

  return Readable.from(bytes(), { objectMode: false });
}
