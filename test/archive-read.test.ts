import { execFileSync } from 'node:child_process';
import { mkdir, open as openFile, readFile, rename, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeEntries } from '../src/archive/layout.js';
import { openBundle } from '../src/archive/open.js';
import { fileHeader } from '../src/archive/tar-header.js';
import type { BundleReader } from '../src/archive/types.js';
import { forgeTar, makeZip, readAll, sampleBundleFiles, tempDir, writeBundleTar, type SampleFile, errorOf } from './helpers/archives.js';

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

async function openTracked(input: string | string[]): Promise<BundleReader> {
  const r = await openBundle(input);
  readers.push(r);
  return r;
}

/** Every way of reading must give the same files with the same bytes. */
async function expectContent(reader: BundleReader, files: SampleFile[], prefix = '', junk: (path: string) => boolean = () => false): Promise<void> {
  const entries = (await reader.entries()).filter((e) => e.type === 'file' && !junk(e.path));
  expect(entries.map((e) => [e.path, e.size])).toEqual(files.map((f) => [prefix + f.path, f.data.length]));
  for (const f of files) expect((await readAll(await reader.open(prefix + f.path))).equals(f.data), f.path).toBe(true);
  const seen: string[] = [];
  for await (const { entry, stream } of reader.sequential()) {
    if (entry.type !== 'file' || junk(entry.path)) continue;
    const f = files.find((x) => prefix + x.path === entry.path)!;
    // Read every other stream, leave the rest: skipping must land on the next header.
    if (seen.length % 2 === 0) expect((await readAll(stream)).equals(f.data), entry.path).toBe(true);
    seen.push(entry.path);
  }
  expect(seen).toEqual(files.map((f) => prefix + f.path));
}

