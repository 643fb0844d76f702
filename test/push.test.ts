import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mapReference, parseTargetRegistry } from '../src/bundle/mapping.js';
import { pack } from '../src/bundle/pack.js';
import { planPush, pushBundle, type PushOptions } from '../src/bundle/push.js';
import { openVerifiedBundle, type VerifiedBundle } from '../src/bundle/verified.js';
import { validateSpec } from '../src/bundle/spec.js';
import type { CopyEvent } from '../src/copy/index.js';
import { formatImageRef } from '../src/ref/index.js';
import { createUrlFetcher } from '../src/registry/index.js';
import { RegistryPool } from '../src/registry/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PublicKey } from '../src/sign/index.js';
import { startFakeRegistry } from './harness/fake-registry.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { rawManifest } from './harness/skopeo.js';
import { makeBlob, makeChart, makeImage, makeMultiArch } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const source = inject('registry');
const ns = `push-${process.pid}`;
let dir: string;
let target: RunningRegistry;
let pool: RegistryPool;
let bundlePath: string;

const shared = makeBlob('push-shared', 200_000);
const images = [
  { built: makeMultiArch('push-multi', { layerSize: 100_000 }), repo: `${ns}/multi`, tag: 'v1' },
  { built: makeImage({ layers: [shared, makeBlob('push-a', 50_000)], label: 'a' }), repo: `${ns}/a`, tag: '1' },
  { built: makeImage({ layers: [shared, makeBlob('push-b', 50_000)], label: 'b' }), repo: `${ns}/team/b`, tag: '2' },
  { built: makeChart('pushchart', '1.0.0'), repo: `${ns}/charts/pushchart`, tag: '1.0.0' },
];

let packer: PublicKey;

async function withBundle<T>(fn: (b: VerifiedBundle) => Promise<T>): Promise<T> {
  const bundle = await openVerifiedBundle(bundlePath, { keys: [packer] });
  try {
    return await fn(bundle);
  } finally {
    await bundle.close();
  }
}

/** A fresh client pool per push: a pool remembers blobs it has seen and would mount them across tests. */
function options(prefix: string, extra: Partial<PushOptions> = {}): PushOptions {
  const fresh = new RegistryPool({});
  pools.push(fresh);
  return { registry: parseTargetRegistry(`${target.host}/${prefix}`), openRepository: (ref) => fresh.repository(ref), ...extra };
}
const pools: RegistryPool[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-push-'));
  target = await startRegistry();
  pool = new RegistryPool({});
  await seedWithSkopeo(source, images);
  const pair = await generateKeyPair();
  packer = parsePublicKey(pair.publicKeyPem, 'push.pub');
  const http = createUrlFetcher({});
  bundlePath = join(dir, 'bundle.tar');
  await pack(
    validateSpec(
      {
        images: images.slice(0, 3).map((i) => `${source}/${i.repo}:${i.tag}`),
        charts: [{ ref: `oci://${source}/${ns}/charts/pushchart`, version: '1.0.0' }],
      },
      't',
    ),
    {
      output: bundlePath,
      key: parsePrivateKey(pair.privateKeyPem, 'k'),
      openRepository: (ref) => pool.repository(ref),
      fetchUrl: http.fetch,
      epoch: 0,
    },
  );
  http.close();
});

