/**
 * A disk that fills while pack writes: the error names the file and says to check
 * free space, nothing (not even a temp file) is left under the output name, and a
 * re-run once there is room completes.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pack, type PackOptions } from '../src/bundle/pack.js';
import { validateSpec } from '../src/bundle/spec.js';
import { AirlockError } from '../src/errors.js';
import { createUrlFetcher } from '../src/registry/index.js';
import { RegistryPool } from '../src/registry/index.js';
import { generateKeyPair, parsePrivateKey, type PrivateKey } from '../src/sign/index.js';
import { makeBlob, makeImage, makeMultiArch } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const run = promisify(execFile);
const registry = inject('registry');
const ns = `faults-disk-${process.pid}`;
let dir: string;
let key: PrivateKey;
let pool: RegistryPool;
let http: ReturnType<typeof createUrlFetcher>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-faults-disk-'));
  const pair = await generateKeyPair();
  key = parsePrivateKey(pair.privateKeyPem, 'disk.key');
  pool = new RegistryPool({ env: {}, home: dir });
  http = createUrlFetcher({});
  await seedWithSkopeo(registry, [
    { built: makeMultiArch('disk-multi', { layerSize: 200_000 }), repo: `${ns}/multi`, tag: 'v1' },
    { built: makeImage({ layers: [makeBlob('disk-a', 300_000)], label: 'a' }), repo: `${ns}/a`, tag: '1' },
  ]);
});

afterAll(async () => {
  pool?.close();
  http?.close();
  await rm(dir, { recursive: true, force: true });
});

const spec = () => validateSpec({ images: [`${registry}/${ns}/multi:v1`, `${registry}/${ns}/a:1`] }, 'disk');

function options(output: string, extra: Partial<PackOptions> = {}): PackOptions {
  return { output, key, openRepository: (ref) => pool.repository(ref), fetchUrl: http.fetch, epoch: 1_700_000_000, ...extra };
}

/** Neither the bundle (or a part of it) nor a temp file of it under the output name. */
async function nothingUnder(output: string): Promise<void> {
  const name = output.slice(output.lastIndexOf('/') + 1);
  const left = (await readdir(join(output, '..'))).filter((f) => f === name || f.startsWith(`${name}.`) || f.startsWith(`.${name}.partial`));
  expect(left).toEqual([]);
}

/**
 * Makes every FileHandle write in this process fail with ENOSPC once `budget`
 * bytes have been written: a disk filling up, without needing a mount.
 */
async function withDiskFillingAfter<T>(budget: number, fn: () => Promise<T>): Promise<T> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: FileHandle['write']; writev: FileHandle['writev'] };
  await probe.close();
  const { write, writev } = proto;
  let left = budget;
  const spend = (n: number): void => {
    left -= n;
    if (left < 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  };
  proto.write = async function (this: FileHandle, ...args: Parameters<FileHandle['write']>) {
    const [data, offset, length] = args as [Uint8Array | string, number | undefined, number | undefined];
    spend(typeof data === 'string' ? Buffer.byteLength(data) : typeof length === 'number' ? length : data.byteLength - (offset ?? 0));
    return (write as (...a: unknown[]) => ReturnType<FileHandle['write']>).apply(this, args);
  } as FileHandle['write'];
  proto.writev = async function (this: FileHandle, buffers: NodeJS.ArrayBufferView[], position?: number) {
    spend(buffers.reduce((n, b) => n + b.byteLength, 0));
    return writev.call(this, buffers, position);
  } as FileHandle['writev'];
  try {
    return await fn();
  } finally {
    proto.write = write;
    proto.writev = writev;
  }
}

async function expectDiskFull(promise: Promise<unknown>): Promise<AirlockError> {
  const err = (await promise.catch((e: unknown) => e)) as AirlockError;
  expect(err).toBeInstanceOf(AirlockError);
  expect(err.code).toBe('IO');
  expect(err.message).toMatch(/ENOSPC|no space left/);
  expect(err.hint).toMatch(/free space/);
  return err;
}

describe('a disk that fills while pack writes', () => {
  it.each([
    ['one file', {}],
    ['split parts', { splitSize: 128 * 1024 }],
  ] as [string, Partial<PackOptions>][])('a write failing with ENOSPC mid-bundle (%s): nothing under the output name, the re-run completes', async (_label, extra) => {
    const out = join(dir, `full-${extra.splitSize ?? 0}.tar`);
    const err = await expectDiskFull(withDiskFillingAfter(400_000, () => pack(spec(), options(out, extra))));
    expect(err.message).toContain(`.full-${extra.splitSize ?? 0}.tar`);
    await nothingUnder(out);
    const result = await pack(spec(), options(out, extra));
    for (const f of result.files) expect((await stat(f)).size).toBeGreaterThan(0);
  }, 20_000);

  it('with --cache, a disk full while downloading into the cache: nothing under the output name, the re-run completes', async () => {
    const out = join(dir, 'cached.tar');
    const cache = join(dir, 'cache');
    await expectDiskFull(withDiskFillingAfter(250_000, () => pack(spec(), options(out, { cache }))));
    await nothingUnder(out);
    await pack(spec(), options(out, { cache }));
    expect((await stat(out)).size).toBeGreaterThan(800_000);
  }, 20_000);

  it('a real full filesystem (a 256 KiB tmpfs): nothing under the output name', async (ctx) => {
    const mountPoint = join(dir, 'tmpfs');
    await mkdir(mountPoint);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]);
    } catch (err) {
      ctx.skip(`cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); the injected ENOSPC tests above cover the same path`);
      return;
    }
    try {
      const out = join(mountPoint, 'bundle.tar');
      await expectDiskFull(pack(spec(), options(out)));
      await nothingUnder(out);
    } finally {
      await run('umount', [mountPoint]);
    }
  }, 20_000);
});
