import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verified } from '../src/content/verify.js';
import { copy } from '../src/copy/index.js';
import { AirlockError } from '../src/errors.js';
import { openLayout, validateLayout } from '../src/layout/index.js';
import { MediaType } from '../src/oci/media-types.js';
import { RegistryPool, openRegistryTarget, type RegistryEvent } from '../src/registry/index.js';
import { rawManifest, skopeo, skopeoCopy } from './harness/skopeo.js';
import { descriptorOf, makeBlob, makeChart, makeImage, makeMultiArch, sha256, writeToTarget, type Built } from './helpers/images.js';

const registry = inject('registry');
const FAST = { retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20 } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-registry-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
const unique = (name: string) => `airlock-test/${name}-${process.pid}-${++seq}`;

/** Writes a built image into a fresh layout and pushes it to the registry with skopeo (the independent client). */
async function seedWithSkopeo(built: Built, repoTag: string, extra: string[] = []): Promise<void> {
  const layoutDir = await mkdtemp(join(dir, 'seed-'));
  const layout = await openLayout(layoutDir, { create: true });
  await writeToTarget(layout, built, 'seed');
  await skopeoCopy(`oci:${layoutDir}:seed`, `docker://${repoTag}`, extra);
}

describe('registry target against the real docker-registry (plain http on loopback)', () => {
  it('resolves what skopeo pushed: digest from the bytes, which skopeo reads identically', async () => {
    const repo = `${registry}/${unique('resolve')}`;
    const built = makeMultiArch('resolve');
    await seedWithSkopeo(built, `${repo}:v1`);
    const { target, reference, close } = openRegistryTarget(`${repo}:v1`, FAST);
    try {
      const desc = await target.resolve(reference);
      const raw = await rawManifest(`docker://${repo}:v1`);
      expect(desc).toEqual({ mediaType: MediaType.OciIndex, digest: sha256(raw), size: raw.length });
      // By digest too; and the cached bytes serve the fetch that follows.
      expect(await target.resolve(desc.digest)).toEqual(desc);
      const chunks: Buffer[] = [];
      for await (const c of await target.fetch(desc)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks)).toEqual(raw);
    } finally {
      close();
    }
  });

  it('copies a multi-arch image into a layout folder, byte-identical to what skopeo reads', async () => {
    const repo = `${registry}/${unique('pull')}`;
    const built = makeMultiArch('pull', { layerSize: 50_000 });
    await seedWithSkopeo(built, `${repo}:1.0`);
    const layoutDir = join(dir, 'pulled');
    const layout = await openLayout(layoutDir, { create: true });
    const { target, reference, ref, close } = openRegistryTarget(`${repo}:1.0`, FAST);
    try {
      const result = await copy(target, reference, layout, { tags: [`${ref.registry}/${ref.repository}:1.0`] });
      expect(result.root.digest).toBe(sha256(await rawManifest(`docker://${repo}:1.0`)));
      expect(result.stats.blobsPushed).toBe(built.blobs.size);
    } finally {
      close();
    }
    const fromRegistry = await rawManifest(`docker://${repo}:1.0`);
    const fromLayout = await rawManifest(`oci:${layoutDir}:${repo}:1.0`);
    expect(fromLayout.equals(fromRegistry)).toBe(true);
    // Each platform's manifest, as skopeo reads it from the registry, is the layout's blob, byte for byte.
    const index = JSON.parse(fromRegistry.toString()) as { manifests: { digest: string }[] };
    expect(index.manifests).toHaveLength(2);
    for (const child of index.manifests) {
      const a = await rawManifest(`docker://${repo}@${child.digest}`);
      const b = await readFile(join(layoutDir, 'blobs', 'sha256', child.digest.slice(7)));
      expect(b.equals(a)).toBe(true);
    }
    expect((await validateLayout(layoutDir)).problems).toEqual([]);
  });

  it('pushes OCI, Docker schema2 and Helm chart manifests with their exact bytes', async () => {
    const pool = new RegistryPool(FAST);
    try {
      const cases: [string, Built][] = [
        ['oci', makeMultiArch('push-oci')],
        ['docker', makeMultiArch('push-docker', { docker: true })],
        ['chart', makeChart('mychart', '1.2.3')],
      ];
      for (const [name, built] of cases) {
        const repoPath = unique(`push-${name}`);
        const target = pool.repository({ registry, repository: repoPath });
        await writeToTarget(target, built, 'v1');
        const raw = await rawManifest(`docker://${registry}/${repoPath}:v1`);
        expect(raw.equals(built.manifest), name).toBe(true);
        // skopeo copies it back out through the registry API: every blob is there and right.
        const out = await mkdtemp(join(dir, `check-${name}-`));
        await skopeoCopy(`docker://${registry}/${repoPath}:v1`, `oci:${out}:x`);
      }
    } finally {
      pool.close();
    }
  });

  it('round-trips layout -> registry -> layout with the copy algorithm, and a second push sends nothing', async () => {
    const srcDir = join(dir, 'rt-src');
    const src = await openLayout(srcDir, { create: true });
    const built = makeMultiArch('roundtrip', { layerSize: 20_000 });
    await writeToTarget(src, built, 'app');
    const pool = new RegistryPool(FAST);
    try {
      const target = pool.repository({ registry, repository: unique('roundtrip') });
      const first = await copy(src, 'app', target, { tags: ['v1', 'latest'] });
      expect(first.stats.blobsPushed).toBe(built.blobs.size);
      const again = await copy(src, 'app', target, { tags: ['v1'] });
      expect(again.stats.blobsPushed).toBe(0);
      expect(again.stats.manifestsPushed).toBe(0);
      const backDir = join(dir, 'rt-back');
      const back = await openLayout(backDir, { create: true });
      await copy(target, 'latest', back, { tags: ['app'] });
      expect((await rawManifest(`oci:${backDir}:app`)).equals(built.manifest)).toBe(true);
    } finally {
      pool.close();
    }
  });

  it('mounts blobs from another repository of the same host instead of uploading them', async () => {
    const src = await openLayout(join(dir, 'mount-src'), { create: true });
    const built = makeMultiArch('mount', { layerSize: 10_000 });
    await writeToTarget(src, built, 'app');
    const events: RegistryEvent[] = [];
    const pool = new RegistryPool({ ...FAST, onEvent: (e) => events.push(e) });
    try {
      const a = pool.repository({ registry, repository: unique('mount-a') });
      const b = pool.repository({ registry, repository: unique('mount-b') });
      await copy(src, 'app', a, { tags: ['v1'] });
      const second = await copy(src, 'app', b, { tags: ['v1'] });
      expect(second.stats.blobsMounted).toBe(built.blobs.size);
      expect(second.stats.blobsPushed).toBe(0);
      expect(events.filter((e) => e.kind === 'mount')).toHaveLength(built.blobs.size);
      expect((await rawManifest(`docker://${b.name}:v1`)).equals(built.manifest)).toBe(true);
      await skopeoCopy(`docker://${b.name}:v1`, `oci:${await mkdtemp(join(dir, 'mount-check-'))}:x`);
    } finally {
      pool.close();
    }
  });

  it('uploads large blobs in PATCH chunks (relative and absolute Locations) and reads them back', async () => {
    const pool = new RegistryPool({ ...FAST, upload: { monolithicLimit: 1000, chunkSize: 4096 } });
    try {
      const target = pool.repository({ registry, repository: unique('chunked') });
      const image = makeImage({ layers: [makeBlob('chunk-a', 10_000), makeBlob('chunk-b', 4096), makeBlob('chunk-c', 999)] });
      await writeToTarget(target, image, 'v1');
      for (const blob of image.blobs.values()) {
        const chunks: Buffer[] = [];
        for await (const c of await target.fetch(blob.descriptor)) chunks.push(c as Buffer);
        expect(Buffer.concat(chunks).equals(blob.bytes)).toBe(true);
      }
      await skopeoCopy(`docker://${target.name}:v1`, `oci:${await mkdtemp(join(dir, 'chunk-check-'))}:x`);
    } finally {
      pool.close();
    }
  });

  it('never commits a blob whose stream fails verification (monolithic and chunked)', async () => {
    for (const upload of [{ monolithicLimit: 1 << 20, chunkSize: 1 << 20 }, { monolithicLimit: 100, chunkSize: 1000 }]) {
      const pool = new RegistryPool({ ...FAST, upload });
      try {
        const target = pool.repository({ registry, repository: unique('tampered') });
        const good = makeBlob(`tampered-${upload.chunkSize}`, 5000);
        const desc = descriptorOf(good, MediaType.OciLayerGzip);
        const bad = Buffer.from(good);
        bad[4999] = bad[4999]! ^ 1; // the last byte: everything before it already went out
        const err = await target.push(desc, verified(Readable.from([bad.subarray(0, 2500), bad.subarray(2500)]), desc, 'layer')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AirlockError);
        expect((err as AirlockError).code).toBe('DIGEST_MISMATCH');
        expect(await target.exists(desc)).toBe(false);
        const res = await fetch(`http://${registry}/v2/${target.repository}/blobs/${desc.digest}`, { method: 'HEAD' });
        expect(res.status).toBe(404);
      } finally {
        pool.close();
      }
    }
  });

  it('lists tags across Link pages', async () => {
    const pool = new RegistryPool(FAST);
    try {
      const target = pool.repository({ registry, repository: unique('tags') });
      const image = makeImage({ layers: [makeBlob('tags', 100)] });
      await writeToTarget(target, image);
      const names = ['a', 'b', 'c', 'd', 'e'];
      for (const t of names) await target.tag(image.descriptor, t);
      expect((await target.tags({ pageSize: 2 })).sort()).toEqual(names);
      expect((await target.tags()).sort()).toEqual(names);
    } finally {
      pool.close();
    }
  });

  it('finds referrers through the sha256-<hex> tag schema where the registry has no referrers API', async () => {
    const pool = new RegistryPool(FAST);
    try {
      const target = pool.repository({ registry, repository: unique('referrers') });
      const image = makeImage({ layers: [makeBlob('subject', 100)] });
      await writeToTarget(target, image, 'v1');
      expect(await target.referrers(image.descriptor.digest)).toEqual([]);
      const empty = Buffer.from('{}');
      const sig = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          config: descriptorOf(empty, MediaType.OciEmpty),
          layers: [descriptorOf(makeBlob('sig', 50), 'application/vnd.dev.sigstore.bundle.v0.3+json')],
          subject: { mediaType: image.descriptor.mediaType, digest: image.descriptor.digest, size: image.descriptor.size },
        }),
      );
      const sigDesc = descriptorOf(sig, MediaType.OciManifest, { artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' });
      await target.push(descriptorOf(empty, MediaType.OciEmpty), Readable.from([empty]));
      await target.push(descriptorOf(makeBlob('sig', 50), 'application/vnd.dev.sigstore.bundle.v0.3+json'), Readable.from([makeBlob('sig', 50)]));
      await target.push(sigDesc, Readable.from([sig]));
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [sigDesc] }));
      const indexDesc = descriptorOf(index, MediaType.OciIndex);
      await target.push(indexDesc, Readable.from([index]));
      await target.tag(indexDesc, image.descriptor.digest.replace(':', '-'));
      expect(await target.referrers(image.descriptor.digest)).toEqual([sigDesc]);
      expect(await target.referrers(image.descriptor.digest, 'application/other')).toEqual([]);
    } finally {
      pool.close();
    }
  });

  it('ends in one clear error: unknown tag, unknown repository, manifest with missing blobs', async () => {
    const pool = new RegistryPool(FAST);
    try {
      const target = pool.repository({ registry, repository: unique('errors') });
      const missing = (await target.resolve('nope').catch((e: unknown) => e)) as AirlockError;
      expect(missing.code).toBe('NOT_FOUND');
      expect(missing.message).toContain(registry);
      expect(missing.message).toContain(`${target.repository}:nope`);
      expect(missing.hint).toBeTruthy();
      const image = makeImage({ layers: [makeBlob('never-pushed', 100)] });
      const orphan = (await target.push(image.descriptor, Readable.from([image.manifest])).catch((e: unknown) => e)) as AirlockError;
      expect(orphan.code).toBe('REGISTRY_ERROR');
      expect(orphan.message).toMatch(/MANIFEST_BLOB_UNKNOWN|BLOB_UNKNOWN/);
      const badRef = (await target.resolve('bad tag').catch((e: unknown) => e)) as AirlockError;
      expect(badRef.code).toBe('REF_INVALID');
    } finally {
      pool.close();
    }
  });

  it('skopeo lists what airlock pushed (cross-check with an independent client)', async () => {
    const pool = new RegistryPool(FAST);
    try {
      const target = pool.repository({ registry, repository: unique('crosscheck') });
      const image = makeImage({ layers: [makeBlob('cross', 300)], docker: true });
      await writeToTarget(target, image, 'v9');
      const listed = JSON.parse((await skopeo(['list-tags', '--tls-verify=false', `docker://${target.name}`])).toString()) as { Tags: string[] };
      expect(listed.Tags).toEqual(['v9']);
    } finally {
      pool.close();
    }
  });
});
