import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extractSafely } from '../src/archive/extract.js';
import { analyzeEntries } from '../src/archive/layout.js';
import { openBundle } from '../src/archive/open.js';
import { normalizeEntryPath } from '../src/archive/safe-path.js';
import { fileHeader } from '../src/archive/tar-header.js';
import type { BundleReader } from '../src/archive/types.js';
import { forgeTar, forgeZip, makeZip, readAll, sampleBundleFiles, tempDir, writeBundleTar, zeros, type ForgeEntry, errorOf } from './helpers/archives.js';

let dir: string;
let cleanup: () => Promise<void>;
const readers: BundleReader[] = [];
beforeEach(async () => {
  ({ path: dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close()));
  await cleanup();
});

async function open(path: string): Promise<BundleReader> {
  const r = await openBundle(path);
  readers.push(r);
  return r;
}

async function drain(r: BundleReader): Promise<void> {
  for await (const { stream } of r.sequential()) await readAll(stream);
}

/** What is in `dir` besides the inputs: extraction must leave nothing on failure. */
async function leftovers(inputs: string[]): Promise<string[]> {
  return (await readdir(dir)).filter((n) => !inputs.includes(n));
}

describe('normalizeEntryPath', () => {
  it('cleans harmless forms', () => {
    expect(normalizeEntryPath('./a//b/./c', 'x')).toBe('a/b/c');
    expect(normalizeEntryPath('a/b/', 'x')).toBe('a/b');
    expect(normalizeEntryPath('./', 'x')).toBe('');
    expect(normalizeEntryPath('a..b/..c', 'x')).toBe('a..b/..c');
  });

  it.each([
    ['../x', 'has a ".." component'],
    ['a/../../x', 'has a ".." component'],
    ['/etc/passwd', 'is an absolute path'],
    ['//host/share', 'is an absolute path'],
    ['C:/Windows/x', 'starts with a drive letter'],
    ['c:x', 'starts with a drive letter'],
    ['a\\..\\..\\x', 'contains a backslash'],
    ['\\\\server\\x', 'contains a backslash'],
    ['a\0b', 'contains a NUL byte'],
    ['a\nb', 'contains control characters'],
    ['a\u001b[31mb', 'contains control characters'],
  ])('refuses %j (%s)', (raw, why) => {
    expect(() => normalizeEntryPath(raw, 'b.tar')).toThrow(expect.objectContaining({ code: 'PATH_UNSAFE', message: `b.tar: entry ${JSON.stringify(raw)} ${why}` }));
  });
});

