/**
 * Archives built in code for the archive tests: honest bundles written with
 * TarWriter, and hostile ones forged block by block with node-tar's Header (paths
 * with `..`, absolute paths, links, devices) or byte by byte (zips whose names
 * archiver would clean up).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ZipArchive } from 'archiver';
import { Header, Pax, type HeaderData } from 'tar';
import { createHash } from 'node:crypto';
import { TarWriter } from '../../src/archive/tar-writer.js';
import { indexTar, openFileSource, type ArchiveEntry } from '../../src/archive/index.js';
import { openBundleSink } from '../../src/archive/sink.js';

export async function tempDir(prefix = 'airlock-archive-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface ForgeEntry {
  path: string;
  /** node-tar type name: File, Directory, SymbolicLink, Link, FIFO, CharacterDevice, … */
  type?: HeaderData['type'];
  linkpath?: string;
  data?: Buffer | string;
  /** Size written in the header when it should differ from the data. */
  size?: number;
}

function pad(n: number): number {
  return (512 - (n % 512)) % 512;
}

/** A tar built block by block, with whatever names and types it is given. */
export function forgeTar(entries: ForgeEntry[], options: { end?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const fields: HeaderData = {
      path: e.path,
      type: e.type ?? 'File',
      size: e.size ?? data.length,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: new Date(0),
      linkpath: e.linkpath ?? '',
    };
    const h = new Header(fields);
    if (h.encode()) blocks.push(new Pax({ path: e.path, linkpath: e.linkpath }).encode());
    blocks.push(h.block!, data, Buffer.alloc(pad(data.length)));
  }
  if (options.end !== false) blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export interface ForgeZipEntry {
  /** Raw name bytes are written as given: `../x`, `/etc/passwd`, `a\\b`. */
  name: string;
  data?: Buffer | string;
  /** Unix mode for the external attributes (e.g. 0o120777 for a symlink). */
  mode?: number;
  /** Already deflated (raw) content: the entry is written with method 8. */
  deflated?: { data: Buffer; crc: number; size: number };
  /** Uncompressed size to declare instead of the true one (a lying header). */
  declaredSize?: number;
}

/**
 * A zip written byte by byte, names and sizes exactly as given. `base`: the zip is
 * meant to be appended after that many bytes of something else (offsets shifted).
 */
export function forgeZip(entries: ForgeZipEntry[], options: { base?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const base = options.base ?? 0;
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = e.deflated ? e.deflated.data : Buffer.from(e.data ?? '');
    const crc = e.deflated ? e.deflated.crc : crc32(data);
    const method = e.deflated ? 8 : 0;
    const size = e.declaredSize ?? (e.deflated ? e.deflated.size : data.length);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made on Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(base + offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(base + offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

export interface ZipSource {
  name: string;
  data: Buffer | string | (() => Readable);
}

/** A zip made by archiver (deflate), the way desktop tools make them. */
export async function makeZip(path: string, entries: ZipSource[], level = 6): Promise<void> {
  const zip = new ZipArchive({ zlib: { level } });
  const out = createWriteStream(path);
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
    zip.on('error', reject);
  });
  zip.pipe(out);
  for (const e of entries) zip.append(typeof e.data === 'function' ? e.data() : e.data, { name: e.name, date: new Date(0) });
  await zip.finalize();
  await closed;
}

/** A stream of `size` zero bytes, made as it is read. */
export function zeros(size: number, chunk = 1024 * 1024): Readable {
  let left = size;
  const block = Buffer.alloc(chunk);
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, chunk);
      left -= n;
      this.push(n === chunk ? block : block.subarray(0, n));
    },
  });
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface SampleFile {
  path: string;
  data: Buffer;
}

/** The files of a small bundle, in bundle order: manifest, signature, layout, blobs. */
export function sampleBundleFiles(blobSizes: number[] = [10, 3000, 70_000]): SampleFile[] {
  const blobs = blobSizes.map((size, i) => {
    const data = Buffer.alloc(size);
    for (let j = 0; j < size; j++) data[j] = (j * 31 + i * 7) & 0xff;
    return { path: `blobs/sha256/${sha256(data)}`, data };
  });
  blobs.sort((a, b) => (a.path < b.path ? -1 : 1));
  const text = (s: string): Buffer => Buffer.from(s, 'utf8');
  return [
    { path: 'airlock.json', data: text('{"format":1}') },
    { path: 'airlock.json.sigstore.json', data: text('{"signature":"x"}') },
    { path: 'oci-layout', data: text('{"imageLayoutVersion":"1.0.0"}') },
    { path: 'index.json', data: text('{"schemaVersion":2,"manifests":[]}') },
    ...blobs,
  ];
}

/** Writes files as a bundle tar with TarWriter (optionally under a prefix, optionally split). */
export async function writeBundleTar(
  path: string,
  files: SampleFile[],
  options: { prefix?: string; splitSize?: number; mtime?: number } = {},
): Promise<string[]> {
  const sink = openBundleSink(path, options.splitSize === undefined ? {} : { splitSize: options.splitSize });
  const writer = new TarWriter(sink, { mtime: options.mtime ?? 0 });
  for (const f of files) await writer.addFile((options.prefix ?? '') + f.path, f.data.length, f.data);
  await writer.finish();
  return sink.commit();
}

export async function writeTar(path: string, entries: ForgeEntry[], options: { end?: boolean } = {}): Promise<void> {
  await writeFile(path, forgeTar(entries, options));
}

/** Drains a stream into one buffer (test data is small). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The error a promise fails with; fails the test when it does not fail. */
export async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string; hint?: string };
  }
  throw new Error('expected a failure');
}

/** The entries of a tar file on disk, closing the file afterwards. */
export async function tarEntries(path: string): Promise<ArchiveEntry[]> {
  const source = await openFileSource(path);
  try {
    return await indexTar(source);
  } finally {
    await source.close();
  }
}