describe('tar bundles', () => {
  it('lists by headers, reads by offset, and streams in one pass', async () => {
    const files = sampleBundleFiles();
    const [path] = await writeBundleTar(join(dir, 'bundle.tar'), files);
    const r = await openTracked(path!);
    expect(r.kind).toBe('tar');
    expect(r.randomAccess).toBe(true);
    expect(r.parts).toEqual([path]);
    await expectContent(r, files);
    const report = analyzeEntries(await r.entries());
    expect(report).toEqual({ root: '', junk: [], problems: [], missingIndex: false });
  });

  it('reads a tar by content whatever its name says', async () => {
    const files = sampleBundleFiles();
    const [path] = await writeBundleTar(join(dir, 'bundle.tar'), files);
    await rename(path!, join(dir, 'bundle.tar.gz'));
    const r = await openTracked(join(dir, 'bundle.tar.gz'));
    expect(r.kind).toBe('tar');
    await expectContent(r, files);
  });

  it('reads tars made by GNU tar: ./ prefixes, directory entries, GNU long names and PAX', async () => {
    const files = sampleBundleFiles();
    const src = join(dir, 'src');
    const longDir = `${'n'.repeat(90)}/${'m'.repeat(90)}`;
    for (const f of [...files, { path: `${longDir}/${'z'.repeat(80)}`, data: Buffer.from('long') }]) {
      await mkdir(join(src, f.path, '..'), { recursive: true });
      await writeFile(join(src, f.path), f.data);
    }
    for (const format of ['gnu', 'posix', 'ustar']) {
      const tarPath = join(dir, `${format}.tar`);
      // ustar cannot hold the long name: leave it out there.
      const args = ['--format', format, ...(format === 'ustar' ? ['--exclude', 'nnn*'] : []), '-cf', tarPath, '-C', src, '.'];
      execFileSync('tar', args);
      const r = await openTracked(tarPath);
      const entries = await r.entries();
      expect(entries.find((e) => e.path === '')?.type).toBe('directory');
      expect(entries.find((e) => e.path === 'blobs/sha256')?.type).toBe('directory');
      if (format !== 'ustar') expect(entries.some((e) => e.path === `${longDir}/${'z'.repeat(80)}` && e.size === 4)).toBe(true);
      for (const f of files) expect((await readAll(await r.open(f.path))).equals(f.data)).toBe(true);
      const report = analyzeEntries(entries);
      expect(report.root).toBe('');
      expect(report.junk).toContain('./');
    }
  });

  it('names a corrupt header by its place, and a tar without its end marker as truncated', async () => {
    const files = sampleBundleFiles();
    const [path] = await writeBundleTar(join(dir, 'bundle.tar'), files);
    const tar = await readFile(path!);
    const corrupt = Buffer.from(tar);
    corrupt[1024 + 10] = corrupt[1024 + 10]! ^ 0xff; // inside the second entry's header (first is 512 + 512 of content)
    await writeFile(join(dir, 'corrupt.tar'), corrupt);
    const err = await errorOf((await openTracked(join(dir, 'corrupt.tar'))).entries());
    expect(err.code).toBe('ARCHIVE_INVALID');
    expect(err.message).toContain('corrupt.tar at byte 1024');
    expect(err.message).toContain('checksum');

    await writeFile(join(dir, 'cut.tar'), tar.subarray(0, tar.length - 1024));
    const cut = await errorOf((await openTracked(join(dir, 'cut.tar'))).entries());
    expect(cut.message).toMatch(/cut\.tar is truncated: .*end-of-archive marker/);
    await writeFile(join(dir, 'mid.tar'), tar.subarray(0, tar.length - 1024 - 600));
    const mid = await errorOf((await openTracked(join(dir, 'mid.tar'))).entries());
    expect(mid.message).toMatch(/mid\.tar is truncated: the archive ends in the middle of entry blobs\/sha256\//);
    // The single pass sees the same.
    const seq = await errorOf((async () => {
      for await (const { stream } of (await openTracked(join(dir, 'mid.tar'))).sequential()) await readAll(stream);
    })());
    expect(seq.message).toMatch(/mid\.tar is truncated: the archive ends in the middle of entry blobs\/sha256\//);
  });

  it('refuses to open a path listed twice, or a link', async () => {
    await writeFile(join(dir, 'dup.tar'), forgeTar([{ path: 'a', data: 'one' }, { path: './a', data: 'two' }, { path: 'l', type: 'SymbolicLink', linkpath: 'a' }]));
    const r = await openTracked(join(dir, 'dup.tar'));
    expect(await r.entries()).toMatchObject([{ path: 'a' }, { path: 'a' }, { path: 'l', type: 'symlink', linkTarget: 'a' }]);
    expect(await errorOf(r.open('a'))).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringContaining('2 times') });
    expect(await errorOf(r.open('l'))).toMatchObject({ code: 'PATH_UNSAFE' });
    expect(await errorOf(r.open('nope'))).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringContaining('no entry "nope"') });
  });

  it('indexes a 10 GiB tar reading only its headers, and open() reads only the entry', async () => {
    // A sparse file: a 10 GiB entry (size in a PAX record) whose content is a hole,
    // then a small entry. Nothing but the headers and the small entry is ever read.
    const path = join(dir, 'huge.tar');
    const big = 10 * 2 ** 30;
    const head = fileHeader('blobs/big', big, new Date(0));
    const tail = Buffer.from('the last entry');
    const tailHeader = fileHeader('tail', tail.length, new Date(0));
    const fh = await openFile(path, 'w');
    await fh.write(head, 0, head.length, 0);
    const tailAt = head.length + big;
    await fh.write(tailHeader, 0, tailHeader.length, tailAt);
    await fh.write(Buffer.concat([tail, Buffer.alloc(512 - tail.length), Buffer.alloc(1024)]), 0, 512 + 1024, tailAt + 512);
    await fh.close();

    const r = await openTracked(path);
    const entries = await r.entries();
    expect(entries).toEqual([
      { path: 'blobs/big', size: big, type: 'file', offset: head.length, headerOffset: 0 },
      { path: 'tail', size: tail.length, type: 'file', offset: tailAt + 512, headerOffset: tailAt },
    ]);
    const afterIndex = r.bytesRead();
    expect(afterIndex).toBeLessThan(8 * 1024);
    expect((await readAll(await r.open('tail'))).toString()).toBe('the last entry');
    expect(r.bytesRead() - afterIndex).toBe(tail.length);
  });
});

