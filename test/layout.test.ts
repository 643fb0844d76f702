import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { readVerified } from '../src/content/verify.js';
import { openLayout, validateLayout, REF_NAME, type LayoutTarget } from '../src/layout/index.js';
import { digestFromHex, type Digest } from '../src/oci/digest.js';
import { MediaType } from '../src/oci/media-types.js';
import type { Descriptor } from '../src/oci/schemas.js';
import { rawManifest, skopeoCopy } from './harness/skopeo.js';
import { allManifests, makeBlob, makeChart, makeImage, makeMultiArch, descriptorOf, writeToTarget } from './helpers/images.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-layout-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function newLayout(): Promise<LayoutTarget> {
  return openLayout(join(await tempDir(), 'layout'), { create: true });
}

async function fetchBytes(layout: LayoutTarget, desc: Descriptor): Promise<Buffer> {
  return readVerified(await layout.fetch(desc), desc, desc.digest);
}

describe('LayoutTarget', () => {
  it('creates oci-layout and an empty index.json, and reopens an existing layout unchanged', async () => {
    const layout = await newLayout();
    expect(layout.name).toBe(`oci:${layout.dir}`);
    expect(JSON.parse(await readFile(join(layout.dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(await readFile(join(layout.dir, 'index.json'), 'utf8'))).toEqual({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
    const image = makeImage({ layers: [makeBlob('a', 100)] });
    await writeToTarget(layout, image, 'docker.io/library/a:1');
    const again = await openLayout(layout.dir, { create: true });
    expect((await again.list()).map((e) => e.annotations?.[REF_NAME])).toEqual(['docker.io/library/a:1']);
  });

  it('refuses a folder that is not a layout', async () => {
    const dir = await tempDir();
    await expect(openLayout(dir)).rejects.toMatchObject({ code: 'LAYOUT_INVALID', message: expect.stringContaining(dir) });
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expect(openLayout(dir)).rejects.toMatchObject({ code: 'LAYOUT_INVALID' });
  });

  it('round-trips images, an index, a Docker image and a chart by name and by digest', async () => {
    const layout = await newLayout();
    const multi = makeMultiArch();
    const docker = makeImage({ layers: [makeBlob('d', 300)], docker: true });
    const chart = makeChart('mychart', '1.2.3');
    await writeToTarget(layout, multi, 'docker.io/library/nginx:1.27');
    await writeToTarget(layout, docker, 'ghcr.io/org/app:v1');
    await writeToTarget(layout, chart, 'registry.example.com/charts/mychart:1.2.3');

    const root = await layout.resolve('docker.io/library/nginx:1.27');
    expect(root).toEqual({ mediaType: MediaType.OciIndex, digest: multi.descriptor.digest, size: multi.descriptor.size });
    expect(await fetchBytes(layout, root)).toEqual(multi.manifest);
    expect((await layout.resolve('ghcr.io/org/app:v1')).mediaType).toBe(MediaType.DockerManifest);
    for (const m of allManifests(multi)) expect(await fetchBytes(layout, m.descriptor)).toEqual(m.bytes);
    for (const blob of multi.blobs.values()) expect(await fetchBytes(layout, blob.descriptor)).toEqual(blob.bytes);

    // A digest that is an index entry, and one that is only a child manifest (media type read from the blob).
    expect(await layout.resolve(chart.descriptor.digest)).toEqual({ mediaType: MediaType.OciManifest, digest: chart.descriptor.digest, size: chart.descriptor.size });
    const child = multi.manifests[1]!;
    expect(await layout.resolve(child.descriptor.digest)).toEqual({ mediaType: MediaType.OciManifest, digest: child.descriptor.digest, size: child.descriptor.size });
    const layer = [...multi.blobs.values()].find((b) => b.descriptor.mediaType === MediaType.OciLayerGzip)!;
    await expect(layout.resolve(layer.descriptor.digest)).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });

    // Sorted by name, whatever the order of tag() calls.
    expect((await layout.list()).map((e) => e.annotations?.[REF_NAME])).toEqual([
      'docker.io/library/nginx:1.27',
      'ghcr.io/org/app:v1',
      'registry.example.com/charts/mychart:1.2.3',
    ]);
  });

  it('names what it has when a reference is missing', async () => {
    const layout = await newLayout();
    await writeToTarget(layout, makeImage({ layers: [makeBlob('x', 10)] }), 'docker.io/library/x:1');
    const err = await layout.resolve('docker.io/library/y:1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toContain(layout.dir);
    expect((err as Error).message).toContain('docker.io/library/x:1');
    await expect(layout.resolve(`sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(layout.fetch({ mediaType: 'x', digest: digestFromHex('0'.repeat(64)), size: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('replaces a tag, keeps unnamed entries, and serializes concurrent tag() calls', async () => {
    const layout = await newLayout();
    const a = makeImage({ layers: [makeBlob('a', 10)], label: 'a' });
    const b = makeImage({ layers: [makeBlob('b', 10)], label: 'b' });
    await writeToTarget(layout, a, 'docker.io/library/app:1');
    await writeToTarget(layout, b, 'docker.io/library/app:1');
    let entries = await layout.list();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.digest).toBe(b.descriptor.digest);
    expect(entries[0]!.platform).toEqual({ os: 'linux', architecture: 'amd64' });

    await layout.addDescriptor(a.descriptor);
    await layout.addDescriptor(a.descriptor);
    entries = await layout.list();
    expect(entries.map((e) => [e.digest, e.annotations?.[REF_NAME]])).toEqual([
      [b.descriptor.digest, 'docker.io/library/app:1'],
      [a.descriptor.digest, undefined],
    ]);

    const names = Array.from({ length: 25 }, (_, i) => `docker.io/library/app:${100 + i}`);
    await Promise.all(names.map((n, i) => layout.tag(i % 2 ? a.descriptor : b.descriptor, n)));
    entries = await layout.list();
    expect(entries).toHaveLength(27);
    expect(entries.filter((e) => e.annotations?.[REF_NAME]?.startsWith('docker.io/library/app:1')).length).toBe(26);
    // Nothing left over from the atomic rewrites.
    expect((await readdir(layout.dir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    await expect(layout.tag({ mediaType: MediaType.OciManifest, digest: digestFromHex('1'.repeat(64)), size: 5 }, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('commits a blob only after its stream ends cleanly, and leaves no temp file on error', async () => {
    const layout = await newLayout();
    const bytes = makeBlob('p', 200_000);
    const desc = descriptorOf(bytes, MediaType.OciLayerGzip);
    const failing = new Readable({
      read() {
        this.push(bytes.subarray(0, 65536));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(layout.push(desc, failing)).rejects.toThrow(/connection reset/);
    expect(await layout.exists(desc)).toBe(false);
    expect(await readdir(join(layout.dir, 'blobs', 'sha256'))).toEqual([]);

    await layout.push(desc, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    expect(await layout.exists(desc)).toBe(true);
    expect(await layout.exists({ ...desc, size: desc.size + 1 })).toBe(false);
    // A second push of present content neither rewrites nor waits on the stream.
    let pulled = false;
    await layout.push(desc, new Readable({ read() { pulled = true; this.push(null); } }));
    expect(pulled).toBe(false);
    expect(await readdir(join(layout.dir, 'blobs', 'sha256'))).toEqual([desc.digest.slice(7)]);
  });

  it('refuses digests that would escape the blobs folder', async () => {
    const layout = await newLayout();
    const bad = { mediaType: MediaType.OciLayerGzip, digest: 'sha256:../../../etc/passwd' as Digest, size: 1 }; // hostile input the type system never sees
    await expect(layout.fetch(bad)).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
    await expect(layout.push(bad, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
    await expect(layout.exists(bad)).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
  });
});

describe('skopeo reads what LayoutTarget writes', () => {
  it('inspect --raw returns our exact bytes, and copy --all to another layout succeeds', async () => {
    const layout = await newLayout();
    const multi = makeMultiArch('skopeo');
    const single = makeImage({ layers: [makeBlob('s1', 5000), makeBlob('s2', 7000)], label: 'single' });
    const chart = makeChart('chart', '0.1.0');
    await writeToTarget(layout, multi, 'docker.io/library/nginx:1.27');
    await writeToTarget(layout, single, `ghcr.io/org/app@${single.descriptor.digest}`);
    await writeToTarget(layout, chart, 'registry.example.com/charts/chart:0.1.0');

    expect(await rawManifest(`oci:${layout.dir}:docker.io/library/nginx:1.27`)).toEqual(multi.manifest);
    expect(await rawManifest(`oci:${layout.dir}:ghcr.io/org/app@${single.descriptor.digest}`)).toEqual(single.manifest);

    const copyDir = join(await tempDir(), 'copy');
    await skopeoCopy(`oci:${layout.dir}:docker.io/library/nginx:1.27`, `oci:${copyDir}:docker.io/library/nginx:1.27`, ['--preserve-digests']);
    await skopeoCopy(`oci:${layout.dir}:registry.example.com/charts/chart:0.1.0`, `oci:${copyDir}:chart`, ['--preserve-digests']);
    const copied = await openLayout(copyDir);
    expect((await copied.resolve('docker.io/library/nginx:1.27')).digest).toBe(multi.descriptor.digest);
    expect((await copied.resolve('chart')).digest).toBe(chart.descriptor.digest);
    expect(await validateLayout(copyDir)).toEqual({ ok: true, problems: [] });
    expect(await validateLayout(layout.dir)).toEqual({ ok: true, problems: [] });
  });
});

describe('validateLayout', () => {
  it('reports every problem at once, with paths relative to the root', async () => {
    const layout = await newLayout();
    const multi = makeMultiArch('broken');
    const other = makeImage({ layers: [makeBlob('o', 500)], label: 'other' });
    await writeToTarget(layout, multi, 'docker.io/library/multi:1');
    await writeToTarget(layout, other, 'docker.io/library/other:1');
    const hex = (d: string) => d.slice('sha256:'.length);
    const blobFile = (d: string) => join(layout.dir, 'blobs', 'sha256', hex(d));

    const [missing, corrupt] = [...multi.blobs.values()].filter((b) => b.descriptor.mediaType === MediaType.OciLayerGzip).map((b) => b.descriptor.digest);
    await rm(blobFile(missing!));
    const bad = Buffer.from(await readFile(blobFile(corrupt!)));
    bad[10] = bad[10]! ^ 0xff;
    await writeFile(blobFile(corrupt!), bad);
    await rm(blobFile(other.descriptor.digest)); // an index entry without its blob
    await writeFile(join(layout.dir, 'blobs', 'sha256', '.tmp-abc-123'), 'partial');
    await writeFile(join(layout.dir, 'blobs', 'sha256', 'notes.txt'), 'junk');
    await mkdir(join(layout.dir, '__MACOSX'));
    await writeFile(join(layout.dir, '._index.json'), 'junk');
    await writeFile(join(layout.dir, 'oci-layout'), 'not json');

    const report = await validateLayout(layout.dir);
    expect(report.ok).toBe(false);
    const found = report.problems.map((p) => [p.code, p.path]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['LAYOUT_FILE_INVALID', 'oci-layout'],
        ['BLOB_MISSING', `blobs/sha256/${hex(missing!)}`],
        ['BLOB_DIGEST_MISMATCH', `blobs/sha256/${hex(corrupt!)}`],
        ['BLOB_MISSING', `blobs/sha256/${hex(other.descriptor.digest)}`],
        ['TEMP_FILE', 'blobs/sha256/.tmp-abc-123'],
        ['UNEXPECTED_FILE', 'blobs/sha256/notes.txt'],
        ['UNEXPECTED_FILE', '__MACOSX'],
        ['UNEXPECTED_FILE', '._index.json'],
      ]),
    );
    expect(found).toHaveLength(8);
    // The shared-by-nobody missing layer is named with the manifest that needs it.
    const missingProblem = report.problems.find((p) => p.path.endsWith(hex(missing!)))!;
    expect(missingProblem.message).toContain('manifest sha256:');

    // Without digest checks the corrupt blob goes unnoticed but everything else is still found.
    const quick = await validateLayout(layout.dir, { checkDigests: false });
    expect(quick.problems.map((p) => p.code)).not.toContain('BLOB_DIGEST_MISMATCH');
    expect(quick.problems).toHaveLength(7);
  });

  it('reports a missing index.json, a size mismatch, and a layout nested one folder down', async () => {
    const outer = await tempDir();
    const layout = await openLayout(join(outer, 'bundle'), { create: true });
    const image = makeImage({ layers: [makeBlob('n', 64)] });
    await writeToTarget(layout, image, 'x');
    const report = await validateLayout(outer);
    expect(report.problems.map((p) => [p.code, p.path])).toEqual([
      ['UNEXPECTED_FILE', 'bundle'],
      ['INDEX_MISSING', 'index.json'],
      ['LAYOUT_FILE_MISSING', 'oci-layout'],
    ]);
    expect(report.problems.find((p) => p.code === 'LAYOUT_FILE_MISSING')!.message).toContain('bundle/');

    const index = JSON.parse(await readFile(join(layout.dir, 'index.json'), 'utf8'));
    index.manifests[0].size += 1;
    await writeFile(join(layout.dir, 'index.json'), JSON.stringify(index));
    expect((await validateLayout(layout.dir)).problems.map((p) => p.code)).toEqual(['BLOB_SIZE_MISMATCH']);
    await writeFile(join(layout.dir, 'index.json'), '{"schemaVersion":2,"manifests":[{"digest":"sha256:zz"}]}');
    expect((await validateLayout(layout.dir)).problems.map((p) => p.code)).toEqual(['INDEX_INVALID']);
    expect((await validateLayout(layout.dir, { allowedRootFiles: ['x'] })).ok).toBe(false);
    expect((await validateLayout(join(outer, 'nope'))).problems.map((p) => p.code)).toEqual(['LAYOUT_MISSING']);
  });
});
