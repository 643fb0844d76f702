import { mkdir, mkdtemp, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError, isAirlockError, messageOf } from '../errors.js';
import { describeType, normalizeEntryPath, quoteName } from './safe-path.js';
import type { BundleReader } from './types.js';

export interface ExtractOptions {
  /** Most bytes written in total, counted as they are produced (default 1 TiB). */
  maxTotalBytes?: number;
  /** Most entries in the archive, counting skipped ones (default 100 000). */
  maxEntries?: number;
  /** Zip and gzip: most bytes produced per compressed byte read, per entry (default 200). */
  maxRatio?: number;
  /** Only entries under this folder (as analyzeEntries' `root`, 'outer/' or '') are written, without it. */
  root?: string;
  /** Which entries to write (path as in the archive); the rest are read past. */
  include?(path: string): boolean;
  /** Bytes written so far, called as they are written (progress displays throttle themselves). */
  onBytes?(bytes: number): void;
  /** Stops the extraction between two chunks: INTERRUPTED, and the partial folder removed. */
  signal?: AbortSignal;
}

export interface ExtractResult {
  files: number;
  bytes: number;
  /** Entries read past: outside `root` or refused by `include`. */
  skipped: string[];
}

export const EXTRACT_DEFAULTS = { maxTotalBytes: 2 ** 40, maxEntries: 100_000, maxRatio: 200 } as const;

/** Below this many bytes an entry is never judged by its ratio: small JSON compresses well. */
const RATIO_FLOOR = 1024 * 1024;

const BOMB_HINT = 'the archive expands far beyond its size, like a decompression bomb; if it is genuine, raise the limit';

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTDIR') return false;
    throw new AirlockError('IO', `cannot read ${dir}: ${messageOf(err)}`, { cause: err, hint: 'check the output path' });
  }
}

/**
 * Extracts an archive into `destDir`, which must not exist or be empty. Everything
 * is written into a temporary folder beside it and renamed into place at the end,
 * so a failure (an unsafe entry, a limit, a bad byte) leaves nothing behind.
 * Links and special files are refused, never created; paths are checked again
 * here whatever the reader did; files get mode 0644 whatever the archive says.
 */
