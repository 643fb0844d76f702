import type { Readable, Writable } from 'node:stream';
import { AirlockError } from '../errors.js';
import { isCleanEntryPath, quoteName } from './safe-path.js';
import { BLOCK, fileHeader, padding } from './tar-header.js';

export interface TarWriterOptions {
  /** Modification time of every entry, in seconds (or a Date). Default: SOURCE_DATE_EPOCH, else 0. */
  mtime?: number | Date;
}

/** Where an entry landed in the tar: for the bundle manifest and for reading it back in place. */
export interface TarEntryRecord {
  path: string;
  size: number;
  /** Offset of the entry's first header block (its PAX header when it has one). */
  headerOffset: number;
  /** Offset of the entry's first content byte. */
  dataOffset: number;
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org) in seconds, or 0 when unset. */
export function defaultMtime(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw.trim())) {
    throw new AirlockError('USAGE', `SOURCE_DATE_EPOCH=${JSON.stringify(raw)} is not a whole number of seconds`, {
      hint: 'set SOURCE_DATE_EPOCH to a Unix time such as 1700000000, or unset it',
    });
  }
  return Number(raw.trim());
}

/** Waits for `event`; fails if the sink errors or closes first (a plain once() would hang on close). */
function settle(sink: Writable, event: 'drain' | 'finish'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sink.destroyed) {
      reject(sink.errored ?? new AirlockError('IO', 'the output closed before the tar was complete', { hint: 'check free space on the output device' }));
      return;
    }
    const cleanup = (): void => {
      sink.off(event, onEvent);
      sink.off('error', onError);
      sink.off('close', onClose);
    };
    const onEvent = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(sink.errored ?? new AirlockError('IO', 'the output closed before the tar was complete', { hint: 'check free space on the output device' }));
    };
    sink.on(event, onEvent);
    sink.on('error', onError);
    sink.on('close', onClose);
  });
}

const ZERO_BLOCKS = Buffer.alloc(2 * BLOCK);

/**
 * Writes a deterministic tar of regular files to a sink: the same files in the
 * same order with the same mtime give the same bytes (uid/gid 0, no user names,
 * mode 0644, ustar, PAX only when a name or size does not fit). Entries are
 * written one at a time, in the order given; content is streamed, never held.
 */
export class TarWriter {
  private offset = 0;
  private busy = false;
  private failed: unknown;
  private sinkError: Error | undefined;
  private finished = false;
  private readonly names = new Set<string>();
  private readonly mtime: Date;
  readonly entries: TarEntryRecord[] = [];

  constructor(
    private readonly sink: Writable,
    options: TarWriterOptions = {},
  ) {
    // Heard at all times, so an error between two writes is kept, not thrown as an unheard event.
    sink.on('error', (err) => {
      this.sinkError ??= err;
    });
    const m = options.mtime ?? defaultMtime();
    this.mtime = m instanceof Date ? new Date(Math.floor(m.getTime() / 1000) * 1000) : new Date(Math.floor(m) * 1000);
  }

  /** Bytes written so far. */
  get position(): number {
    return this.offset;
  }

  /**
   * Adds a file of exactly `size` bytes. A stream that delivers more or fewer bytes
   * fails the entry and the writer: the tar would be corrupt, so the caller must
   * abort the sink.
   */
  async addFile(path: string, size: number, source: Readable | Buffer): Promise<TarEntryRecord> {
    this.enter();
    try {
      if (!isCleanEntryPath(path)) {
        throw new AirlockError('PATH_UNSAFE', `cannot write tar entry ${quoteName(path)}: not a clean relative path`, { hint: 'this is a bug in the caller; report it' });
      }
      if (this.names.has(path)) throw new AirlockError('INTERNAL', `tar entry ${quoteName(path)} written twice`, { hint: 'this is a bug; report it' });
      if (!Number.isSafeInteger(size) || size < 0) throw new AirlockError('INTERNAL', `tar entry ${quoteName(path)} has invalid size ${size}`);
      this.names.add(path);
      const headerOffset = this.offset;
      await this.write(fileHeader(path, size, this.mtime));
      const dataOffset = this.offset;
      const mismatch = (got: string): AirlockError =>
        new AirlockError('SIZE_MISMATCH', `tar entry ${quoteName(path)}: ${got}, expected ${size}`, {
          hint: 'the file changed while it was written; run the command again',
        });
      if (Buffer.isBuffer(source)) {
        if (source.length !== size) throw mismatch(`${source.length} bytes given`);
        await this.write(source);
      } else {
        let seen = 0;
        for await (const chunk of source) {
          const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          seen += buf.length;
          if (seen > size) {
            source.destroy();
            throw mismatch(`more than ${size} bytes arrived`);
          }
          await this.write(buf);
        }
        if (seen !== size) throw mismatch(`${seen} bytes arrived`);
      }
      await this.write(ZERO_BLOCKS.subarray(0, padding(size)));
      const record = { path, size, headerOffset, dataOffset };
      this.entries.push(record);
      return record;
    } catch (err) {
      this.failed = err;
      throw err;
    } finally {
      this.busy = false;
    }
  }

  /** Writes the end-of-archive marker (two zero blocks) and ends the sink. */
  async finish(): Promise<void> {
    this.enter();
    try {
      await this.write(ZERO_BLOCKS);
      this.finished = true;
      const done = settle(this.sink, 'finish');
      this.sink.end();
      await done;
    } catch (err) {
      this.failed = err;
      throw err;
    } finally {
      this.busy = false;
    }
  }

  private enter(): void {
    if (this.failed !== undefined) throw new AirlockError('INTERNAL', 'tar writer used after a failed write', { cause: this.failed });
    if (this.finished) throw new AirlockError('INTERNAL', 'tar writer used after finish()');
    if (this.busy) throw new AirlockError('INTERNAL', 'tar writer: one entry at a time (await addFile before the next)');
    this.busy = true;
  }

  private async write(buf: Buffer): Promise<void> {
    if (buf.length === 0) return;
    if (this.sinkError) throw this.sinkError;
    this.offset += buf.length;
    if (!this.sink.write(buf)) await settle(this.sink, 'drain');
    if (this.sinkError) throw this.sinkError;
  }
}