describe('hostile tars', () => {
  it.each([
    ['../x', '"../x" has a ".." component'],
    ['/etc/passwd', '"/etc/passwd" is an absolute path'],
    ['ok/../../x', '"ok/../../x" has a ".." component'],
  ])('refuses %s when listing, streaming and extracting, leaving nothing behind', async (path, message) => {
    const name = 'evil.tar';
    await writeFile(join(dir, name), forgeTar([{ path: 'oci-layout', data: '{}' }, { path, data: 'pwned' }]));
    const r = await open(join(dir, name));
    expect(await errorOf(r.entries())).toMatchObject({ code: 'PATH_UNSAFE', message: `${name}: entry ${message}` });
    expect(await errorOf(drain(r))).toMatchObject({ code: 'PATH_UNSAFE' });
    expect(await errorOf(extractSafely(r, join(dir, 'out')))).toMatchObject({ code: 'PATH_UNSAFE' });
    expect(await leftovers([name])).toEqual([]);
  });

  it('refuses a long PAX name that climbs out, though its ustar name looks harmless', async () => {
    const blocks = forgeTar([{ path: `${'a/'.repeat(60)}${'../'.repeat(70)}etc/passwd`, data: 'x' }]);
    await writeFile(join(dir, 'pax.tar'), blocks);
    const r = await open(join(dir, 'pax.tar'));
    expect(await errorOf(r.entries())).toMatchObject({ code: 'PATH_UNSAFE' });
  });

  it.each<[string, ForgeEntry, string]>([
    ['symlink escape', { path: 'layout/blobs', type: 'SymbolicLink', linkpath: '../../../../etc' }, 'is a symbolic link to "../../../../etc"'],
    ['absolute symlink', { path: 'layout/x', type: 'SymbolicLink', linkpath: '/etc/passwd' }, 'is a symbolic link to "/etc/passwd"'],
    ['hardlink', { path: 'layout/x', type: 'Link', linkpath: '/etc/shadow' }, 'is a hard link to "/etc/shadow"'],
    ['fifo', { path: 'layout/x', type: 'FIFO' }, 'is a special file'],
    ['device', { path: 'layout/x', type: 'CharacterDevice' }, 'is a special file'],
  ])('extraction refuses a %s and writes nothing', async (_what, hostile, message) => {
    // The hostile entry comes after honest ones, and a file follows that would
    // land through the link if it were ever created.
    const entries: ForgeEntry[] = [{ path: 'layout/oci-layout', data: '{}' }, hostile, { path: 'layout/blobs/passwd', data: 'pwned' }];
    await writeFile(join(dir, 'evil.tar'), forgeTar(entries));
    const r = await open(join(dir, 'evil.tar'));
    // A destination whose parent folders do not exist yet: they go too.
    const err = await errorOf(extractSafely(r, join(dir, 'new', 'parents', 'out')));
    expect(err.code).toBe('PATH_UNSAFE');
    expect(err.message).toContain(`entry "${hostile.path}" ${message}`);
    expect(await leftovers(['evil.tar'])).toEqual([]);
    // The same through gzip, where the entry is met only after files were written.
    await writeFile(join(dir, 'evil.tgz'), gzipSync(forgeTar(entries)));
    const gz = await open(join(dir, 'evil.tgz'));
    expect(await errorOf(extractSafely(gz, join(dir, 'out')))).toMatchObject({ code: 'PATH_UNSAFE' });
    expect(await leftovers(['evil.tar', 'evil.tgz'])).toEqual([]);
  });

  it('extraction refuses a path written twice and a file where a folder must go', async () => {
    await writeFile(join(dir, 'dup.tgz'), gzipSync(forgeTar([{ path: 'a', data: 'one' }, { path: './a', data: 'two' }])));
    expect(await errorOf(extractSafely(await open(join(dir, 'dup.tgz')), join(dir, 'out')))).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringContaining('more than once') });
    await writeFile(join(dir, 'clash.tgz'), gzipSync(forgeTar([{ path: 'a', data: 'file' }, { path: 'a/b', data: 'under a file' }])));
    expect(await errorOf(extractSafely(await open(join(dir, 'clash.tgz')), join(dir, 'out')))).toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect(await leftovers(['dup.tgz', 'clash.tgz'])).toEqual([]);
  });
});

describe('hostile zips', () => {
  it.each([
    ['../x', 'has a ".." component'],
    ['/etc/passwd', 'is an absolute path'],
    ['C:/x', 'starts with a drive letter'],
    ['a\\..\\..\\x', 'contains a backslash'],
  ])('refuses an entry named %s, naming it', async (name, why) => {
    await writeFile(join(dir, 'evil.zip'), forgeZip([{ name: 'oci-layout', data: '{}' }, { name, data: 'pwned' }]));
    const r = await open(join(dir, 'evil.zip'));
    expect(await errorOf(r.entries())).toMatchObject({ code: 'PATH_UNSAFE', message: `evil.zip: entry ${JSON.stringify(name)} ${why}` });
    expect(await errorOf(extractSafely(r, join(dir, 'out')))).toMatchObject({ code: 'PATH_UNSAFE' });
    expect(await leftovers(['evil.zip'])).toEqual([]);
  });

  it('lists a zip symlink as one and refuses to open or extract it', async () => {
    await writeFile(join(dir, 'link.zip'), forgeZip([{ name: 'oci-layout', data: '{}' }, { name: 'blobs', data: '/etc', mode: 0o120777 }]));
    const r = await open(join(dir, 'link.zip'));
    expect((await r.entries())[1]).toEqual({ path: 'blobs', size: 4, type: 'symlink' });
    expect(await errorOf(r.open('blobs'))).toMatchObject({ code: 'PATH_UNSAFE' });
    expect(await errorOf(extractSafely(r, join(dir, 'out')))).toMatchObject({ code: 'PATH_UNSAFE' });
  });

  it('counts the bytes actually produced: a header that understates the size does not get through', async () => {
    const real = Buffer.alloc(8 * 1024 * 1024);
    const deflated = { data: deflateRawSync(real), crc: crc32(real), size: real.length };
    await writeFile(join(dir, 'liar.zip'), forgeZip([{ name: 'blobs/sha256/x', deflated, declaredSize: 1000 }]));
    const r = await open(join(dir, 'liar.zip'));
    expect((await r.entries())[0]!.size).toBe(1000);
    expect(await errorOf(readAll(await r.open('blobs/sha256/x')))).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringContaining('entry "blobs/sha256/x"') });
    const err = await errorOf(extractSafely(r, join(dir, 'out'), { maxTotalBytes: 10_000 }));
    expect(['ARCHIVE_INVALID', 'SIZE_LIMIT']).toContain(err.code);
    expect(await leftovers(['liar.zip'])).toEqual([]);
  });
});

