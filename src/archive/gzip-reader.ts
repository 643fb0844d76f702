import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AirlockError, isAirlockError, messageOf } from '../errors.js';
import { findFileEntry, once, relay } from './lookup.js';
import type { ByteSource } from './source.js';
import type { Place } from './tar-index.js';
import { expansionError, expansionLimit } from './limits.js';
import { parseTarStream, type StreamLimit } from './tar-stream.js';
import type { ArchiveEntry, BundleReader, SequentialEntry } from './types.js';

/**
 * A gzip-compressed tar. gzip has no index, so there is no random access: listing
 * decompresses the whole archive once (cached), and open() decompresses from the
 * start up to the entry, every call. sequential() is the efficient path; for many
 * open() calls, gunzip the file first (the result is a plain bundle tar).
 */
export class GzipReader implements BundleReader {
  readonly kind = 'gzip' as const;
  readonly randomAccess = false;
  readonly compressed = true;
  readonly name: string;
  readonly parts: readonly string[];
  readonly entries: () => Promise<ArchiveEntry[]>;
  private readonly place: Place;

  constructor(private readonly source: ByteSource) {
    this.name = source.name;
    this.parts = source.files;
    this.place = {
      name: source.name,
      files: source.files,
      describe: (position) => `${source.name} at uncompressed byte ${position}`,
      truncation: () => source.truncation(),
    };
    this.entries = once(async () => {
      const list: ArchiveEntry[] = [];
      for await (const { entry } of this.sequential()) list.push(entry);
      return list;
    });
  }

  async open(path: string): Promise<Readable> {
    // Fail fast on a missing, doubled or non-file path before decompressing again.
    findFileEntry(await this.entries(), path, this.name);
    const entries = this.sequential()[Symbol.asyncIterator]();
    for (;;) {
      const next = await entries.next();
      if (next.done) throw new AirlockError('INTERNAL', `${this.name}: entry ${path} vanished between two reads`);
      if (next.value.entry.path !== path) continue;
      const stream = next.value.stream;
      // Closing the entry's stream ends the pass, which closes the file stream.
      stream.once('close', () => void entries.return?.(undefined));
      return stream;
    }
  }

  sequential(): AsyncIterable<SequentialEntry> {
    // Every declared size, skipped entries' included, is judged against the file's size first.
    const compressed = this.source.size;
    const limit: StreamLimit = {
      maxBytes: expansionLimit(compressed),
      exceeded: (what, bytes) => expansionError(this.name, what, bytes, compressed),
    };
    return parseTarStream(this.decompressed(), this.place, false, limit);
  }

  bytesRead(): number {
    return this.source.bytesRead();
  }

  close(): Promise<void> {
    return this.source.close();
  }

  private decompressed(): Readable {
    const gunzip = createGunzip();
    // pipeline() owns the errors of both; the consumer sees them through relay().
    pipeline(this.source.readRange(0, this.source.size), gunzip).catch(() => undefined);
    return relay(gunzip, (err) =>
      isAirlockError(err)
        ? err
        : new AirlockError('ARCHIVE_INVALID', `${this.name} is not valid gzip data: ${messageOf(err)}`, {
            cause: err,
            hint: 'the file is corrupt or truncated; copy it again',
          }),
    );
  }
}