afterAll(async () => {
  pool.close();
  for (const p of pools) p.close();
  await target?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('mapping source names to the target registry', () => {
  const reg = parseTargetRegistry('registry.internal:5000/vendor');
  it.each([
    ['nested', 'docker.io/library/nginx:1.27', 'registry.internal:5000/vendor/library/nginx:1.27'],
    ['nested', 'ghcr.io/org/app@sha256:' + 'a'.repeat(64), 'registry.internal:5000/vendor/org/app@sha256:' + 'a'.repeat(64)],
    ['flatten', 'ghcr.io/org/team/app:v1', 'registry.internal:5000/vendor/app:v1'],
    ['keep-source-host', 'ghcr.io/org/app:v1', 'registry.internal:5000/vendor/ghcr.io/org/app:v1'],
    ['keep-source-host', '127.0.0.1:5000/org/app:v1', 'registry.internal:5000/vendor/127.0.0.1-5000/org/app:v1'],
  ] as const)('%s: %s -> %s', (mode, from, to) => {
    expect(formatImageRef(mapReference(from, reg, mode))).toBe(to);
  });
  it('takes a bare host and refuses nonsense', () => {
    expect(parseTargetRegistry('https://registry.internal/')).toEqual({ host: 'registry.internal', prefix: '' });
    expect(() => parseTargetRegistry('registry.internal/Vendor')).toThrow(/lowercase/);
    expect(() => parseTargetRegistry('vendor')).toThrow(/registry host/);
  });
  it('refuses two sources landing on one target before anything is sent', async () => {
    await withBundle(async ({ bundle }) => {
      const fake = {
        ...bundle,
        manifest: {
          ...bundle.manifest,
          artifacts: [
            { ...bundle.manifest.artifacts[0]!, name: 'ghcr.io/a/app:v1' },
            { ...bundle.manifest.artifacts[1]!, name: 'quay.io/b/app:v1' },
          ],
        },
      };
      expect(() => planPush(fake, { registry: parseTargetRegistry('r.example/x'), mapping: 'flatten' })).toThrow(/would both be pushed to r.example\/x\/app:v1/);
    });
  });
});

describe('push into a second real registry', () => {
  it('round-trips: every manifest byte-identical on both sides; a second push sends nothing', async () => {
    const events: CopyEvent[] = [];
    const items = await withBundle((b) => pushBundle(b, options('mirror', { onEvent: (e) => events.push(e) })));
    expect(items.map((i) => i.status)).toEqual(['pushed', 'pushed', 'pushed', 'pushed']);
    for (const img of images) {
      const from = await rawManifest(`docker://${source}/${img.repo}:${img.tag}`);
      const to = await rawManifest(`docker://${target.host}/mirror/${img.repo}:${img.tag}`);
      expect(to.equals(from), img.repo).toBe(true);
    }
    // The shared layer went up once and was mounted into the second repository.
    const sharedDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(shared).digest('hex')}`;
    expect(events.filter((e) => e.type === 'blob-done' && e.digest === sharedDigest)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'blob-mounted' && e.digest === sharedDigest)).toHaveLength(1);

    const again: CopyEvent[] = [];
    const second = await withBundle((b) => pushBundle(b, options('mirror', { onEvent: (e) => again.push(e) })));
    expect(second.map((i) => i.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(again.filter((e) => e.type === 'blob-done' || e.type === 'manifest-pushed')).toEqual([]);
  });

  it('resumes a push cut midway: the re-run completes and sends no blob twice', async () => {
    const controller = new AbortController();
    const sent: string[] = [];
    const first = withBundle((b) =>
      pushBundle(b, options('resume', {
        concurrency: 1,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'blob-done') {
            sent.push(`${e.reference} ${e.digest}`);
            if (sent.length === 3) controller.abort();
          }
        },
      })),
    );
    await expect(first).rejects.toMatchObject({ code: 'INTERRUPTED' });
    const cut = sent.length;
    expect(cut).toBeGreaterThanOrEqual(3);
    const items = await withBundle((b) => pushBundle(b, options('resume', { onEvent: (e) => e.type === 'blob-done' && sent.push(`${e.reference} ${e.digest}`) })));
    expect(items).toHaveLength(4);
    // No blob went to the same repository twice (the reference names the artifact, and so
    // its repository). A layer shared with another repository may go up again there: the
    // re-run's client has not seen where the first run put it, so it cannot mount it.
    expect(new Set(sent).size).toBe(sent.length);
    for (const img of images) {
      const from = await rawManifest(`docker://${source}/${img.repo}:${img.tag}`);
      expect((await rawManifest(`docker://${target.host}/resume/${img.repo}:${img.tag}`)).equals(from)).toBe(true);
    }
  });

  it('refuses to move an existing tag, naming both digests, unless --overwrite', async () => {
    const other = makeImage({ layers: [makeBlob('push-other', 1000)], label: 'other' });
    await seedWithSkopeo(target.host, [{ built: other, repo: `taken/${ns}/a`, tag: '1' }]);
    const a = images[1]!.built.descriptor.digest;
    await expect(withBundle((b) => pushBundle(b, options('taken')))).rejects.toMatchObject({
      code: 'TAG_CONFLICT',
      message: expect.stringMatching(new RegExp(`already points at ${other.descriptor.digest}.*bundle has ${a}`)),
    });
    const items = await withBundle((b) => pushBundle(b, options('taken', { overwrite: true })));
    expect(items.find((i) => i.target.endsWith(`/a:1`))?.status).toBe('pushed');
    expect((await rawManifest(`docker://${target.host}/taken/${ns}/a:1`)).equals(images[1]!.built.manifest)).toBe(true);
  });

  it('turns registry refusals into one clear error each: no repository, denied', async () => {
    const fake = await startFakeRegistry();
    const fakePool = new RegistryPool({ retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5 } });
    try {
      const push = () =>
        withBundle((b) => pushBundle(b, { registry: parseTargetRegistry(`${fake.host}/vendor`), openRepository: (ref) => fakePool.repository(ref), concurrency: 1 }));
      const nameUnknown = JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
      fake.fault('POST', /\/blobs\/uploads\/$/, { status: 404, body: nameUnknown, headers: { 'content-type': 'application/json' } });
      await expect(push()).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('vendor/'), hint: expect.stringMatching(/creat/i) });
      const denied = JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
      fake.fault('POST', /\/blobs\/uploads\/$/, { status: 403, body: denied, headers: { 'content-type': 'application/json' } });
      const err = (await push().then(() => undefined, (e: unknown) => e)) as { code: string; retryable: boolean; message: string };
      expect(err).toMatchObject({ code: 'DENIED', retryable: false });
      expect(err.message).toContain(fake.host);
    } finally {
      fakePool.close();
      await fake.stop();
    }
  });
});
