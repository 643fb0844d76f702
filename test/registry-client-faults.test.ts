import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verified } from '../src/content/verify.js';
import { copy } from '../src/copy/index.js';
import { AirlockError } from '../src/errors.js';
import { openLayout } from '../src/layout/index.js';
import { MediaType } from '../src/oci/media-types.js';
import { RegistryClient, type RegistryEvent, type RegistryOptions } from '../src/registry/index.js';
import { startFakeRegistry, type FakeRegistry, type FakeRegistryOptions } from './harness/fake-registry.js';
import { descriptorOf, makeBlob, makeImage, sha256 } from './helpers/images.js';

const RETRIES = 3;
const servers: FakeRegistry[] = [];
const clients: RegistryClient[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-registry-faults-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function fake(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const server = await startFakeRegistry(opts);
  servers.push(server);
  return server;
}

function client(host: string, events: RegistryEvent[] = [], extra: RegistryOptions = {}): RegistryClient {
  const c = new RegistryClient(host, {
    retry: { retries: RETRIES, baseDelayMs: 2, maxDelayMs: 30 },
    timeouts: { idleMs: 300, connectMs: 1000, continueMs: 200 },
    env: {},
    home: join(tmpdir(), 'airlock-no-home'),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  clients.push(c);
  return c;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An image stored in the fake: manifest under `app:v1`, blobs by digest. */
function seedImage(reg: FakeRegistry, layerSize = 20_000) {
  const image = makeImage({ layers: [makeBlob(`fault-${layerSize}`, layerSize)] });
  for (const blob of image.blobs.values()) reg.addBlob(blob.bytes);
  reg.addManifest('app', 'v1', image.manifest, image.descriptor.mediaType);
  const layer = [...image.blobs.values()].find((b) => b.descriptor.mediaType === MediaType.OciLayerGzip)!;
  return { image, layer };
}

const BLOB = /\/blobs\/sha256:/;
const MANIFEST = /\/manifests\//;

describe('registry client faults (fake registry on 127.0.0.1)', () => {
  it('429 with Retry-After: waits (capped) and succeeds', async () => {
    const reg = await fake();
    const { image } = seedImage(reg);
    reg.fault('GET', MANIFEST, { status: 429, headers: { 'retry-after': '1' } });
    const events: RegistryEvent[] = [];
    const desc = await client(reg.host, events).repository('app').resolve('v1');
    expect(desc.digest).toBe(image.descriptor.digest);
    expect(reg.count('GET', MANIFEST)).toBe(2);
    const retry = events.find((e) => e.kind === 'retry');
    expect(retry?.delayMs).toBe(30); // 1 s asked, capped by maxDelayMs
    expect(retry?.detail).toBe('HTTP 429');
  });

  it('500 and 503 are retried; a persistent 503 ends in one retryable REGISTRY_ERROR', async () => {
    const reg = await fake();
    const { image } = seedImage(reg);
    reg.fault('GET', MANIFEST, { status: 503 }, { status: 500 });
    expect((await client(reg.host).repository('app').resolve('v1')).digest).toBe(image.descriptor.digest);
    expect(reg.count('GET', MANIFEST)).toBe(3);

    const down = await fake();
    seedImage(down);
    down.fault('GET', MANIFEST, ...Array.from({ length: 10 }, () => ({ status: 503 })));
    const err = (await client(down.host).repository('app').resolve('v1').catch((e: unknown) => e)) as AirlockError;
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('HTTP 503');
    expect(err.message).toContain(down.host);
    expect(err.message).toContain('app:v1');
    expect(down.count('GET', MANIFEST)).toBe(RETRIES + 1);
  });

  it('404 is not retried', async () => {
    const reg = await fake();
    const err = (await client(reg.host).repository('app').resolve('missing').catch((e: unknown) => e)) as AirlockError;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('MANIFEST_UNKNOWN');
    expect(reg.count('GET', MANIFEST)).toBe(1);
  });

  it('a connection reset mid-blob resumes with a Range request and delivers every byte once', async () => {
    const reg = await fake();
    const { layer } = seedImage(reg, 100_000);
    reg.fault('GET', BLOB, { cutAfter: 30_000 });
    const events: RegistryEvent[] = [];
    const bytes = await readAll(await client(reg.host, events).repository('app').fetch(layer.descriptor));
    expect(bytes.equals(layer.bytes)).toBe(true);
    const ranged = reg.requests.filter((r) => BLOB.test(r.path) && r.headers.range !== undefined);
    expect(ranged).toHaveLength(1);
    expect(ranged[0]!.headers.range).toMatch(/^bytes=\d+-$/);
    expect(events.some((e) => e.kind === 'retry' && /resume at byte/.test(e.detail ?? ''))).toBe(true);
  });

  it('a reset before any answer is retried', async () => {
    const reg = await fake();
    const { layer } = seedImage(reg);
    reg.fault('GET', BLOB, { reset: true });
    expect((await readAll(await client(reg.host).repository('app').fetch(layer.descriptor))).equals(layer.bytes)).toBe(true);
  });

  it('a body shorter than announced is resumed; when it stays short, one clear error', async () => {
    const reg = await fake();
    const { layer } = seedImage(reg, 50_000);
    reg.fault('GET', BLOB, { truncateTo: 10_000 });
    expect((await readAll(await client(reg.host).repository('app').fetch(layer.descriptor))).equals(layer.bytes)).toBe(true);

    const bad = await fake();
    const seeded = seedImage(bad, 50_000);
    bad.fault('GET', BLOB, ...Array.from({ length: 10 }, () => ({ truncateTo: 100 })));
    const err = (await readAll(await client(bad.host).repository('app').fetch(seeded.layer.descriptor)).catch((e: unknown) => e)) as AirlockError;
    expect(err).toBeInstanceOf(AirlockError);
    expect(err.code).toBe('NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(bad.host);
    expect(err.message).toContain(seeded.layer.descriptor.digest.slice(0, 19));
  });

  it('an idle connection times out and the request is retried', async () => {
    const reg = await fake();
    const { image } = seedImage(reg);
    reg.fault('GET', MANIFEST, { stall: true });
    const events: RegistryEvent[] = [];
    expect((await client(reg.host, events).repository('app').resolve('v1')).digest).toBe(image.descriptor.digest);
    expect(events.some((e) => e.kind === 'retry' && /no data/.test(e.detail ?? ''))).toBe(true);
  });

  it('nothing listening: NETWORK error after the retries, naming the host', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const err = (await client(`127.0.0.1:${port}`).repository('app').resolve('v1').catch((e: unknown) => e)) as AirlockError;
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.retryable).toBe(true);
  });

  it('wrong bytes: DIGEST_MISMATCH for a blob (nothing left in the layout) and for manifests', async () => {
    const reg = await fake();
    const { image, layer } = seedImage(reg);
    reg.fault('GET', BLOB, { corrupt: true }, { corrupt: true });
    const layoutDir = join(dir, 'corrupt');
    const layout = await openLayout(layoutDir, { create: true });
    const err = (await copy(client(reg.host).repository('app'), 'v1', layout).catch((e: unknown) => e)) as AirlockError;
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(existsSync(join(layoutDir, 'blobs', 'sha256', layer.descriptor.digest.slice(7)))).toBe(false);

    reg.fault('GET', MANIFEST, { corrupt: true }, { corrupt: true });
    const byDigest = (await client(reg.host).repository('app').resolve(image.descriptor.digest).catch((e: unknown) => e)) as AirlockError;
    expect(byDigest.code).toBe('DIGEST_MISMATCH');
    expect(byDigest.message).toContain(reg.host);
    // By tag the digest is computed, and the registry's header is only a cross-check; they disagree here.
    const byTag = (await client(reg.host).repository('app').resolve('v1').catch((e: unknown) => e)) as AirlockError;
    expect(byTag.code).toBe('DIGEST_MISMATCH');
  });

  it('an expired token (401) is refreshed and the request retried once, transparently', async () => {
    const reg = await fake({ bearer: true });
    const { image } = seedImage(reg);
    const c = client(reg.host);
    await c.repository('app').resolve('v1');
    expect(reg.tokensIssued).toBe(1);
    reg.expireTokens();
    expect((await c.repository('app').resolve('v1')).digest).toBe(image.descriptor.digest);
    expect(reg.tokensIssued).toBe(2);
  });

  it('blob GETs follow a redirect to a storage host without the Authorization header', async () => {
    const storage = await fake();
    const reg = await fake({ bearer: true, redirectBlobsTo: storage.url });
    const { layer } = seedImage(reg);
    storage.addBlob(layer.bytes);
    const events: RegistryEvent[] = [];
    expect((await readAll(await client(reg.host, events).repository('app').fetch(layer.descriptor))).equals(layer.bytes)).toBe(true);
    const atRegistry = reg.requests.find((r) => BLOB.test(r.path));
    expect(atRegistry?.headers.authorization).toMatch(/^Bearer /);
    const atStorage = storage.requests.filter((r) => r.path.startsWith('/storage/'));
    expect(atStorage).toHaveLength(1);
    expect(atStorage[0]!.headers.authorization).toBeUndefined();
    expect(events.some((e) => e.kind === 'redirect' && e.detail === storage.host)).toBe(true);
  });
});

describe('registry manifest cache (fake registry counts the requests)', () => {
  it('the fetch that follows a resolve is served from the bytes already held', async () => {
    const reg = await fake();
    const { image } = seedImage(reg);
    const repo = client(reg.host).repository('app');
    const desc = await repo.resolve('v1');
    expect((await readAll(await repo.fetch(desc))).equals(image.manifest)).toBe(true);
    expect(reg.count('GET', MANIFEST)).toBe(1);
  });

  it('tag() of a manifest not held GETs it by digest (checked) and PUTs the same bytes under the tag', async () => {
    const reg = await fake();
    const { image } = seedImage(reg);
    await client(reg.host).repository('app').tag(image.descriptor, 'v2');
    expect(reg.requests.filter((r) => MANIFEST.test(r.path)).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v2/app/manifests/${image.descriptor.digest}`,
      'PUT /v2/app/manifests/v2',
    ]);
    expect(reg.manifests.get('app:v2')?.bytes.equals(image.manifest)).toBe(true);
    expect(reg.manifests.get('app:v2')?.mediaType).toBe(image.descriptor.mediaType);
  });
});

describe('registry uploads under faults (fake registry)', () => {
  const blob = makeBlob('upload-fault', 30_000);
  const desc = descriptorOf(blob, MediaType.OciLayerGzip);
  const stream = () => verified(Readable.from([blob.subarray(0, 10_000), blob.subarray(10_000, 20_000), blob.subarray(20_000)]), desc, 'layer');
  const UPLOAD = /\/blobs\/uploads\/[a-f0-9]+$/;

  it('a 503 on the monolithic PUT arrives before the body is sent (100-continue) and is retried without reopening', async () => {
    const reg = await fake();
    reg.fault('PUT', UPLOAD, { status: 503 });
    await client(reg.host).repository('app').push(desc, stream());
    expect(reg.committed).toEqual([desc.digest]);
    expect(reg.count('PUT', UPLOAD)).toBe(2);
  });

  it('chunked: PATCHes with relative and absolute Locations; a 401 on a chunk refreshes the token first', async () => {
    const reg = await fake({ bearer: true });
    const c = client(reg.host, [], { upload: { monolithicLimit: 1000, chunkSize: 8000 } });
    // The first PATCH passes, the second meets an expired token.
    reg.fault('PATCH', UPLOAD, { pass: true }, { status: 401, headers: { 'www-authenticate': `Bearer realm="${reg.url}/token",service="fake"` } });
    await c.repository('app').push(desc, stream());
    expect(reg.committed).toEqual([desc.digest]);
    expect(reg.blobs.get(desc.digest)?.equals(blob)).toBe(true);
    expect(reg.tokensIssued).toBe(2);
    expect(reg.count('PATCH', UPLOAD)).toBe(Math.ceil(blob.length / 8000) + 1);
    // Relative Location after POST, absolute after each PATCH: both were followed.
    expect(reg.requests.filter((r) => r.method === 'PATCH').every((r) => /_state=s\d+/.test(r.path))).toBe(true);
  });

  it('a connection cut during a chunk: retryable error without reopen; with reopen the upload starts over and succeeds', async () => {
    const reg = await fake();
    const c = client(reg.host, [], { upload: { monolithicLimit: 1000, chunkSize: 8000 } });
    reg.fault('PATCH', UPLOAD, { readThenReset: 4000 });
    const err = (await c.repository('app').push(desc, stream()).catch((e: unknown) => e)) as AirlockError;
    expect(err).toBeInstanceOf(AirlockError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('cannot be replayed');
    expect(reg.committed).toEqual([]);

    reg.fault('PATCH', UPLOAD, { readThenReset: 4000 });
    let reopened = 0;
    await c.repository('app').push(desc, stream(), {
      reopen: async () => {
        reopened++;
        return stream();
      },
    });
    expect(reopened).toBe(1);
    expect(reg.committed).toEqual([desc.digest]);
    expect(reg.blobs.get(desc.digest)?.equals(blob)).toBe(true);
  });

  it('a mount the registry declines (202) leaves an upload session that the push then uses', async () => {
    const reg = await fake();
    const c = client(reg.host);
    c.noteBlob(desc.digest, 'elsewhere');
    const repo = c.repository('app');
    expect(await repo.mount(desc)).toBe(false);
    const post = reg.requests.filter((r) => r.method === 'POST');
    expect(post.map((r) => r.path)).toEqual([`/v2/app/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=elsewhere`]);
    await repo.push(desc, stream());
    expect(reg.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(reg.committed).toEqual([desc.digest]);
    expect(await client(reg.host).repository('app').mount(desc)).toBe(false); // no known source: nothing asked
  });

  it('a reset before the chunk body was asked for is retried in place', async () => {
    const reg = await fake();
    const c = client(reg.host, [], { upload: { monolithicLimit: 1000, chunkSize: 8000 } });
    reg.fault('PATCH', UPLOAD, { reset: true });
    await c.repository('app').push(desc, stream());
    expect(reg.blobs.get(desc.digest)?.equals(blob)).toBe(true);
  });

  it('manifests are PUT with their media type and exact bytes; a rewritten digest is refused', async () => {
    const reg = await fake();
    const image = makeImage({ layers: [makeBlob('m', 10)], docker: true });
    await client(reg.host).repository('app').push(image.descriptor, Readable.from([image.manifest]));
    const stored = reg.manifests.get(`app:${image.descriptor.digest}`);
    expect(stored?.mediaType).toBe(MediaType.DockerManifest);
    expect(stored?.bytes.equals(image.manifest)).toBe(true);
    expect(sha256(stored!.bytes)).toBe(image.descriptor.digest);
    reg.fault('PUT', MANIFEST, { status: 201, headers: { 'docker-content-digest': sha256(Buffer.from('other')) }, body: '' });
    const err = (await client(reg.host).repository('app').tag(image.descriptor, 'v2').catch((e: unknown) => e)) as AirlockError;
    expect(err.code).toBe('DIGEST_MISMATCH');
  });
});
