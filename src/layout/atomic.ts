import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { tempName } from './paths.js';

/**
 * Writes `source` to `final` through a temp file in the same folder: fsync, then
 * rename only once the stream ended without error. On any error the temp file is
 * removed, so a reader never sees a half-written or unverified file under its final name.
 */
export async function writeStreamAtomic(final: string, source: Readable | Iterable<Uint8Array>, label: string): Promise<number> {
  const temp = join(dirname(final), tempName(label));
  const handle = await open(temp, 'wx', 0o644);
  let written = 0;
  let committed = false;
  try {
    try {
      // for-await gives natural backpressure and surfaces the verifier's error at the end.
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
          offset += bytesWritten;
        }
        written += chunk.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, final);
    committed = true;
  } finally {
    if (!committed) {
      await rm(temp, { force: true });
      if (typeof (source as Readable).destroy === 'function' && !(source as Readable).destroyed) (source as Readable).destroy();
    }
  }
  return written;
}

/** Small files (index.json, oci-layout): same temp-then-rename rule. */
export async function writeFileAtomic(final: string, data: string | Uint8Array, label: string): Promise<void> {
  await writeStreamAtomic(final, [typeof data === 'string' ? Buffer.from(data) : data], label);
}