describe('decompression bombs', () => {
  const BOMB = 200 * 1024 * 1024;
  let bombDir: { path: string; cleanup: () => Promise<void> };
  let zipBomb: string;
  let gzBomb: string;

  beforeAll(async () => {
    bombDir = await tempDir('airlock-bomb-');
    // 200 MiB of zeros, streamed through archiver into a zip of about 200 KB.
    zipBomb = join(bombDir.path, 'bomb.zip');
    await makeZip(zipBomb, [{ name: 'bundle/oci-layout', data: '{}' }, { name: `bundle/blobs/sha256/${'0'.repeat(64)}`, data: () => zeros(BOMB) }], 9);
    // The same as a gzip-compressed tar, streamed.
    gzBomb = join(bombDir.path, 'bomb.tgz');
    const head = fileHeader(`blobs/sha256/${'0'.repeat(64)}`, BOMB, new Date(0));
    await pipeline(Readable.from((async function* () {
      yield head;
      for await (const chunk of zeros(BOMB)) yield chunk as Buffer;
      yield Buffer.alloc(1024);
    })()), createGzip({ level: 9 }), createWriteStream(gzBomb));
  });
  afterAll(async () => {
    await bombDir.cleanup();
  });

  it('the bombs are small', async () => {
    expect((await stat(zipBomb)).size).toBeLessThan(1024 * 1024);
    expect((await stat(gzBomb)).size).toBeLessThan(1024 * 1024);
  });

  it('zip: the total limit trips on the declared sizes before a byte is written', async () => {
    const r = await open(zipBomb);
    const err = await errorOf(extractSafely(r, join(dir, 'out'), { maxTotalBytes: 50 * 1024 * 1024 }));
    expect(err).toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining('declares') });
    expect(await leftovers([])).toEqual([]);
    expect(r.bytesRead()).toBeLessThan(128 * 1024); // the end records and central directory only
  });

  it('zip: the reader refuses an entry declaring more than 200 times its compressed size, before inflating it', async () => {
    const r = await open(zipBomb);
    const err = await errorOf(extractSafely(r, join(dir, 'out'), { maxRatio: 100 }));
    expect(err).toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining(`entry "bundle/blobs/sha256/${'0'.repeat(64)}" declares: ${BOMB} bytes`) });
    expect(r.bytesRead()).toBeLessThan(128 * 1024);
    expect(await leftovers([])).toEqual([]);
  });

  it('gzip: the reader refuses an entry declaring more than 200 times the file size, before inflating it', async () => {
    const r = await open(gzBomb);
    const err = await errorOf(extractSafely(r, join(dir, 'out'), { maxRatio: 100 }));
    expect(err).toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining(`declares ${BOMB} bytes`) });
    // Refused at its header: one read-ahead chunk of the file, not the 200 MiB it inflates to.
    expect(r.bytesRead()).toBeLessThanOrEqual(1024 * 1024);
    expect(await leftovers([])).toEqual([]);
  });

  it('gzip: the declared size is judged against the file size however high the extract limits are', async () => {
    const r = await open(gzBomb);
    const err = await errorOf(extractSafely(r, join(dir, 'out'), { maxRatio: 1e9, maxTotalBytes: 5 * 1024 * 1024 }));
    expect(err).toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining('more than 200 times') });
    expect(await leftovers([])).toEqual([]);
  });

  it('the entry count limit trips', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ path: `f${i}`, data: 'x' }));
    await writeFile(join(dir, 'many.tar'), forgeTar(many));
    await writeFile(join(dir, 'many.tgz'), gzipSync(forgeTar(many)));
    for (const name of ['many.tar', 'many.tgz']) {
      const err = await errorOf(extractSafely(await open(join(dir, name)), join(dir, 'out'), { maxEntries: 20 }));
      expect(err).toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining('limit of 20') });
    }
    expect(await leftovers(['many.tar', 'many.tgz'])).toEqual([]);
  });
});

