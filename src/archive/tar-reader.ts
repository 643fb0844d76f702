import type { Readable } from 'node:stream';
import { findFileEntry, once } from './lookup.js';
import type { ByteSource } from './source.js';
import { indexTar } from './tar-index.js';
import { parseTarStream } from './tar-stream.js';
import type { ArchiveEntry, BundleReader, SequentialEntry } from './types.js';

/** An uncompressed tar (one file or split parts): listed from headers, read in place by offset. */
export class TarReader implements BundleReader {
  readonly kind = 'tar' as const;
  readonly randomAccess = true;
  readonly compressed = false;
  readonly name: string;
  readonly parts: readonly string[];
  readonly entries: () => Promise<ArchiveEntry[]>;

  constructor(private readonly source: ByteSource) {
    this.name = source.name;
    this.parts = source.files;
    this.entries = once(() => indexTar(source));
  }

  async open(path: string): Promise<Readable> {
    const entry = findFileEntry(await this.entries(), path, this.name);
    const start = entry.offset!;
    return this.source.readRange(start, start + entry.size);
  }

  sequential(): AsyncIterable<SequentialEntry> {
    return parseTarStream(this.source.readRange(0, this.source.size), this.source, true);
  }

  bytesRead(): number {
    return this.source.bytesRead();
  }

  close(): Promise<void> {
    return this.source.close();
  }
}