describe('split bundles', () => {
  async function split(files: SampleFile[], size = 8192): Promise<string[]> {
    return writeBundleTar(join(dir, 'bundle.tar'), files, { splitSize: size });
  }

  it('reads parts from the first one, from the plain name, or all given, across part boundaries', async () => {
    const files = sampleBundleFiles([10, 3000, 70_000]);
    const parts = await split(files);
    expect(parts.length).toBeGreaterThan(8);
    for (const input of [parts[0]!, join(dir, 'bundle.tar'), [...parts].reverse()]) {
      const r = await openTracked(input);
      expect(r.kind).toBe('tar');
      expect(r.parts).toEqual(parts);
      expect(r.name).toBe('bundle.tar.000…' + String(parts.length - 1).padStart(3, '0'));
      await expectContent(r, files);
    }
  });

  it('names a missing part in the middle of the sequence', async () => {
    const parts = await split(sampleBundleFiles());
    await unlink(parts[2]!);
    const err = await errorOf(openBundle(parts[0]!));
    expect(err).toMatchObject({ code: 'ARCHIVE_INVALID', message: 'bundle.tar.002 is missing' });
    const given = await errorOf(openBundle(parts.filter((_, i) => i !== 2)));
    expect(given.message).toBe('bundle.tar.002 is missing');
  });

  it('names the missing last part when the tar ends mid-entry', async () => {
    const parts = await split(sampleBundleFiles());
    const last = parts.length - 1;
    await unlink(parts[last]!);
    await unlink(parts[last - 1]!);
    const r = await openTracked(parts[0]!);
    const err = await errorOf(r.entries());
    const missing = `bundle.tar.${String(last - 1).padStart(3, '0')}`;
    expect(err.code).toBe('ARCHIVE_INVALID');
    expect(err.message).toContain(`${missing} is missing`);
    expect(err.message).toMatch(/ends in the middle of (entry|the header)/);
  });

  it('names a part that was cut short', async () => {
    const parts = await split(sampleBundleFiles());
    await truncate(parts[3]!, 400);
    const err = await errorOf(openBundle(parts[0]!));
    expect(err).toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect(err.message).toBe('bundle.tar.003 is 400 bytes, shorter than bundle.tar.000 (8192 bytes): it is truncated');
  });

  it('reads a zip and a gzip that were split in parts', async () => {
    const files = sampleBundleFiles();
    const [tar] = await writeBundleTar(join(dir, 'bundle.tar'), files);
    await makeZip(join(dir, 'whole.zip'), files.map((f) => ({ name: f.path, data: f.data })));
    const forms: [string, Buffer][] = [
      ['b.zip', await readFile(join(dir, 'whole.zip'))],
      ['b.tgz', gzipSync(await readFile(tar!))],
    ];
    for (const [name, bytes] of forms) {
      const size = Math.ceil(bytes.length / 3);
      for (let i = 0; i < 3; i++) await writeFile(join(dir, `${name}.00${i}`), bytes.subarray(i * size, (i + 1) * size));
      const r = await openTracked(join(dir, `${name}.000`));
      expect(r.kind).toBe(name.endsWith('zip') ? 'zip' : 'gzip');
      expect(r.parts).toHaveLength(3);
      await expectContent(r, files);
    }
  });

  it('asks for the first part when given another one', async () => {
    const parts = await split(sampleBundleFiles());
    expect(await errorOf(openBundle(parts[1]!))).toMatchObject({ code: 'USAGE', hint: expect.stringContaining('bundle.tar.000') });
  });
});

