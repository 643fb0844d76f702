import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';

/**
 * Writes a blob through a partial file that outlives an interrupted run: the bytes
 * written so far stay in `partial`, and the next run (told `resumeAt`, the bytes it
 * found there) appends the rest. `source` always starts at byte 0, since the
 * verifier before it must see every byte; the first `resumeAt` are not written
 * again. Committed (fsync, rename to `final`) only when the stream ends cleanly.
 * Content the verifier refused removes the partial file: it would fail again.
 */
export async function writeStreamResumable(final: string, partial: string, source: Readable, resumeAt: number): Promise<void> {
  if (resumeAt > 0) {
    // Drop anything past what was announced (a write cut mid-chunk is still a prefix).
    const size = await stat(partial).then((s) => s.size, () => -1);
    if (size < resumeAt) throw new AirlockError('IO', `${partial} holds ${size} bytes, fewer than the ${resumeAt} to resume from`, { hint: 'run the command again' });
    if (size > resumeAt) await truncate(partial, resumeAt);
  }
  const handle = await open(partial, resumeAt > 0 ? 'a' : 'w', 0o644);
  let skip = resumeAt;
  let committed = false;
  try {
    try {
      for await (const piece of source as AsyncIterable<Uint8Array>) {
        let chunk = piece;
        if (skip > 0) {
          const drop = Math.min(skip, chunk.length);
          skip -= drop;
          chunk = chunk.subarray(drop);
        }
        let offset = 0;
        while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, final);
    committed = true;
  } catch (err) {
    const wrong = err instanceof AirlockError && (err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH' || err.code === 'INTEGRITY');
    if (wrong) await rm(partial, { force: true });
    throw err;
  } finally {
    if (!committed && !source.destroyed) source.destroy();
  }
}
