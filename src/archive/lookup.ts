import { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import { describeType, quoteName } from './safe-path.js';
import type { ArchiveEntry } from './types.js';

/**
 * The one file entry at `path`. A path listed twice is refused: tar lets a later
 * copy replace an earlier one, so a reader that checked one copy and an extractor
 * that wrote the other would disagree.
 */
export function findFileEntry(entries: readonly ArchiveEntry[], path: string, archive: string): ArchiveEntry {
  const matches = entries.filter((e) => e.path === path);
  if (matches.length === 0) {
    throw new AirlockError('ARCHIVE_INVALID', `${archive} has no entry ${quoteName(path)}`, { hint: 'the bundle is incomplete; copy it again from its source' });
  }
  if (matches.length > 1) {
    throw new AirlockError('ARCHIVE_INVALID', `${archive} holds entry ${quoteName(path)} ${matches.length} times`, {
      hint: 'a bundle holds each file once; this archive was altered, get it again from a trusted source',
    });
  }
  const entry = matches[0]!;
  if (entry.type !== 'file') {
    throw new AirlockError('PATH_UNSAFE', `${archive}: entry ${quoteName(path)} is ${describeType(entry.type)}, not a file`, {
      hint: 'airlock never follows links in a bundle; get the bundle again from a trusted source',
    });
  }
  return entry;
}

export function emptyStream(): Readable {
  return Readable.from([]);
}

/** Runs `fn` once and keeps its promise (entries() is listed once per reader). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => (cached ??= fn());
}

/**
 * Passes a stream's bytes through, turning its errors into ours. A pull loop, not
 * pipe(): pipe re-throws a destination's error when no one else listens yet.
 * Destroying the result stops the loop and destroys the source.
 */
export function relay(source: Readable, wrap: (err: unknown) => Error): Readable {
  // Listen at once: a transform can fail before anyone reads (yauzl's size check
  // runs as soon as inflated bytes are written to it), and an 'error' with no
  // listener is thrown.
  let failure: unknown;
  source.on('error', (err) => {
    failure ??= err;
  });
  async function* pull(): AsyncGenerator<Buffer> {
    try {
      if (failure !== undefined) throw failure;
      for await (const chunk of source) yield chunk as Buffer;
      if (failure !== undefined) throw failure;
    } catch (err) {
      throw wrap(failure ?? err);
    } finally {
      source.destroy();
    }
  }
  return Readable.from(pull(), { objectMode: false, highWaterMark: 256 * 1024 });
}
