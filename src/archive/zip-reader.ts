import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { AirlockError, isAirlockError, messageOf } from '../errors.js';
import { expansionError, expansionLimit } from './limits.js';
import { checkLocalHeaders } from './zip-local.js';
import { emptyStream, findFileEntry, once, relay } from './lookup.js';
import { normalizeEntryPath, quoteName } from './safe-path.js';
import type { ByteSource } from './source.js';
import { MAX_LISTED_ENTRIES } from './tar-index.js';
import type { ArchiveEntry, BundleReader, EntryType, SequentialEntry } from './types.js';

/** Lets yauzl read through a ByteSource, so zips in split parts work too and every read is counted. */
class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ByteSource) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.source.readRange(start, end);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    this.source.read(position, length).then(
      (got) => {
        got.copy(buffer, offset);
        callback(null, got.length);
      },
      (err: unknown) => callback(err as Error),
    );
  }

  override close(callback: (err: Error | null) => void): void {
    // The source is closed by the reader's close(), not by yauzl's reference counting.
    setImmediate(() => callback(null));
  }
}

function invalid(name: string, err: unknown, what = ''): AirlockError {
  if (isAirlockError(err)) return err;
  return new AirlockError('ARCHIVE_INVALID', `${name}${what}: ${messageOf(err)}`, {
    cause: err,
    hint: 'the zip is corrupt or truncated; copy it again, or unzip it and give the folder',
  });
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Zip entries carry a Unix mode in the high half of the external attributes when made on Unix. */
function zipEntryType(entry: yauzl.Entry, name: string): EntryType {
  const madeOnUnix = entry.versionMadeBy >> 8 === 3;
  const mode = madeOnUnix ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
  if (mode === S_IFLNK) return 'symlink';
  if (name.endsWith('/') || mode === S_IFDIR) return 'directory';
  if (mode === 0 || mode === S_IFREG) return 'file';
  return 'other';
}

interface Listed {
  entry: ArchiveEntry;
  zip: yauzl.Entry;
}

/**
 * A zip (macOS "Compress", Windows "Send to compressed folder"), read by random
 * access through its central directory with yauzl. Names are decoded here, not by
 * yauzl, so an unsafe one is refused naming the entry instead of failing the listing.
 */
export class ZipReader implements BundleReader {
  readonly kind = 'zip' as const;
  readonly randomAccess = true;
  readonly compressed = true;
  readonly name: string;
  readonly parts: readonly string[];
  private readonly listed: () => Promise<Listed[]>;

  private constructor(
    private readonly source: ByteSource,
    private readonly zip: yauzl.ZipFile,
  ) {
    this.name = source.name;
    this.parts = source.files;
    this.listed = once(() => this.list());
  }

  static async open(source: ByteSource): Promise<ZipReader> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(new SourceReader(source), source.size, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: false,
        validateEntrySizes: true,
      });
    } catch (err) {
      throw invalid(source.name, err);
    }
    if (zip.entryCount > MAX_LISTED_ENTRIES) {
      zip.close();
      throw new AirlockError('ARCHIVE_INVALID', `${source.name} has ${zip.entryCount} entries, more than ${MAX_LISTED_ENTRIES}`, { hint: 'this is not an airlock bundle' });
    }
    return new ZipReader(source, zip);
  }

  async entries(): Promise<ArchiveEntry[]> {
    return (await this.listed()).map((l) => l.entry);
  }

  private async list(): Promise<Listed[]> {
    const out: Listed[] = [];
    let first = Infinity;
    try {
      for await (const zip of this.zip.eachEntry()) {
        // decodeStrings: false leaves the raw bytes in fileNameRaw; decode like yauzl
        // would (UTF-8 flag, Info-ZIP Unicode path field) but keep backslashes.
        const raw = yauzl.getFileNameLowLevel(zip.generalPurposeBitFlag, zip.fileNameRaw, zip.extraFields, true);
        const type = zipEntryType(zip, raw);
        const entry: ArchiveEntry = { path: normalizeEntryPath(raw, this.name), size: type === 'directory' ? 0 : zip.uncompressedSize, type };
        // Declared sizes are judged at listing, for every entry, before anything is inflated;
        // yauzl then stops any entry that inflates past what it declared.
        if (zip.uncompressedSize > expansionLimit(zip.compressedSize)) {
          throw expansionError(this.name, `entry ${quoteName(entry.path)} declares`, zip.uncompressedSize, zip.compressedSize);
        }
        out.push({ entry, zip });
        first = Math.min(first, zip.relativeOffsetOfLocalHeader);
      }
    } catch (err) {
      throw invalid(this.name, err);
    }
    // Bytes before the first entry are where a tar (or anything) can hide for other
    // readers: a zip must start with its first local header.
    if (out.length > 0 && first !== 0) {
      throw new AirlockError('ARCHIVE_INVALID', `${this.name}: the zip's first entry starts at byte ${first}, not at byte 0; ${first} bytes before it belong to no entry`, {
        hint: 'data was put in front of the zip (a polyglot or a self-extractor); unzip it and give the folder, or get the bundle again',
      });
    }
    await checkLocalHeaders(this.source, this.name, out.map((l) => ({ path: l.entry.path, zip: l.zip })));
    return out;
  }

  async open(path: string): Promise<Readable> {
    const entry = findFileEntry(await this.entries(), path, this.name);
    const listed = (await this.listed()).find((l) => l.entry === entry)!;
    return this.stream(listed);
  }

  private async stream(listed: Listed): Promise<Readable> {
    const { zip, entry } = listed;
    const what = ` entry ${quoteName(entry.path)}`;
    if (zip.isEncrypted()) {
      throw new AirlockError('ARCHIVE_INVALID', `${this.name}:${what} is encrypted`, { hint: 'make the zip without a password' });
    }
    if (!zip.canDecodeFileData()) {
      throw new AirlockError('ARCHIVE_INVALID', `${this.name}:${what} uses compression method ${zip.compressionMethod}, which airlock cannot read`, {
        hint: 'make the zip with the usual deflate method, or unzip it and give the folder',
      });
    }
    let inner: Readable;
    try {
      inner = await this.zip.openReadStreamPromise(zip);
    } catch (err) {
      throw invalid(this.name, err, what);
    }
    // yauzl's errors (a CRC mismatch, more bytes than the header declared) become
    // ours, naming the entry.
    return relay(inner, (err) => invalid(this.name, err, what));
  }

  async *sequential(): AsyncGenerator<SequentialEntry> {
    let previous: Readable | undefined;
    try {
      for (const listed of await this.listed()) {
        previous?.destroy();
        previous = listed.entry.type === 'file' ? await this.stream(listed) : emptyStream();
        yield { entry: listed.entry, stream: previous };
      }
    } finally {
      previous?.destroy();
    }
  }

  bytesRead(): number {
    return this.source.bytesRead();
  }

  async close(): Promise<void> {
    this.zip.close();
    await this.source.close();
  }
}
