import { execFileSync } from 'node:child_process';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAirlockError } from '../src/errors.js';
import { openBundleSink } from '../src/archive/sink.js';
import { parseSize } from '../src/archive/size.js';
import { TarWriter, defaultMtime } from '../src/archive/tar-writer.js';
import { indexTar } from '../src/archive/tar-index.js';
import { openFileSource } from '../src/archive/source.js';
import { sampleBundleFiles, tempDir, writeBundleTar } from './helpers/archives.js';

/** Collects everything written, for byte comparisons without touching disk. */
function memorySink(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

async function tarBytes(mtime: number, files = sampleBundleFiles()): Promise<Buffer> {
  const { sink, bytes } = memorySink();
  const w = new TarWriter(sink, { mtime });
  for (const f of files) {
    // Half as buffers, half as streams in odd chunks: the bytes must not depend on it.
    if (f.data.length % 2) await w.addFile(f.path, f.data.length, f.data);
    else await w.addFile(f.path, f.data.length, Readable.from([f.data.subarray(0, 7), f.data.subarray(7)]));
  }
  await w.finish();
  return bytes();
}

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ path: dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

describe('TarWriter', () => {
  it('writes the same bytes for the same input and mtime, different bytes for another mtime', async () => {
    const a = await tarBytes(1_700_000_000);
    const b = await tarBytes(1_700_000_000);
    expect(a.equals(b)).toBe(true);
    expect(a.length % 512).toBe(0);
    const c = await tarBytes(1_700_000_001);
    expect(a.equals(c)).toBe(false);
  });

  it('writes a tar that GNU tar lists with uid/gid 0, mode 0644, the given mtime, sizes and names', async () => {
    const files = sampleBundleFiles();
    const path = join(dir, 'bundle.tar');
    await writeFile(path, await tarBytes(1_700_000_000, files));
    const listing = execFileSync('tar', ['--numeric-owner', '--utc', '-tvf', path], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toHaveLength(files.length);
    listing.forEach((line, i) => {
      const f = files[i]!;
      // -rw-r--r-- 0/0  12 2023-11-14 22:13 airlock.json
      expect(line).toMatch(new RegExp(`^-rw-r--r-- 0/0 +${f.data.length} 2023-11-14 22:13 ${f.path.replace(/\./g, '\\.')}$`));
    });
    // GNU tar reads the content back byte for byte.
    const out = join(dir, 'x');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-xf', path, '-C', out]);
    for (const f of files) expect((await readFile(join(out, f.path))).equals(f.data)).toBe(true);
  });

  it('records header and data offsets that point at each entry', async () => {
    const { sink, bytes } = memorySink();
    const w = new TarWriter(sink, { mtime: 0 });
    const files = sampleBundleFiles();
    for (const f of files) await w.addFile(f.path, f.data.length, f.data);
    await w.finish();
    const tar = bytes();
    expect(w.entries.map((e) => e.path)).toEqual(files.map((f) => f.path));
    for (const [i, e] of w.entries.entries()) {
      expect(tar.subarray(e.headerOffset, e.headerOffset + e.path.length).toString()).toBe(e.path);
      expect(tar.subarray(e.dataOffset, e.dataOffset + e.size).equals(files[i]!.data)).toBe(true);
    }
    expect(w.position).toBe(tar.length);
  });

  it('uses a PAX header only for names that do not fit ustar, and GNU tar reads them', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`; // no prefix split fits: needs PAX
    const split = `${'p'.repeat(120)}/name`; // fits ustar prefix + name: no PAX
    const unicode = 'blobs/ünïcödé';
    const { sink, bytes } = memorySink();
    const w = new TarWriter(sink, { mtime: 0 });
    const recs = [];
    for (const p of [split, long, unicode]) recs.push(await w.addFile(p, 3, Buffer.from('abc')));
    await w.finish();
    const tar = bytes();
    expect(recs[0]!.dataOffset - recs[0]!.headerOffset).toBe(512);
    expect(recs[1]!.dataOffset - recs[1]!.headerOffset).toBeGreaterThan(512);
    expect(tar[recs[1]!.headerOffset + 156]).toBe('x'.charCodeAt(0));
    const path = join(dir, 'long.tar');
    await writeFile(path, tar);
    expect(execFileSync('tar', ['-tf', path], { encoding: 'utf8' }).trim().split('\n')).toEqual([split, long, unicode]);
    const source = await openFileSource(path);
    try {
      expect((await indexTar(source)).map((e) => [e.path, e.offset, e.headerOffset])).toEqual(recs.map((r) => [r.path, r.dataOffset, r.headerOffset]));
    } finally {
      await source.close();
    }
  });

  it('fails an entry whose stream delivers more or fewer bytes than announced, and refuses further use', async () => {
    const short = new TarWriter(memorySink().sink, { mtime: 0 });
    await expect(short.addFile('a', 10, Readable.from([Buffer.alloc(9)]))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(short.addFile('b', 1, Buffer.alloc(1))).rejects.toMatchObject({ code: 'INTERNAL' });
    const long = new TarWriter(memorySink().sink, { mtime: 0 });
    await expect(long.addFile('a', 10, Readable.from([Buffer.alloc(6), Buffer.alloc(6)]))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    const buf = new TarWriter(memorySink().sink, { mtime: 0 });
    await expect(buf.addFile('a', 10, Buffer.alloc(11))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
  });

  it('refuses unsafe or duplicate names', async () => {
    for (const bad of ['../x', '/etc/passwd', 'a/../b', './a', 'a\\b', '']) {
      const w = new TarWriter(memorySink().sink, { mtime: 0 });
      await expect(w.addFile(bad, 1, Buffer.alloc(1))).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
    }
    const w = new TarWriter(memorySink().sink, { mtime: 0 });
    await w.addFile('a', 1, Buffer.alloc(1));
    await expect(w.addFile('a', 1, Buffer.alloc(1))).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('streams with backpressure: a slow sink never holds more than a few chunks', async () => {
    let buffered = 0;
    let peak = 0;
    const sink = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, done) {
        buffered += chunk.length;
        peak = Math.max(peak, buffered);
        setImmediate(() => {
          buffered -= chunk.length;
          done();
        });
      },
    });
    const w = new TarWriter(sink, { mtime: 0 });
    const source = new PassThrough();
    const size = 8 * 1024 * 1024;
    const block = Buffer.alloc(256 * 1024);
    (async () => {
      for (let i = 0; i < size / block.length; i++) if (!source.write(block)) await new Promise((r) => source.once('drain', r));
      source.end();
    })();
    await w.addFile('big', size, source);
    await w.finish();
    expect(peak).toBeLessThanOrEqual(512 * 1024);
  });

  it('takes SOURCE_DATE_EPOCH, else 0, and refuses a malformed one', () => {
    expect(defaultMtime({})).toBe(0);
    expect(defaultMtime({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(1_700_000_000);
    expect(() => defaultMtime({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(/SOURCE_DATE_EPOCH/);
  });
});

describe('parseSize', () => {
  it('reads bytes and binary units', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('700M')).toBe(700 * 2 ** 20);
    expect(parseSize('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseSize('4G')).toBe(2 ** 32);
    expect(parseSize('4g')).toBe(2 ** 32);
    expect(parseSize('2K')).toBe(2048);
    expect(parseSize('1T')).toBe(2 ** 40);
    expect(parseSize('700MB')).toBe(700 * 2 ** 20);
    expect(parseSize('700MiB')).toBe(700 * 2 ** 20);
  });

  it('refuses what is not a size with a USAGE error and a hint', () => {
    for (const bad of ['', 'G', '4X', '-1', '0', '1.5', 'four', '4 G B', '1e9']) {
      let err: unknown;
      try {
        parseSize(bad);
      } catch (e) {
        err = e;
      }
      expect(isAirlockError(err, 'USAGE'), bad).toBe(true);
      expect((err as { hint?: string }).hint).toMatch(/700M/);
    }
  });
});

describe('openBundleSink', () => {
  it('writes parts of at most splitSize under temporary names, renamed only on commit', async () => {
    const path = join(dir, 'bundle.tar');
    const sink = openBundleSink(path, { splitSize: 1000 });
    const data = Buffer.alloc(2500);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    // Odd chunk sizes cross part boundaries inside a chunk.
    for (let i = 0; i < data.length; i += 333) sink.write(data.subarray(i, i + 333));
    sink.end();
    await new Promise((r) => sink.once('finish', r));
    // Finished but not committed: nothing under a final name.
    const before = await readdir(dir);
    expect(before.filter((n) => !n.startsWith('.'))).toEqual([]);
    expect(before).toHaveLength(3);
    const parts = await sink.commit();
    expect(parts).toEqual([`${path}.000`, `${path}.001`, `${path}.002`]);
    expect((await readdir(dir)).sort()).toEqual(['bundle.tar.000', 'bundle.tar.001', 'bundle.tar.002']);
    expect((await stat(`${path}.000`)).size).toBe(1000);
    expect((await stat(`${path}.002`)).size).toBe(500);
    const joined = Buffer.concat(await Promise.all(parts.map((p) => readFile(p))));
    expect(joined.equals(data)).toBe(true);
  });

  it('writes no empty trailing part when the size is a multiple of splitSize', async () => {
    const sink = openBundleSink(join(dir, 'b.tar'), { splitSize: 512 });
    sink.end(Buffer.alloc(1024));
    expect(await sink.commit()).toHaveLength(2);
  });

  it('abort() removes every temporary file and leaves no final name', async () => {
    const path = join(dir, 'bundle.tar');
    const sink = openBundleSink(path, { splitSize: 100 });
    sink.write(Buffer.alloc(350));
    await new Promise((r) => setImmediate(r));
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('without splitSize writes one file; commit removes numbered parts of an older bundle of the same name', async () => {
    const path = join(dir, 'bundle.tar');
    for (const n of ['000', '001']) await writeFile(`${path}.${n}`, 'old');
    const sink = openBundleSink(path);
    sink.end(Buffer.alloc(3000, 1));
    expect(await sink.commit()).toEqual([path]);
    expect(await readdir(dir)).toEqual(['bundle.tar']);
  });

  it('a new split bundle replaces a longer old one: stale higher parts are removed', async () => {
    const path = join(dir, 'bundle.tar');
    for (const n of ['000', '001', '002', '003']) await writeFile(`${path}.${n}`, 'old');
    const sink = openBundleSink(path, { splitSize: 1000 });
    sink.end(Buffer.alloc(1500, 2));
    await sink.commit();
    expect((await readdir(dir)).sort()).toEqual(['bundle.tar.000', 'bundle.tar.001']);
  });

  it('reports an output it cannot write through the writer and commit(), without crashing', async () => {
    const sink = openBundleSink(join(dir, 'no-such-folder', 'b.tar'));
    const w = new TarWriter(sink, { mtime: 0 });
    const big = Buffer.alloc(4 * 1024 * 1024);
    await expect(w.addFile('a', big.length, big)).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('no-such-folder') });
    await expect(sink.commit()).rejects.toMatchObject({ code: 'IO' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('treats a 4 GiB split size as FAT32\'s 4 GiB − 1 byte limit', () => {
    expect(openBundleSink(join(dir, 'x'), { splitSize: parseSize('4G') }).partSize).toBe(2 ** 32 - 1);
    expect(openBundleSink(join(dir, 'y'), { splitSize: parseSize('700M') }).partSize).toBe(700 * 2 ** 20);
  });

  it('round-trips a TarWriter bundle split in small parts through GNU tar', async () => {
    const files = sampleBundleFiles();
    const parts = await writeBundleTar(join(dir, 'b.tar'), files, { splitSize: 4096 });
    expect(parts.length).toBeGreaterThan(5);
    const joined = join(dir, 'joined.tar');
    await writeFile(joined, Buffer.concat(await Promise.all(parts.map((p) => readFile(p)))));
    expect(execFileSync('tar', ['-tf', joined], { encoding: 'utf8' }).trim().split('\n')).toEqual(files.map((f) => f.path));
  });
});
