import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { AirlockError, messageOf } from '../errors.js';

/** Bytes per read: large enough for throughput, small enough to keep memory flat. */
const CHUNK = 256 * 1024;

/**
 * A read-only file addressed by byte offset: one file, or split parts seen as one.
 * Every read goes through `read`, so `bytesRead` counts exactly what came off disk.
 */
export interface ByteSource {
  /** Names the source in messages. */
  readonly name: string;
  readonly size: number;
  /** The files behind it, in order. */
  readonly files: readonly string[];
  /** Reads up to `length` bytes at `position`; fewer only at the end of the source. */
  read(position: number, length: number): Promise<Buffer>;
  /** Streams bytes [start, end) (end exclusive). */
  readRange(start: number, end: number): Readable;
  /** Where a byte lies, for messages: `bundle.tar.002 at byte 1536`. */
  describe(position: number): string;
  /** What is probably wrong when the content needs bytes beyond the end. */
  truncation(): string;
  bytesRead(): number;
  close(): Promise<void>;
}

interface Part {
  path: string;
  name: string;
  start: number;
  size: number;
  handle: FileHandle;
}

/** A source over one or more files laid end to end. */
class FileSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly files: readonly string[];
  private read_ = 0;
  private closed = false;

  constructor(private readonly parts: Part[]) {
    this.files = parts.map((p) => p.path);
    this.size = parts.reduce((sum, p) => sum + p.size, 0);
    const first = parts[0]!.name;
    this.name = parts.length === 1 ? first : `${first}…${parts[parts.length - 1]!.name.slice(-3)}`;
  }

  bytesRead(): number {
    return this.read_;
  }

  async read(position: number, length: number): Promise<Buffer> {
    if (this.closed) throw new AirlockError('INTERNAL', `${this.name} was read after it was closed`);
    const want = Math.max(0, Math.min(length, this.size - position));
    const out = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const at = position + filled;
      const part = this.partAt(at);
      const offset = at - part.start;
      const n = Math.min(want - filled, part.size - offset);
      let got: number;
      try {
        ({ bytesRead: got } = await part.handle.read(out, filled, n, offset));
      } catch (err) {
        throw new AirlockError('IO', `cannot read ${part.name}: ${messageOf(err)}`, {
          cause: err,
          hint: 'check that the file is readable and the medium is still attached',
          retryable: true,
        });
      }
      if (got === 0) {
        throw new AirlockError('ARCHIVE_INVALID', `${part.name} became shorter while it was read (at byte ${offset})`, {
          hint: 'something else is writing or truncating the file; wait until the copy is complete',
        });
      }
      this.read_ += got;
      filled += got;
    }
    return out;
  }

  readRange(start: number, end: number): Readable {
    return new RangeStream(this, start, Math.min(end, this.size));
  }

  describe(position: number): string {
    if (this.parts.length === 1) return `${this.name} at byte ${position}`;
    const part = this.partAt(Math.min(position, this.size - 1));
    return `${part.name} at byte ${position - part.start}`;
  }

  truncation(): string {
    const last = this.parts[this.parts.length - 1]!;
    if (this.parts.length === 1 && !/\.\d{3,}$/.test(last.path)) return `${last.name} is truncated`;
    return `${nextPartName(last.name)} is missing (or ${last.name} is truncated)`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.parts.map((p) => p.handle.close().catch(() => undefined)));
  }

  private partAt(position: number): Part {
    // Binary search: parts are few, but a 100 GB bundle in 700 MB parts has ~150.
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.parts[mid]!.start <= position) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty parts so a read at a boundary lands in the part that holds the byte.
    while (lo < this.parts.length - 1 && position >= this.parts[lo]!.start + this.parts[lo]!.size) lo++;
    return this.parts[lo]!;
  }
}

/** `bundle.tar.002` → `bundle.tar.003`. */
export function nextPartName(name: string): string {
  const m = /^(.*)\.(\d{3,})$/.exec(name);
  if (!m) return `${name}.001`;
  const width = m[2]!.length;
  return `${m[1]}.${String(Number(m[2]) + 1).padStart(width, '0')}`;
}

/** Streams a byte range of a source through its counted reads. */
class RangeStream extends Readable {
  private position: number;

  constructor(
    private readonly source: ByteSource,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: CHUNK });
    this.position = start;
  }

  override _read(): void {
    const n = Math.min(CHUNK, this.end - this.position);
    if (n <= 0) {
      this.push(null);
      return;
    }
    this.source.read(this.position, n).then(
      (buf) => {
        if (buf.length === 0) {
          this.destroy(new AirlockError('ARCHIVE_INVALID', `${this.source.describe(this.position)}: unexpected end of data`, { hint: this.source.truncation() }));
          return;
        }
        this.position += buf.length;
        this.push(buf);
        if (this.position >= this.end) this.push(null);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
}

async function openPart(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AirlockError('IO', code === 'ENOENT' ? `${path} does not exist` : `cannot open ${path}: ${messageOf(err)}`, {
      cause: err,
      hint: code === 'ENOENT' ? 'check the path' : 'check that the file is readable',
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new AirlockError('USAGE', `${path} is not a regular file`, { hint: 'give the bundle file, its split parts, or a folder' });
    return { handle, size: st.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** A source over one file. */
export async function openFileSource(path: string): Promise<ByteSource> {
  const { handle, size } = await openPart(path);
  return new FileSource([{ path, name: basename(path), start: 0, size, handle }]);
}

/**
 * A source over split parts laid end to end. Every part but the last must be as
 * long as the first: a shorter one was cut off in the copy, and reading on would
 * shift every later byte, so it is named here rather than as a bad header later.
 */
export async function openPartsSource(paths: readonly string[]): Promise<ByteSource> {
  const parts: Part[] = [];
  try {
    let start = 0;
    for (const path of paths) {
      const { handle, size } = await openPart(path);
      parts.push({ path, name: basename(path), start, size, handle });
      start += size;
    }
    const first = parts[0]!;
    for (const part of parts.slice(1, -1)) {
      if (part.size < first.size) {
        throw new AirlockError('ARCHIVE_INVALID', `${part.name} is ${part.size} bytes, shorter than ${first.name} (${first.size} bytes): it is truncated`, {
          hint: `every part but the last has the same size; copy ${part.name} again`,
        });
      }
    }
    return new FileSource(parts);
  } catch (err) {
    await Promise.all(parts.map((p) => p.handle.close().catch(() => undefined)));
    throw err;
  }
}

/** Size of a path, or undefined when it does not exist. */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
