/**
 * Raw tar blocks for hostile archives: any type flag, PAX bodies exactly as given,
 * base-256 sizes. node-tar's Header would clean up what these tests need dirty.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RawHeader {
  name: string | Buffer;
  size?: number;
  /** Type flag character: '0', '5', 'x', 'g', 'L', … */
  flag?: string;
  /** Write the size in base-256 (GNU), for sizes over 8 GiB. */
  base256?: boolean;
}

function pad(n: number): number {
  return (512 - (n % 512)) % 512;
}

/** Sets the checksum of a header block in place (after it was changed). */
export function fixChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}

/** One ustar header block, checksum valid. */
export function rawHeader(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  const name = Buffer.isBuffer(h.name) ? h.name : Buffer.from(h.name, 'utf8');
  name.copy(block, 0, 0, Math.min(100, name.length));
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  const size = h.size ?? 0;
  if (h.base256) {
    block[124] = 0x80;
    let n = size;
    for (let i = 135; i > 124; i--) {
      block[i] = n % 256;
      n = Math.floor(n / 256);
    }
  } else {
    block.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  }
  block.write('00000000000\0', 136, 'latin1');
  block.write(h.flag ?? '0', 156, 'latin1');
  block.write('ustar\x0000', 257, 'latin1');
  fixChecksum(block);
  return block;
}

/** A PAX record, length-prefixed as POSIX says: `LEN key=value\n`. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** An extension entry (x, g, L, K) with its body, padded. */
export function extension(flag: string, body: string | Buffer, name = 'PaxHeader/x'): Buffer {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return Buffer.concat([rawHeader({ name, size: data.length, flag }), data, Buffer.alloc(pad(data.length))]);
}

/** A regular file entry (header, content, padding). */
export function fileEntry(name: string, data: Buffer | string, flag = '0'): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([rawHeader({ name, size: bytes.length, flag }), bytes, Buffer.alloc(pad(bytes.length))]);
}

export const END = Buffer.alloc(1024);

/** Runs GNU tar to extract `file` into a new temporary folder; returns the folder and tar's result. */
export async function gnuExtract(file: string, args: string[] = []): Promise<{ dir: string; ok: boolean; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-gnutar-'));
  try {
    const { stderr } = await run('tar', ['-xf', file, '-C', dir, ...args], { maxBuffer: 1024 * 1024 });
    return { dir, ok: true, stderr };
  } catch (err) {
    return { dir, ok: false, stderr: String((err as { stderr?: string }).stderr ?? err) };
  }
}

/** Every regular file under `dir` (relative path → content); other kinds listed with a marker. */
export async function treeOf(dir: string, prefix = ''): Promise<Map<string, Buffer | string>> {
  const out = new Map<string, Buffer | string>();
  for (const name of await readdir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = await lstat(join(dir, rel));
    if (st.isDirectory()) for (const [k, v] of await treeOf(dir, rel)) out.set(k, v);
    else if (st.isFile()) out.set(rel, await readFile(join(dir, rel)));
    else out.set(rel, 'not a regular file');
  }
  return out;
}
