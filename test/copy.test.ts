import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AirlockError } from '../src/errors.js';
import { copy, createCopier, type CopyEvent } from '../src/copy/index.js';
import { openLayout, validateLayout, REF_NAME, type LayoutTarget } from '../src/layout/index.js';
import { MediaType } from '../src/oci/media-types.js';
import { parseManifest } from '../src/oci/manifest.js';
import { rawManifest } from './harness/skopeo.js';
import {
  allManifests,
  countingTarget,
  makeBlob,
  makeImage,
  makeIndex,
  makeMultiArch,
  sha256,
  writeToTarget,
  type Built,
  type CountsStore,
} from './helpers/images.js';

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function newLayout(): Promise<LayoutTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-copy-'));
  temps.push(dir);
  return openLayout(join(dir, 'layout'), { create: true });
}

const hex = (digest: string): string => digest.slice('sha256:'.length);
const blobFile = (layout: LayoutTarget, digest: string): string => join(layout.dir, 'blobs', 'sha256', hex(digest));

/** Every digest of a built tree: blobs and manifests. */
function digestsOf(built: Built): string[] {
  return [...built.blobs.keys(), ...allManifests(built).map((m) => m.descriptor.digest)];
}

async function sourceWith(images: Record<string, Built>): Promise<LayoutTarget> {
  const source = await newLayout();
  for (const [name, built] of Object.entries(images)) await writeToTarget(source, built, name);
  return source;
}

