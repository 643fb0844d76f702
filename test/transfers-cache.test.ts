import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from '../src/bundle/pack.js';
import { validateSpec } from '../src/bundle/spec.js';
import { verify } from '../src/bundle/verify.js';
import { createUrlFetcher, RegistryPool } from '../src/registry/index.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { startThrottleProxy, type ThrottleProxy } from './harness/throttle-proxy.js';
import { makeBlob, makeImage } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB;
const layer = makeBlob('cache-big', SIZE);
const hex = createHash('sha256').update(layer).digest('hex');

let dir: string;
let source: RunningRegistry;
let link: ThrottleProxy;
const pools: RegistryPool[] = [];

function packOnce(cache: string, output: string, signal?: AbortSignal, onBytes?: (n: number) => void) {
  const pool = new RegistryPool({ retry: { retries: 0 } });
  pools.push(pool);
  const http = createUrlFetcher({});
  return pack(validateSpec({ images: [`${link.host}/src/big:1`] }, 'test'), {
    output,
    cache,
    openRepository: (ref) => pool.repository(ref),
    fetchUrl: http.fetch,
    epoch: 0,
    ...(signal ? { signal } : {}),
    onEvent: (e) => {
      if (e.type === 'copy' && e.event.type === 'blob-progress' && e.event.digest === `sha256:${hex}`) onBytes?.(e.event.bytes);
    },
  }).finally(() => http.close());
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-cache-'));
  source = await startRegistry();
  await seedWithSkopeo(source.host, [{ built: makeImage({ layers: [layer], label: 'cache' }), repo: 'src/big', tag: '1' }]);
  // 48 MiB/s: an interrupt lands inside the 24 MiB layer, and each run's downloaded bytes are counted.
  link = await startThrottleProxy(source.host, 48 * MiB);
}, 60_000);

afterAll(async () => {
  for (const p of pools) p.close();
  await link?.stop();
  await source?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('pack --cache continues a blob cut off midway', () => {
  it('keeps the bytes it got, and the next pack downloads only the rest (Range), with the digest checked over all', async () => {
    const cache = join(dir, 'cache');
    const controller = new AbortController();
    await expect(packOnce(cache, join(dir, 'first.tar'), controller.signal, (n) => n > 10 * MiB && controller.abort())).rejects.toMatchObject({ code: 'INTERRUPTED' });
    const blobs = join(cache, 'blobs', 'sha256');
    const kept = (await readdir(blobs)).find((n) => n.endsWith(`partial-${hex}`));
    expect(kept).toBeDefined();
    const keptBytes = (await stat(join(blobs, kept!))).size;
    expect(keptBytes).toBeGreaterThan(5 * MiB);
    expect(keptBytes).toBeLessThan(SIZE);

    // The first run's connections are gone before counting starts.
    for (const p of pools.splice(0)) p.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = link.received;
    const result = await packOnce(cache, join(dir, 'second.tar'));
    const downloaded = link.received - before;
    expect(downloaded).toBeLessThanOrEqual(SIZE - keptBytes + 64 * 1024);
    expect(downloaded).toBeGreaterThanOrEqual(SIZE - keptBytes);
    expect((await readdir(blobs)).filter((n) => n.includes('partial'))).toEqual([]);
    expect((await stat(join(blobs, hex))).size).toBe(SIZE);
    const report = await verify(result.files, { keys: [], allowUnsigned: true });
    expect(report.bytes).toBeGreaterThan(SIZE);
  });

  it('kept bytes that are wrong fail the digest check once, are dropped, and the next pack starts that blob over', async () => {
    const cache = join(dir, 'cache-bad');
    const blobs = join(cache, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `.tmp-partial-${hex}`), Buffer.alloc(MiB, 0x55));
    await expect(packOnce(cache, join(dir, 'bad.tar'))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect((await readdir(blobs)).filter((n) => n.includes('partial'))).toEqual([]);
    await packOnce(cache, join(dir, 'good.tar'));
    expect((await stat(join(blobs, hex))).size).toBe(SIZE);
  });
});