export async function extractSafely(reader: BundleReader, destDir: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const maxTotalBytes = options.maxTotalBytes ?? EXTRACT_DEFAULTS.maxTotalBytes;
  const maxEntries = options.maxEntries ?? EXTRACT_DEFAULTS.maxEntries;
  const maxRatio = options.maxRatio ?? EXTRACT_DEFAULTS.maxRatio;
  const root = options.root ?? '';
  const dest = resolve(destDir);
  if (!(await isEmptyOrMissing(dest))) {
    throw new AirlockError('FILE_EXISTS', `${destDir} already exists and is not an empty folder`, {
      hint: 'give a new folder, or remove this one first',
    });
  }
  // The first folder this creates, if any, so a failure can take it away again.
  const createdParent = await mkdir(dirname(dest), { recursive: true });
  const temp = await mkdtemp(join(dirname(dest), `.${basename(dest)}.partial-`));
  const result: ExtractResult = { files: 0, bytes: 0, skipped: [] };
  const limit = (message: string): AirlockError => new AirlockError('SIZE_LIMIT', `${reader.name}: ${message}`, { hint: BOMB_HINT });
  try {
    // Headers can lie, but an honest one that is already over the limit stops us before writing anything.
    if (reader.randomAccess) {
      const listed = await reader.entries();
      if (listed.length > maxEntries) throw limit(`${listed.length} entries, more than the limit of ${maxEntries}`);
      const declared = listed.reduce((sum, e) => sum + e.size, 0);
      if (declared > maxTotalBytes) throw limit(`${declared} bytes declared, more than the limit of ${maxTotalBytes}`);
    }
    let count = 0;
    const made = new Set<string>();
    for await (const { entry, stream } of reader.sequential()) {
      if (++count > maxEntries) throw limit(`more than the limit of ${maxEntries} entries`);
      // Readers already refuse unsafe names; checking again costs nothing and does not depend on them.
      const path = normalizeEntryPath(entry.path, reader.name);
      if (entry.type === 'symlink' || entry.type === 'hardlink' || entry.type === 'other') {
        const to = entry.linkTarget === undefined ? '' : ` to ${quoteName(entry.linkTarget)}`;
        throw new AirlockError('PATH_UNSAFE', `${reader.name}: entry ${quoteName(path)} is ${describeType(entry.type)}${to}; airlock extracts only files and folders`, {
          hint: 'a bundle never holds links or devices; get it again from a trusted source',
        });
      }
      const underRoot = root === '' || path.startsWith(root);
      const rel = underRoot ? path.slice(root.length) : '';
      if (!underRoot || rel === '' || (options.include && !options.include(path))) {
        if (path !== '' && path !== root.replace(/\/$/, '')) result.skipped.push(path);
        stream.resume();
        continue;
      }
      const target = join(temp, ...rel.split('/'));
      if (!target.startsWith(temp + sep)) throw new AirlockError('PATH_UNSAFE', `${reader.name}: entry ${quoteName(path)} resolves outside the folder`, { hint: 'get the bundle again from a trusted source' });
      if (entry.type === 'directory') {
        await mkdirInside(target, path, reader.name);
        stream.resume();
        continue;
      }
      await mkdirInside(dirname(target), path, reader.name);
      if (made.has(target)) {
        throw new AirlockError('ARCHIVE_INVALID', `${reader.name} holds entry ${quoteName(path)} more than once`, {
          hint: 'a bundle holds each file once; this archive was altered, get it again from a trusted source',
        });
      }
      made.add(target);
      const startRead = reader.bytesRead();
      let produced = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done: TransformCallback) {
          produced += chunk.length;
          result.bytes += chunk.length;
          if (result.bytes > maxTotalBytes) return done(limit(`more than the limit of ${maxTotalBytes} bytes in total`));
          if (reader.compressed && produced > RATIO_FLOOR) {
            const consumed = Math.max(1, reader.bytesRead() - startRead);
            if (produced > consumed * maxRatio) {
              return done(limit(`entry ${quoteName(path)} expands more than ${maxRatio} times (${produced} bytes from ${consumed})`));
            }
          }
          if (options.signal?.aborted) return done(new AirlockError('INTERRUPTED', `extracting ${reader.name} was interrupted`));
          options.onBytes?.(result.bytes);
          done(null, chunk);
        },
      });
      let file;
      try {
        // 'wx': never write through something already there.
        file = await open(target, 'wx', 0o644);
      } catch (err) {
        throw new AirlockError('ARCHIVE_INVALID', `${reader.name}: cannot write entry ${quoteName(path)}: ${messageOf(err)}`, {
          cause: err,
          hint: 'the archive holds conflicting names; get it again from a trusted source',
        });
      }
      await pipeline(stream, meter, file.createWriteStream());
      result.files++;
    }
    if (!(await renameInto(temp, dest))) {
      throw new AirlockError('FILE_EXISTS', `${destDir} was filled by something else during extraction`, { hint: 'give a new folder' });
    }
    return result;
  } catch (err) {
    await rm(createdParent ?? temp, { recursive: true, force: true }).catch(() => undefined);
    if (isAirlockError(err)) throw err;
    throw new AirlockError('IO', `extracting ${reader.name} to ${destDir} failed: ${messageOf(err)}`, { cause: err, hint: 'check free space and permissions' });
  }
}

async function mkdirInside(dir: string, path: string, archive: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new AirlockError('ARCHIVE_INVALID', `${archive}: cannot create the folder for entry ${quoteName(path)}: ${messageOf(err)}`, {
      cause: err,
      hint: 'the archive holds a file and a folder of the same name; get it again from a trusted source',
    });
  }
}

/** Renames the finished folder into place; an empty destination is replaced. */
async function renameInto(temp: string, dest: string): Promise<boolean> {
  try {
    await rename(temp, dest);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw err;
  }
  // Some systems refuse to rename over even an empty folder: remove it (only if still empty) and retry.
  try {
    await rmdir(dest);
  } catch {
    return false;
  }
  await rename(temp, dest);
  return true;
}