describe('extractSafely', () => {
  it('extracts the layout root of a nested, littered zip into a new folder, skipping junk', async () => {
    const files = sampleBundleFiles();
    await makeZip(join(dir, 'b.zip'), [
      ...files.map((f) => ({ name: `bundle/${f.path}`, data: f.data })),
      { name: '__MACOSX/bundle/._oci-layout', data: 'fork' },
      { name: 'bundle/.DS_Store', data: 'finder' },
    ]);
    const r = await open(join(dir, 'b.zip'));
    const report = analyzeEntries(await r.entries());
    const junk = new Set(report.junk);
    const out = join(dir, 'deep', 'out');
    const result = await extractSafely(r, out, { root: report.root, include: (p) => !junk.has(p) });
    expect(result.files).toBe(files.length);
    expect(result.bytes).toBe(files.reduce((s, f) => s + f.data.length, 0));
    expect(result.skipped.sort()).toEqual(['__MACOSX/bundle/._oci-layout', 'bundle/.DS_Store']);
    for (const f of files) {
      expect((await readFile(join(out, f.path))).equals(f.data)).toBe(true);
      expect((await stat(join(out, f.path))).mode & 0o777).toBe(0o644 & ~process.umask());
    }
    expect((await readdir(join(dir, 'deep'))).sort()).toEqual(['out']);
  });

  it('extracts a split tar into an existing empty folder; GNU tar agrees on the content', async () => {
    const files = sampleBundleFiles();
    const parts = await writeBundleTar(join(dir, 'b.tar'), files, { splitSize: 8192 });
    const out = join(dir, 'out');
    await mkdir(out);
    await extractSafely(await open(parts[0]!), out);
    const joined = Buffer.concat(await Promise.all(parts.map((p) => readFile(p))));
    await writeFile(join(dir, 'joined.tar'), joined);
    await mkdir(join(dir, 'gnu'));
    execFileSync('tar', ['-xf', join(dir, 'joined.tar'), '-C', join(dir, 'gnu')]);
    for (const f of files) expect((await readFile(join(out, f.path))).equals(await readFile(join(dir, 'gnu', f.path)))).toBe(true);
  });

  it('refuses a destination that exists and is not empty, or is a file', async () => {
    const [tar] = await writeBundleTar(join(dir, 'b.tar'), sampleBundleFiles());
    await mkdir(join(dir, 'full'));
    await writeFile(join(dir, 'full', 'keep'), 'mine');
    const err = await errorOf(extractSafely(await open(tar!), join(dir, 'full')));
    expect(err).toMatchObject({ code: 'FILE_EXISTS', hint: expect.stringContaining('new folder') });
    expect(await readdir(join(dir, 'full'))).toEqual(['keep']);
    await writeFile(join(dir, 'afile'), 'x');
    expect(await errorOf(extractSafely(await open(tar!), join(dir, 'afile')))).toMatchObject({ code: 'FILE_EXISTS' });
    expect((await readdir(dir)).sort()).toEqual(['afile', 'b.tar', 'full']);
  });
});