describe('copy between layouts', () => {
  it('copies a multi-arch image with byte-identical manifests and names it', async () => {
    const multi = makeMultiArch('nginx');
    const source = await sourceWith({ 'docker.io/library/nginx:1.27': multi });
    const dest = await newLayout();
    const events: CopyEvent[] = [];
    const result = await copy(source, 'docker.io/library/nginx:1.27', dest, { tags: ['docker.io/library/nginx:1.27'], onEvent: (e) => events.push(e) });

    expect(result.root).toEqual(result.sourceRoot);
    expect(result.root.digest).toBe(multi.descriptor.digest);
    expect(result.stats).toEqual({ blobsPushed: 5, bytesPushed: expect.any(Number), blobsSkipped: 0, blobsMounted: 0, manifestsPushed: 3, manifestsSkipped: 0 });
    const expectedBytes = [...multi.blobs.values(), ...allManifests(multi)].reduce((n, b) => n + b.descriptor.size, 0);
    expect(result.stats.bytesPushed).toBe(expectedBytes);
    for (const m of allManifests(multi)) expect(await readFile(blobFile(dest, m.descriptor.digest))).toEqual(m.bytes);
    expect(await validateLayout(dest.dir)).toEqual({ ok: true, problems: [] });
    expect(await rawManifest(`oci:${dest.dir}:docker.io/library/nginx:1.27`)).toEqual(multi.manifest);

    expect(events.filter((e) => e.type === 'blob-done')).toHaveLength(5);
    expect(events.filter((e) => e.type === 'manifest-pushed')).toHaveLength(3);
    // The index goes last: children before parents.
    expect(events.at(-1)).toMatchObject({ type: 'manifest-pushed', digest: multi.descriptor.digest, reference: 'docker.io/library/nginx:1.27' });
    const progress = events.filter((e) => e.type === 'blob-progress');
    expect(progress.length).toBeGreaterThanOrEqual(5);
  });

  it('copies Docker schema2 manifest lists unchanged', async () => {
    const multi = makeMultiArch('docker', { docker: true });
    const source = await sourceWith({ 'docker.io/library/d:1': multi });
    const dest = await newLayout();
    const result = await copy(source, 'docker.io/library/d:1', dest, { tags: ['d'] });
    expect(result.root.mediaType).toBe(MediaType.DockerManifestList);
    for (const m of allManifests(multi)) expect(await readFile(blobFile(dest, m.descriptor.digest))).toEqual(m.bytes);
    expect((await dest.list())[0]).toMatchObject({ digest: multi.descriptor.digest, mediaType: MediaType.DockerManifestList });
  });

  it('fetches and pushes each shared blob once when two images are copied concurrently', async () => {
    const base = makeBlob('shared-base', 50_000);
    const mid = makeBlob('shared-mid', 20_000);
    const a = makeImage({ layers: [base, mid, makeBlob('a-top', 3000)], label: 'a' });
    const b = makeImage({ layers: [base, mid, makeBlob('b-top', 3000)], label: 'b' });
    const multi = makeMultiArch('c'); // a third image, itself sharing a layer between platforms
    const source = countingTarget(await sourceWith({ a: a, b: b, c: multi }), { fetchDelay: 5 });
    const dest = countingTarget(await newLayout());

    const copier = createCopier(dest, { concurrency: 3 });
    const results = await Promise.all([copier.copy(source, 'a', ['a']), copier.copy(source, 'b', ['b']), copier.copy(source, 'c', ['c'])]);

    const all = new Set([...digestsOf(a), ...digestsOf(b), ...digestsOf(multi)]);
    for (const digest of all) {
      expect(source.counts.get('fetch', digest), `fetch ${digest}`).toBe(1);
      expect(dest.counts.get('push', digest), `push ${digest}`).toBe(1);
    }
    expect(source.counts.repeated('fetch')).toEqual([]);
    expect(dest.counts.total('push')).toBe(all.size);
    // The session totals count work once; each call counts what it found done by another as skipped.
    expect(copier.stats.blobsPushed + copier.stats.manifestsPushed).toBe(all.size);
    const perCall = results.reduce((n, r) => n + r.stats.blobsPushed, 0);
    expect(perCall).toBe(copier.stats.blobsPushed);
    expect(results[0]!.stats.blobsSkipped + results[1]!.stats.blobsSkipped).toBe(2);

    // A second run finds everything and pushes nothing, skipping each root's subtree.
    const again = createCopier(dest);
    const second = await Promise.all([again.copy(source, 'a'), again.copy(source, 'b'), again.copy(source, 'c')]);
    expect(dest.counts.total('push')).toBe(all.size);
    for (const r of second) expect(r.stats).toEqual({ blobsPushed: 0, bytesPushed: 0, blobsSkipped: 0, blobsMounted: 0, manifestsPushed: 0, manifestsSkipped: 1 });
    expect(source.counts.total('fetch')).toBe(all.size);
  });

  for (const concurrency of [1, 4]) {
    it(`resumes an interrupted run without pushing any blob twice (concurrency ${concurrency})`, async () => {
      const multi = makeMultiArch('resume');
      const other = makeImage({ layers: [makeBlob('r1', 9000), makeBlob('r2', 9000), makeBlob('r3', 9000)], label: 'other' });
      const inner = await sourceWith({ m: multi, o: other });
      const layoutDest = await newLayout();
      const store: CountsStore = new Map();
      const failing = countingTarget(layoutDest, {
        counts: store,
        beforePush: (_desc, nth) => {
          if (nth === 3) throw new Error('disk full');
        },
      });
      const copier = createCopier(failing, { concurrency });
      const first = await Promise.allSettled([copier.copy(inner, 'm', ['m']), copier.copy(inner, 'o', ['o'])]);
      expect(first.some((r) => r.status === 'rejected')).toBe(true);
      const rejected = first.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(AirlockError);
      expect(rejected.reason.message).toMatch(/disk full/);
      expect(rejected.reason.message).toMatch(/sha256:[a-f0-9]{64}/);
      const pushedBefore = failing.counts.total('pushed');
      expect(pushedBefore).toBeGreaterThan(0);

      const healthy = countingTarget(layoutDest, { counts: store });
      const rerun = createCopier(healthy, { concurrency });
      const second = await Promise.all([rerun.copy(inner, 'm', ['m']), rerun.copy(inner, 'o', ['o'])]);
      const all = new Set([...digestsOf(multi), ...digestsOf(other)]);
      // Every digest committed exactly once over both runs; the re-run pushed only the remainder.
      for (const digest of all) expect(healthy.counts.get('pushed', digest), digest).toBe(1);
      expect(second.reduce((n, r) => n + r.stats.blobsPushed + r.stats.manifestsPushed, 0)).toBe(all.size - pushedBefore);
      if (concurrency === 1) {
        // One at a time, no push is even started twice: only the one that failed is retried.
        expect(healthy.counts.repeated('push')).toHaveLength(1);
      }
      expect(await validateLayout(layoutDest.dir)).toEqual({ ok: true, problems: [] });
    });
  }

  it('fails on a corrupted source blob with DIGEST_MISMATCH and leaves nothing of it behind', async () => {
    const image = makeImage({ layers: [makeBlob('ok', 10_000), makeBlob('bad', 300_000)] });
    const source = await sourceWith({ 'docker.io/library/bad:1': image });
    const badDigest = sha256(makeBlob('bad', 300_000));
    const altered = Buffer.from(await readFile(blobFile(source, badDigest)));
    altered[altered.length - 1] = altered[altered.length - 1]! ^ 1;
    await writeFile(blobFile(source, badDigest), altered);

    const dest = await newLayout();
    const err = await copy(source, 'docker.io/library/bad:1', dest, { tags: ['x'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockError);
    expect(err).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect((err as Error).message).toContain(badDigest);
    expect((err as Error).message).toContain('docker.io/library/bad:1');
    expect(await dest.exists({ mediaType: MediaType.OciLayerGzip, digest: badDigest, size: 300_000 })).toBe(false);
    const files = await readdir(join(dest.dir, 'blobs', 'sha256'));
    expect(files).not.toContain(hex(badDigest));
    expect(files.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect(files).not.toContain(hex(image.descriptor.digest));
    expect(await dest.list()).toEqual([]);

    // A truncated blob is a SIZE_MISMATCH, same cleanliness.
    await writeFile(blobFile(source, badDigest), altered.subarray(0, 1000));
    await expect(copy(source, 'docker.io/library/bad:1', dest)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect((await readdir(join(dest.dir, 'blobs', 'sha256'))).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('does not let one failing copy in a session fail another that shares its blobs', async () => {
    const base = makeBlob('base-x', 40_000);
    const baseDigest = sha256(base);
    const a = makeImage({ layers: [base, makeBlob('xa', 100)], label: 'a' });
    const b = makeImage({ layers: [base, makeBlob('xb', 100)], label: 'b' });
    const source = countingTarget(await sourceWith({ a, b }), { fetchDelay: 10 });
    const layout = await newLayout();
    let failed = false;
    // The first push of the shared layer fails; whichever copy owned it fails, the other
    // (waiting on that same transfer) must take it over instead of inheriting the error.
    const dest = countingTarget(layout, {
      beforePush: (desc) => {
        if (desc.digest === baseDigest && !failed) {
          failed = true;
          throw new Error('connection reset');
        }
      },
    });
    const copier = createCopier(dest, { concurrency: 3 });
    const settled = await Promise.allSettled([copier.copy(source, 'a', ['a']), copier.copy(source, 'b', ['b'])]);
    expect(settled.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(dest.counts.get('push', baseDigest)).toBe(2);
    expect(dest.counts.get('pushed', baseDigest)).toBe(1);
    expect(await validateLayout(layout.dir)).toEqual({ ok: true, problems: [] });
  });

  it('never runs more leaf operations than the concurrency allows', async () => {
    const images = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`i${i}`, makeImage({ layers: [makeBlob(`c${i}a`, 2000), makeBlob(`c${i}b`, 2000)], label: `${i}` })]));
    const source = await sourceWith(images);
    type Layout = Awaited<ReturnType<typeof newLayout>>;
    /**
     * A destination whose operations hold until `limit` of them run at once (or every
     * remaining one has started): the copy must reach the limit, and can never pass it.
     * No timers: the waits end on the counts alone.
     */
    const gated = (layout: Layout, limit: number, total: number) => {
      const seen = { active: 0, peak: 0, started: 0 };
      let waiters: (() => void)[] = [];
      const track = async <T>(op: () => Promise<T>): Promise<T> => {
        seen.active++;
        seen.started++;
        seen.peak = Math.max(seen.peak, seen.active);
        const held = new Promise<void>((resolve) => waiters.push(resolve));
        if (seen.active >= limit || seen.started >= total) {
          for (const release of waiters) release();
          waiters = [];
        }
        await held;
        try {
          return await op();
        } finally {
          seen.active--;
        }
      };
      const dest = {
        name: layout.name,
        exists: (d: Parameters<Layout['exists']>[0]) => track(() => layout.exists(d)),
        push: (d: Parameters<Layout['push']>[0], c: Parameters<Layout['push']>[1]) => track(() => layout.push(d, c)),
        tag: (d: Parameters<Layout['tag']>[0], r: string) => layout.tag(d, r),
      };
      return { dest, seen };
    };
    const copyAll = async (dest: Parameters<typeof createCopier>[0]) => {
      const copier = createCopier(dest, { concurrency: 3 });
      await Promise.all(Object.keys(images).map((n) => copier.copy(source, n, [n])));
      return copier;
    };
    // A first run with no holding counts the operations, so the gated run knows its tail.
    const count = gated(await newLayout(), 1, 0);
    await copyAll(count.dest);
    const run = gated(await newLayout(), 3, count.seen.started);
    const copier = await copyAll(run.dest);
    expect(run.seen.started).toBe(count.seen.started);
    expect(run.seen.peak).toBe(3);
    expect(copier.stats).toMatchObject({ blobsPushed: 18, manifestsPushed: 6 });
  });

  it('refuses a manifest larger than 4 MiB before fetching it', async () => {
    let fetched = false;
    const source = {
      name: 'fake',
      resolve: async () => ({ mediaType: MediaType.OciManifest, digest: sha256(Buffer.from('x')), size: 5 * 1024 * 1024 }),
      fetch: async () => {
        fetched = true;
        throw new Error('not reached');
      },
    };
    await expect(copy(source, 'big', await newLayout())).rejects.toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining('big') });
    expect(fetched).toBe(false);
  });

  it('stops on an aborted signal with INTERRUPTED', async () => {
    const source = await sourceWith({ m: makeMultiArch('abort') });
    const dest = await newLayout();
    const controller = new AbortController();
    controller.abort();
    await expect(copy(source, 'm', dest, { signal: controller.signal })).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(await readdir(join(dest.dir, 'blobs', 'sha256'))).toEqual([]);

    // Interrupted mid-copy: the moment the first blob starts to flow, not after a guessed delay.
    const later = new AbortController();
    const pending = copy(source, 'm', dest, { signal: later.signal, concurrency: 1, onEvent: (e) => e.type === 'blob-start' && later.abort() });
    await expect(pending).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect((await readdir(join(dest.dir, 'blobs', 'sha256'))).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('mounts instead of uploading when the destination can', async () => {
    const image = makeImage({ layers: [makeBlob('m1', 100), makeBlob('m2', 100)] });
    const source = await sourceWith({ i: image });
    const inner = await newLayout();
    const mountable = sha256(makeBlob('m1', 100));
    // Simulates a registry mount: the blob appears without bytes sent.
    const dest = countingTarget(inner, {
      mount: async (desc) => {
        if (desc.digest !== mountable) return false;
        await writeFile(blobFile(inner, desc.digest), makeBlob('m1', 100));
        return true;
      },
    });
    const result = await copy(source, 'i', dest);
    expect(result.stats).toMatchObject({ blobsMounted: 1, blobsPushed: 2, manifestsPushed: 1 });
    expect(dest.counts.get('push', mountable)).toBe(0);
  });
});

describe('platform filter', () => {
  it('keeps the index whole when every platform is wanted, and by default', async () => {
    const multi = makeMultiArch('pf');
    const source = await sourceWith({ m: multi });
    for (const platforms of [undefined, [], [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }]]) {
      const dest = await newLayout();
      const result = await copy(source, 'm', dest, { platforms, tags: ['m'] });
      expect(result.root).toEqual(result.sourceRoot);
      expect(await readFile(blobFile(dest, multi.descriptor.digest))).toEqual(multi.manifest);
    }
  });

  it('rebuilds the index when platforms are dropped, keeping its media type and annotations', async () => {
    const multi = makeMultiArch('pf2');
    const [amd64, arm64] = multi.manifests as [Built, Built];
    const source = await sourceWith({ m: multi });
    const dest = await newLayout();
    const result = await copy(source, 'm', dest, { platforms: [{ os: 'linux', architecture: 'arm64' }], tags: ['m'] });
    expect(result.root.digest).not.toBe(multi.descriptor.digest);
    expect(result.sourceRoot.digest).toBe(multi.descriptor.digest);
    const bytes = await readFile(blobFile(dest, result.root.digest));
    expect(sha256(bytes)).toBe(result.root.digest);
    expect(result.root.size).toBe(bytes.length);
    const parsed = parseManifest(bytes, result.root.mediaType, 'rebuilt');
    expect(parsed.kind).toBe('index');
    if (parsed.kind !== 'index') return;
    expect(parsed.mediaType).toBe(MediaType.OciIndex);
    expect(parsed.index.annotations).toEqual({ 'org.opencontainers.image.source': 'https://example.com/pf2' });
    expect(parsed.index.manifests).toEqual([arm64.descriptor]);
    expect(await readFile(blobFile(dest, arm64.descriptor.digest))).toEqual(arm64.manifest);
    // Nothing of amd64 crossed except the layer it shares with arm64.
    expect(await dest.exists(amd64.descriptor)).toBe(false);
    expect((await dest.list())[0]).toMatchObject({ digest: result.root.digest, annotations: { [REF_NAME]: 'm' } });
    expect(await validateLayout(dest.dir)).toEqual({ ok: true, problems: [] });

    // Same filter again: the rebuilt index is found present and nothing is pushed.
    const again = await copy(source, 'm', dest, { platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }] });
    expect(again.root).toEqual(result.root);
    expect(again.stats).toMatchObject({ blobsPushed: 0, manifestsPushed: 0, manifestsSkipped: 1 });
  });

  it('keeps attestations of kept images, handles nested indexes, and names the platforms on no match', async () => {
    const amd64 = makeImage({ layers: [makeBlob('n-amd', 100)], platform: { os: 'linux', architecture: 'amd64' } });
    const arm64 = makeImage({ layers: [makeBlob('n-arm', 100)], platform: { os: 'linux', architecture: 'arm64' } });
    const att = makeImage({ layers: [makeBlob('att', 50)], platform: { os: 'unknown', architecture: 'unknown' }, label: 'att' });
    const withAtt = makeIndex([amd64, arm64, att], {
      extraEntries: () => [],
    });
    // Rewrite the attestation entry's annotations as buildx writes them.
    const doc = JSON.parse(withAtt.manifest.toString());
    doc.manifests[2].annotations = { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64.descriptor.digest };
    const manifest = Buffer.from(JSON.stringify(doc));
    const index: Built = { ...withAtt, manifest, descriptor: { mediaType: MediaType.OciIndex, digest: sha256(manifest), size: manifest.length } };
    const outer = makeIndex([index, makeImage({ layers: [makeBlob('s390', 10)], platform: { os: 'linux', architecture: 's390x' } })]);
    const source = await sourceWith({ att: index, outer });

    const dest = await newLayout();
    const result = await copy(source, 'att', dest, { platforms: [{ os: 'linux', architecture: 'amd64' }] });
    const kept = JSON.parse((await readFile(blobFile(dest, result.root.digest))).toString());
    expect(kept.manifests.map((m: { digest: string }) => m.digest)).toEqual([amd64.descriptor.digest, att.descriptor.digest]);

    const nested = await copy(source, 'outer', dest, { platforms: [{ os: 'linux', architecture: 'amd64' }] });
    const outerDoc = JSON.parse((await readFile(blobFile(dest, nested.root.digest))).toString());
    expect(outerDoc.manifests).toHaveLength(1);
    expect(outerDoc.manifests[0].digest).toBe(result.root.digest);
    expect(await validateLayout(dest.dir)).toEqual({ ok: true, problems: [] });

    const err = await copy(source, 'att', dest, { platforms: [{ os: 'windows', architecture: 'amd64' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toContain('windows/amd64');
    expect((err as Error).message).toContain('linux/amd64, linux/arm64');
    expect((err as Error).message).not.toContain('unknown/unknown');
    expect((err as Error).message).toContain('att');
  });
});
