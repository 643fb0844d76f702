import { AirlockError } from '../errors.js';
import { normalizeEntryPath } from './safe-path.js';
import type { ByteSource } from './source.js';
import { BLOCK, TarHeaderDecoder, firstNonZero, padding, type RawEntry } from './tar-header.js';
import type { ArchiveEntry } from './types.js';

/** Listings longer than this are refused: no bundle has a million files, a hostile archive might. */
export const MAX_LISTED_ENTRIES = 1_000_000;

export function toArchiveEntry(raw: RawEntry, where: string, withOffsets: boolean): ArchiveEntry {
  const entry: ArchiveEntry = { path: normalizeEntryPath(raw.rawPath, where), size: raw.size, type: raw.type };
  if (raw.linkTarget !== undefined) entry.linkTarget = raw.linkTarget;
  if (withOffsets) {
    entry.offset = raw.dataOffset;
    entry.headerOffset = raw.headerOffset;
  }
  return entry;
}

/** What messages need to name a place in an archive. */
export type Place = Pick<ByteSource, 'name' | 'files' | 'describe' | 'truncation'>;

export function invalidHeader(source: Place, position: number, why: string): AirlockError {
  return new AirlockError('ARCHIVE_INVALID', `${source.name}: invalid tar header at ${source.describe(position)} (${why})`, {
    hint: source.files.length > 1 ? 'a part before this point is corrupt or truncated; copy the parts again' : 'the file is corrupt or not a tar; copy it again',
  });
}

/** `what`: `entry blobs/sha256/…`, or `the header after entry …`. */
export function truncatedIn(source: Place, what: string): AirlockError {
  return new AirlockError('ARCHIVE_INVALID', `${source.truncation()}: the archive ends in the middle of ${what}`, {
    hint: source.files.length > 1 ? 'copy every part of the split bundle next to the first one' : 'copy the bundle again; the copy is incomplete',
  });
}

/** Bytes after the end-of-archive marker that are not zero: `tar -i` (and other readers) would extract them. */
export function trailingData(source: Place, position: number): AirlockError {
  return new AirlockError('ARCHIVE_INVALID', `${source.name}: data after the end-of-archive marker, at ${source.describe(position)}`, {
    hint: 'only zero blocks may follow the end of a bundle tar (tar --ignore-zeros would extract what follows); the file was altered or two archives were joined: get it again from a trusted source',
  });
}

/** A refused extension header body (PAX records, GNU long name). */
export function invalidExtension(source: Place, position: number, why: string): AirlockError {
  return new AirlockError('ARCHIVE_INVALID', `${source.name}: refused extension header at ${source.describe(position)} (${why})`, {
    hint: 'GNU tar could extract this archive differently from how airlock reads it; get the bundle as airlock pack wrote it',
  });
}

const TAIL_CHUNK = 1024 * 1024;

export function missingEnd(source: Place): AirlockError {
  return new AirlockError('ARCHIVE_INVALID', `${source.truncation()}: the archive ends without its end-of-archive marker`, {
    hint: source.files.length > 1 ? 'copy every part of the split bundle next to the first one' : 'copy the bundle again; the copy is incomplete',
  });
}

/**
 * Lists a tar by reading only its headers: from each header it seeks past the
 * content to the next one, so indexing a 10 GB bundle reads a few KB per entry.
 * Offsets are kept, so open() can read an entry's bytes in place.
 */
export async function indexTar(source: ByteSource): Promise<ArchiveEntry[]> {
  const decoder = new TarHeaderDecoder();
  const entries: ArchiveEntry[] = [];
  let position = 0;
  let previous: string | undefined;
  const headerAfter = (): string => (previous === undefined ? 'the first header' : `the header after entry ${previous}`);
  for (;;) {
    if (position + BLOCK > source.size) {
      if (position >= source.size) throw missingEnd(source);
      throw truncatedIn(source, headerAfter());
    }
    const block = await source.read(position, BLOCK);
    const step = decoder.header(block, position);
    switch (step.kind) {
      case 'end': {
        // Only zeros may follow: anything else is data another reader would see.
        for (let at = position + BLOCK; at < source.size; at += TAIL_CHUNK) {
          const i = firstNonZero(await source.read(at, Math.min(TAIL_CHUNK, source.size - at)));
          if (i >= 0) throw trailingData(source, at + i);
        }
        return entries;
      }
      case 'invalid':
        throw invalidHeader(source, position, step.why);
      case 'meta': {
        const end = position + BLOCK + step.size;
        if (end > source.size) throw truncatedIn(source, headerAfter());
        const why = decoder.meta(await source.read(position + BLOCK, step.size));
        if (why !== undefined) throw invalidExtension(source, position, why);
        position = end + padding(step.size);
        break;
      }
      case 'entry': {
        const entry = toArchiveEntry(step.entry, source.name, true);
        // The last entry's padding may be missing; its content may not.
        if (step.entry.dataOffset + entry.size > source.size) throw truncatedIn(source, `entry ${entry.path}`);
        previous = entry.path;
        entries.push(entry);
        if (entries.length > MAX_LISTED_ENTRIES) {
          throw new AirlockError('ARCHIVE_INVALID', `${source.name} has more than ${MAX_LISTED_ENTRIES} entries`, { hint: 'this is not an airlock bundle' });
        }
        position = step.entry.dataOffset + entry.size + padding(entry.size);
        break;
      }
    }
  }
}