describe('gzip and zip bundles', () => {
  it('detects a gzip-compressed tar by content under a .zip name; open() decompresses up to the entry', async () => {
    const files = sampleBundleFiles();
    const [path] = await writeBundleTar(join(dir, 'bundle.tar'), files);
    const gz = gzipSync(await readFile(path!));
    await writeFile(join(dir, 'bundle.zip'), gz);
    const r = await openTracked(join(dir, 'bundle.zip'));
    expect(r.kind).toBe('gzip');
    expect(r.randomAccess).toBe(false);
    expect(r.compressed).toBe(true);
    await expectContent(r, files);
    // Offsets in a gzip stream are not file offsets: none are given.
    expect((await r.entries())[0]!.offset).toBeUndefined();

    await writeFile(join(dir, 'cut.tgz'), gz.subarray(0, gz.length - 100));
    const err = await errorOf((async () => {
      for await (const { stream } of (await openTracked(join(dir, 'cut.tgz'))).sequential()) await readAll(stream);
    })());
    expect(err.code).toBe('ARCHIVE_INVALID');
    expect(err.message).toMatch(/cut\.tgz/);
  });

  it('reads a zip made with archiver, listing __MACOSX and ._ files as junk', async () => {
    const files = sampleBundleFiles();
    const zip = join(dir, 'bundle.zip');
    await makeZip(zip, [
      ...files.map((f) => ({ name: `bundle/${f.path}`, data: f.data })),
      { name: '__MACOSX/bundle/._oci-layout', data: 'resource fork' },
      { name: 'bundle/._index.json', data: 'appledouble' },
      { name: 'bundle/.DS_Store', data: 'finder' },
    ]);
    const r = await openTracked(zip);
    expect(r.kind).toBe('zip');
    await expectContent(r, files, 'bundle/', (p) => p.includes('/._') || p.startsWith('__MACOSX/') || p.endsWith('.DS_Store'));
    const report = analyzeEntries(await r.entries());
    expect(report.root).toBe('bundle/');
    expect(report.junk).toEqual(['__MACOSX/bundle/._oci-layout', 'bundle/._index.json', 'bundle/.DS_Store']);
    expect(report.problems).toEqual([]);
  });

  it('reads an empty zip and refuses what is no archive, naming the compressor when it knows it', async () => {
    const empty = Buffer.alloc(22);
    empty.writeUInt32LE(0x06054b50, 0);
    await writeFile(join(dir, 'empty.zip'), empty);
    const r = await openTracked(join(dir, 'empty.zip'));
    expect(r.kind).toBe('zip');
    expect(await r.entries()).toEqual([]);
    await writeFile(join(dir, 'text.tar'), 'hello, this is not a tar at all'.repeat(40));
    expect(await errorOf(openBundle(join(dir, 'text.tar')))).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringContaining('not a tar, gzip or zip') });
    await writeFile(join(dir, 'b.tar.xz'), Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(600)]));
    expect(await errorOf(openBundle(join(dir, 'b.tar.xz')))).toMatchObject({ code: 'ARCHIVE_INVALID', hint: expect.stringContaining('xz -d') });
    await writeFile(join(dir, 'zero'), '');
    expect(await errorOf(openBundle(join(dir, 'zero')))).toMatchObject({ code: 'ARCHIVE_INVALID', hint: expect.stringContaining('empty') });
    expect(await errorOf(openBundle(join(dir, 'absent.tar')))).toMatchObject({ code: 'IO', message: expect.stringContaining('does not exist') });
  });
});

describe('folder bundles', () => {
  it('lists with lstat, reads files, and never follows a symlink', async () => {
    const files = sampleBundleFiles();
    const root = join(dir, 'layout');
    for (const f of files) {
      await mkdir(join(root, f.path, '..'), { recursive: true });
      await writeFile(join(root, f.path), f.data);
    }
    await writeFile(join(dir, 'secret'), 'outside');
    await symlink(join(dir, 'secret'), join(root, 'escape'));
    const r = await openTracked(root);
    expect(r.kind).toBe('folder');
    const entries = await r.entries();
    expect(entries.find((e) => e.path === 'escape')).toEqual({ path: 'escape', size: 0, type: 'symlink' });
    expect(await errorOf(r.open('escape'))).toMatchObject({ code: 'PATH_UNSAFE' });
    for (const f of files) expect((await readAll(await r.open(f.path))).equals(f.data)).toBe(true);
    const report = analyzeEntries(entries);
    expect(report.problems).toEqual([{ code: 'NOT_A_FILE', path: 'escape', message: '"escape" is a symbolic link, not a file' }]);
    expect(report.junk).toEqual(['blobs', 'blobs/sha256']);
  });
});
