import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AirlockError } from '../errors.js';
import { shortDigest } from './digest.js';

export interface Expected {
  digest: string;
  size: number;
}

/**
 * The one verifying reader: every byte that enters airlock passes through it.
 * It fails as soon as more bytes arrive than announced, and at the end unless the
 * size and the sha256 both match. A consumer that commits only on 'finish' (temp
 * file then rename, upload then PUT) so never commits unverified content.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private seen = 0;

  constructor(
    private readonly expected: Expected,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected.size) {
      done(
        new AirlockError('SIZE_MISMATCH', `${this.what} is larger than its descriptor says (${this.expected.size} bytes)`, {
          hint: 'the source serves content that does not match its digest; re-fetch it, and report it if it persists',
        }),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.expected.size) {
      done(
        new AirlockError('SIZE_MISMATCH', `${this.what} ended after ${this.seen} of ${this.expected.size} bytes`, {
          hint: 'the transfer was cut short or the file is truncated; run the command again',
          retryable: true,
        }),
      );
      return;
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      done(
        new AirlockError('DIGEST_MISMATCH', `${this.what} has digest ${shortDigest(actual)}…, expected ${shortDigest(this.expected.digest)}…`, {
          hint: 'the content was altered or corrupted; do not use it, fetch it again from a trusted source',
        }),
      );
      return;
    }
    done();
  }
}

/** Pipes `source` through a verifier; errors on either side reach the returned stream. */
export function verified(source: Readable, expected: Expected, what: string): Readable {
  const check = new VerifyingStream(expected, what);
  source.on('error', (err) => check.destroy(err));
  check.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return source.pipe(check);
}

/**
 * Reads a small stream (a manifest) into memory, verifying it, never holding more
 * than `expected.size` bytes: the verifier stops at the first byte too many.
 */
export async function readVerified(source: Readable, expected: Expected, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of verified(source, expected, what)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads a stream whose size is unknown into memory, refusing more than `limit` bytes. */
export async function readCapped(source: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      source.destroy();
      throw new AirlockError('SIZE_LIMIT', `${what} is larger than the ${limit}-byte limit`, {
        hint: 'this is not a manifest airlock can handle; check the reference',
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Manifests larger than this are refused (distribution's own limit is 4 MiB). */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;
