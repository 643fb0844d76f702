/**
 * pack and push through a proxy that breaks the registry conversation on a
 * schedule (test/harness/fault-proxy.ts): either the same digests as without
 * faults, or one clear error, after which a re-run completes without sending
 * any blob to a repository twice.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetRegistry } from '../src/bundle/mapping.js';
import { pack, type PackOptions, type PackResult } from '../src/bundle/pack.js';
import { pushBundle, type PushOptions } from '../src/bundle/push.js';
import { openVerifiedBundle } from '../src/bundle/verified.js';
import { validateSpec } from '../src/bundle/spec.js';
import type { CopyEvent } from '../src/copy/index.js';
import { AirlockError } from '../src/errors.js';
import { createUrlFetcher } from '../src/registry/index.js';
import { RegistryPool, type RegistryOptions } from '../src/registry/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PrivateKey, type PublicKey } from '../src/sign/index.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from './harness/fault-proxy.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { makeBlob, makeChart, makeImage, makeMultiArch } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const ns = `faults-${process.pid}`;
let dir: string;
let source: RunningRegistry;
let target: RunningRegistry;
let key: PrivateKey;
let packer: PublicKey;
let http: ReturnType<typeof createUrlFetcher>;
let baseline: PackResult;
let baselinePath: string;
const pools: RegistryPool[] = [];
const proxies: FaultProxy[] = [];

// Layers above the 100 kB monolithic limit go up in 64 KiB PATCH chunks: both upload paths are hit.
const shared = makeBlob('faults-shared', 300_000);
const images = [
  { built: makeMultiArch('faults-multi', { layerSize: 150_000 }), repo: `${ns}/multi`, tag: 'v1' },
  { built: makeImage({ layers: [shared, makeBlob('faults-a', 80_000)], label: 'a' }), repo: `${ns}/a`, tag: '1' },
  { built: makeImage({ layers: [shared, makeBlob('faults-b', 120_000)], label: 'b' }), repo: `${ns}/team/b`, tag: '2' },
  { built: makeChart('faultchart', '1.0.0'), repo: `${ns}/charts/faultchart`, tag: '1.0.0' },
];

/** Short retry delays and timeouts: every fault costs milliseconds, not seconds. */
function fastOptions(): RegistryOptions {
  return {
    retry: { retries: 4, baseDelayMs: 5, maxDelayMs: 50 },
    timeouts: { connectMs: 2000, idleMs: 400, continueMs: 200 },
    upload: { monolithicLimit: 100_000, chunkSize: 64 * 1024 },
    env: {},
    home: join(tmpdir(), 'airlock-faults-no-home'),
  };
}

function freshPool(): RegistryPool {
  const pool = new RegistryPool(fastOptions());
  pools.push(pool);
  return pool;
}

async function proxyTo(upstream: string, rules: FaultRule[] = []): Promise<FaultProxy> {
  const proxy = await startFaultProxy(upstream, rules);
  proxies.push(proxy);
  return proxy;
}

function spec(host: string) {
  return validateSpec(
    {
      images: images.slice(0, 3).map((i) => `${host}/${i.repo}:${i.tag}`),
      charts: [{ ref: `oci://${host}/${ns}/charts/faultchart`, version: '1.0.0' }],
    },
    'faults',
  );
}

function packOptions(output: string, pool: RegistryPool, extra: Partial<PackOptions> = {}): PackOptions {
  return { output, key, openRepository: (ref) => pool.repository(ref), fetchUrl: http.fetch, epoch: 1_700_000_000, ...extra };
}

/** What must not change under faults: every artifact's digest and every blob's sha256 (names carry the host). */
function digestsOf(result: PackResult): { artifacts: string[]; blobs: string[] } {
  return {
    artifacts: result.manifest.artifacts.map((a) => `${a.name.slice(a.name.indexOf('/'))} ${a.digest} ${a.size}`).sort(),
    blobs: result.manifest.files.filter((f) => f.path.startsWith('blobs/')).map((f) => `${f.path} ${f.sha256} ${f.size}`),
  };
}

/** No half-written bundle (or its temp file) under the output name. */
async function nothingUnder(output: string): Promise<void> {
  await expect(stat(output)).rejects.toThrow();
  const name = output.slice(output.lastIndexOf('/') + 1);
  const left = (await readdir(join(output, '..'))).filter((f) => f === name || f.startsWith(`.${name}.partial`));
  expect(left).toEqual([]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-faults-'));
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  await seedWithSkopeo(source.host, images);
  const pair = await generateKeyPair();
  key = parsePrivateKey(pair.privateKeyPem, 'faults.key');
  packer = parsePublicKey(pair.publicKeyPem, 'faults.pub');
  http = createUrlFetcher({});
  baselinePath = join(dir, 'baseline.tar');
  baseline = await pack(spec(source.host), packOptions(baselinePath, freshPool()));
});

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop();
  for (const p of pools.splice(0)) p.close();
});

