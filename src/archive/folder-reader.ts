import { constants } from 'node:fs';
import { lstat, open, opendir, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { AirlockError, messageOf } from '../errors.js';
import { emptyStream, findFileEntry, once } from './lookup.js';
import { normalizeEntryPath, quoteName } from './safe-path.js';
import { MAX_LISTED_ENTRIES } from './tar-index.js';
import type { ArchiveEntry, BundleReader, EntryType, SequentialEntry } from './types.js';

const CHUNK = 256 * 1024;

function ioError(what: string, err: unknown): AirlockError {
  return new AirlockError('IO', `cannot read ${what}: ${messageOf(err)}`, { cause: err, hint: 'check that the folder is readable', retryable: true });
}

/**
 * An extracted bundle folder (an OCI layout with airlock.json beside it). Walked
 * with lstat, so a symlink is listed as one and never followed; open() reads only
 * regular files that the listing found, and refuses one that resolves outside.
 */
export class FolderReader implements BundleReader {
  readonly kind = 'folder' as const;
  readonly randomAccess = true;
  readonly compressed = false;
  readonly parts: readonly string[];
  readonly entries: () => Promise<ArchiveEntry[]>;
  private read_ = 0;

  constructor(readonly name: string) {
    this.parts = [name];
    this.entries = once(() => this.walk());
  }

  private async walk(): Promise<ArchiveEntry[]> {
    const out: ArchiveEntry[] = [];
    const visit = async (dir: string, rel: string): Promise<void> => {
      let names: string[];
      try {
        const handle = await opendir(dir);
        names = [];
        for await (const d of handle) names.push(d.name);
      } catch (err) {
        throw ioError(dir, err);
      }
      // Sorted by code unit: the same folder lists the same way everywhere.
      names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const name of names) {
        const relPath = rel ? `${rel}/${name}` : name;
        const path = normalizeEntryPath(relPath, this.name);
        const full = join(dir, name);
        let st;
        try {
          st = await lstat(full);
        } catch (err) {
          throw ioError(full, err);
        }
        const type: EntryType = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
        out.push({ path, size: type === 'file' ? st.size : 0, type });
        if (out.length > MAX_LISTED_ENTRIES) {
          throw new AirlockError('LAYOUT_INVALID', `${this.name} has more than ${MAX_LISTED_ENTRIES} files`, { hint: 'give the bundle folder, not a folder above it' });
        }
        if (type === 'directory') await visit(full, path);
      }
    };
    await visit(this.name, '');
    return out;
  }

  async open(path: string): Promise<Readable> {
    const entry = findFileEntry(await this.entries(), path, this.name);
    const full = join(this.name, ...entry.path.split('/'));
    let handle;
    try {
      // O_NOFOLLOW: if the file was swapped for a symlink since the listing, fail.
      handle = await open(full, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch (err) {
      throw ioError(full, err);
    }
    try {
      const [st, real, root] = await Promise.all([handle.stat(), realpath(full), realpath(this.name)]);
      if (!st.isFile() || !(real === root || real.startsWith(root + sep))) {
        throw new AirlockError('PATH_UNSAFE', `${this.name}: ${quoteName(path)} is no longer a regular file inside the folder`, {
          hint: 'something changed the folder while airlock read it; check it and run again',
        });
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    let position = 0;
    const count = (n: number): void => {
      this.read_ += n;
    };
    const fileHandle = handle;
    return new Readable({
      highWaterMark: CHUNK,
      read(this: Readable) {
        const buf = Buffer.allocUnsafe(CHUNK);
        fileHandle.read(buf, 0, CHUNK, position).then(
          ({ bytesRead }) => {
            position += bytesRead;
            count(bytesRead);
            this.push(bytesRead === 0 ? null : buf.subarray(0, bytesRead));
          },
          (err: unknown) => this.destroy(ioError(full, err)),
        );
      },
      destroy(err, done) {
        fileHandle.close().then(
          () => done(err),
          () => done(err),
        );
      },
    });
  }

  async *sequential(): AsyncGenerator<SequentialEntry> {
    let previous: Readable | undefined;
    try {
      for (const entry of await this.entries()) {
        previous?.destroy();
        previous = entry.type === 'file' ? await this.open(entry.path) : emptyStream();
        yield { entry, stream: previous };
      }
    } finally {
      previous?.destroy();
    }
  }

  bytesRead(): number {
    return this.read_;
  }

  async close(): Promise<void> {}
}