afterAll(async () => {
  http?.close();
  await Promise.all([source?.stop(), target?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe('pack through a faulty registry connection', () => {
  it('5xx and 429 answers: retried, same digests as without faults', async () => {
    const proxy = await proxyTo(source.host, [
      { method: 'GET', path: /\/manifests\//, fault: { type: 'status', status: 503 } },
      { method: 'GET', path: /\/manifests\//, skip: 3, fault: { type: 'status', status: 502 } },
      { method: 'GET', path: /\/blobs\//, fault: { type: 'status', status: 500 } },
      { method: 'GET', path: /\/blobs\//, skip: 4, times: 2, fault: { type: 'status', status: 429, retryAfter: '2' } },
    ]);
    const out = join(dir, 'status.tar');
    const result = await pack(spec(proxy.host), packOptions(out, freshPool()));
    expect(proxy.faulted().length).toBeGreaterThanOrEqual(4);
    expect(digestsOf(result)).toEqual(digestsOf(baseline));
  }, 20_000);

  it('connections reset or cut short mid-blob, and a reset before any answer: resumed, same digests', async () => {
    const proxy = await proxyTo(source.host, [
      { method: 'GET', path: /\/blobs\//, times: 2, fault: { type: 'reset-response', afterBytes: 50_000 } },
      { method: 'GET', path: /\/blobs\//, skip: 3, times: 2, fault: { type: 'truncate-response', afterBytes: 30_000 } },
      { method: 'GET', path: /\/manifests\//, skip: 1, fault: { type: 'reset' } },
    ]);
    const out = join(dir, 'cut.tar');
    const result = await pack(spec(proxy.host), packOptions(out, freshPool()));
    expect(proxy.faulted().map((r) => r.fault)).toEqual(expect.arrayContaining(['reset-response', 'truncate-response', 'reset']));
    // The cut blobs were resumed where they stopped, not fetched again from the start.
    expect(proxy.requests.some((r) => r.method === 'GET' && /\/blobs\//.test(r.path))).toBe(true);
    expect(digestsOf(result)).toEqual(digestsOf(baseline));
  }, 20_000);

  it('a stall longer than the idle timeout: given up on and retried, same digests', async () => {
    const proxy = await proxyTo(source.host, [
      { method: 'GET', path: /\/blobs\//, skip: 1, fault: { type: 'stall', ms: 1500 } },
      { method: 'GET', path: /\/manifests\//, skip: 2, fault: { type: 'stall', ms: 1500 } },
    ]);
    const result = await pack(spec(proxy.host), packOptions(join(dir, 'stall.tar'), freshPool()));
    expect(proxy.faulted()).toHaveLength(2);
    expect(digestsOf(result)).toEqual(digestsOf(baseline));
  }, 20_000);

  it('a registry that stays broken: one clear error, nothing under the output name; the re-run completes', async () => {
    const out = join(dir, 'down.tar');
    const proxy = await proxyTo(source.host, [{ method: 'GET', path: /\/manifests\//, times: Infinity, fault: { type: 'status', status: 503 } }]);
    const err = (await pack(spec(proxy.host), packOptions(out, freshPool())).catch((e: unknown) => e)) as AirlockError;
    expect(err).toBeInstanceOf(AirlockError);
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.message).toContain(proxy.host);
    expect(err.message).toContain('503');
    expect(err.retryable).toBe(true);
    await nothingUnder(out);

    // Layers that never arrive whole: the error comes while the bundle is being written.
    proxy.setRules([{ method: 'GET', path: /\/blobs\//, skip: 2, times: Infinity, fault: { type: 'reset-response', afterBytes: 10_000 } }]);
    const cut = (await pack(spec(proxy.host), packOptions(out, freshPool())).catch((e: unknown) => e)) as AirlockError;
    expect(cut).toBeInstanceOf(AirlockError);
    expect(cut.code).toBe('NETWORK');
    expect(cut.message).toMatch(/blob sha256:[0-9a-f]{12}/);
    await nothingUnder(out);

    proxy.setRules([]);
    const result = await pack(spec(proxy.host), packOptions(out, freshPool()));
    expect(digestsOf(result)).toEqual(digestsOf(baseline));
    expect((await stat(out)).size).toBe(result.bytes);
  }, 30_000);
});

describe('push through a faulty registry connection', () => {
  function pushOptions(proxy: FaultProxy, prefix: string, events: string[], extra: Partial<PushOptions> = {}): PushOptions {
    const pool = freshPool();
    return {
      registry: parseTargetRegistry(`${proxy.host}/${prefix}`),
      openRepository: (ref) => pool.repository(ref),
      onEvent: (e: CopyEvent) => {
        if (e.type === 'blob-done') events.push(`${e.reference} ${e.digest}`);
      },
      ...extra,
    };
  }

  async function push(options: PushOptions) {
    const bundle = await openVerifiedBundle(baselinePath, { keys: [packer] });
    try {
      return await pushBundle(bundle, options);
    } finally {
      await bundle.close();
    }
  }

  /** Every artifact of the bundle is in the target (read directly, not through the proxy) with its digest. */
  async function expectPushed(prefix: string): Promise<void> {
    const pool = freshPool();
    for (const a of baseline.manifest.artifacts) {
      const path = a.name.slice(a.name.indexOf('/') + 1);
      const repository = `${prefix}/${path.slice(0, path.lastIndexOf(':'))}`;
      const tag = path.slice(path.lastIndexOf(':') + 1);
      expect((await pool.repository({ registry: target.host, repository }).resolve(tag)).digest, a.name).toBe(a.digest);
    }
  }

  it('5xx, 429, uploads cut mid-body, resets and stalls: every digest lands, no blob sent twice', async () => {
    const proxy = await proxyTo(target.host, [
      { method: 'POST', path: /\/blobs\/uploads\/$/, times: 2, fault: { type: 'status', status: 503 } },
      { method: 'PUT', path: /\/blobs\/uploads\//, fault: { type: 'status', status: 429, retryAfter: '1' } },
      { method: 'PATCH', path: /\/blobs\/uploads\//, skip: 1, fault: { type: 'reset-request', afterBytes: 20_000 } },
      { method: 'PUT', path: /\/blobs\/uploads\//, skip: 3, fault: { type: 'reset-request', afterBytes: 5_000 } },
      { method: 'PUT', path: /\/manifests\//, fault: { type: 'status', status: 500 } },
      { method: 'HEAD', path: /\/blobs\//, skip: 2, fault: { type: 'stall', ms: 1500 } },
      { method: 'HEAD', path: /\/blobs\//, skip: 4, fault: { type: 'reset' } },
    ]);
    const events: string[] = [];
    const items = await push(pushOptions(proxy, 'flaky', events));
    expect(items.map((i) => i.status)).toEqual(['pushed', 'pushed', 'pushed', 'pushed']);
    expect(new Set(proxy.faulted().map((r) => r.fault))).toEqual(new Set(['status', 'reset-request', 'stall', 'reset']));
    expect(new Set(events).size).toBe(events.length);
    await expectPushed('flaky');
  }, 30_000);

  it('a registry that refuses every manifest: one clear error; the re-run sends only what is missing', async () => {
    const proxy = await proxyTo(target.host, [{ method: 'PUT', path: /\/manifests\//, times: Infinity, fault: { type: 'status', status: 503 } }]);
    const events: string[] = [];
    const err = (await push(pushOptions(proxy, 'refused', events)).catch((e: unknown) => e)) as AirlockError;
    expect(err).toBeInstanceOf(AirlockError);
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.message).toContain('503');
    expect(err.message).toContain(proxy.host);
    const before = events.length;
    expect(before).toBeGreaterThan(0);

    proxy.setRules([]);
    const items = await push(pushOptions(proxy, 'refused', events));
    expect(items).toHaveLength(4);
    // Blobs that went up in the failed run are found present, not sent again.
    expect(new Set(events).size).toBe(events.length);
    await expectPushed('refused');
  }, 30_000);

  it('uploads that keep being cut: one clear error; the re-run completes with no blob sent twice', async () => {
    const proxy = await proxyTo(target.host, [
      { method: 'PATCH', path: /\/blobs\/uploads\//, skip: 2, times: Infinity, fault: { type: 'reset-request', afterBytes: 10_000 } },
    ]);
    const events: string[] = [];
    const err = (await push(pushOptions(proxy, 'cut', events, { concurrency: 1 })).catch((e: unknown) => e)) as AirlockError;
    expect(err).toBeInstanceOf(AirlockError);
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain(proxy.host);
    expect(err.message).toMatch(/failed 5 times, each time started again from its first byte; the last failure: ECONNRESET/);
    expect(err.retryable).toBe(true);
    proxy.setRules([]);
    await push(pushOptions(proxy, 'cut', events));
    expect(new Set(events).size).toBe(events.length);
    await expectPushed('cut');
  }, 30_000);
});
