import { mkdir, mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../src/bundle/inspect.js';
import { BundleSource, openSignedBundle } from '../src/bundle/read.js';
import { unpack } from '../src/bundle/unpack.js';
import { verifySignatures, type SignaturePolicy } from '../src/bundle/signers.js';
import { verifyContents } from '../src/bundle/verify.js';
import { writeBundle, type BundleRoot } from '../src/bundle/write.js';
import { openLayout } from '../src/layout/index.js';
import { canonicalJson } from '../src/bundle/canonical.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, signPayload, type PrivateKey, type PublicKey } from '../src/sign/index.js';
import { forgeTar, makeZip, tarEntries, zeros, type ForgeEntry } from './helpers/archives.js';
import { makeChart, makeImage, makeBlob, makeMultiArch, sha256, writeToTarget } from './helpers/images.js';
import { rawManifest } from './harness/skopeo.js';

let dir: string;
let bundlePath: string;
let packer: { priv: PrivateKey; pub: PublicKey };
let other: { priv: PrivateKey; pub: PublicKey };
let roots: BundleRoot[];
let staging: Awaited<ReturnType<typeof openLayout>>;

async function keyPair(name: string) {
  const pair = await generateKeyPair();
  return { priv: parsePrivateKey(pair.privateKeyPem, `${name}.key`), pub: parsePublicKey(pair.publicKeyPem, `${name}.pub`) };
}

const EPOCH = 1_700_000_000;

async function write(output: string, key: PrivateKey | null = packer.priv) {
  return writeBundle(staging, roots, { output, ...(key ? { key } : {}), spec: { images: roots.map((r) => r.source) }, epoch: EPOCH });
}

/** The bundle's entries as forge entries, for rebuilding altered copies. */
async function entriesOf(path: string): Promise<ForgeEntry[]> {
  const bytes = await readFile(path);
  const entries = await tarEntries(path);
  return entries.map((e) => ({ path: e.path, data: bytes.subarray(e.offset!, e.offset! + e.size) }));
}

async function check(input: string | string[], policy: Partial<SignaturePolicy> = {}) {
  const bundle = await openSignedBundle(input);
  try {
    const signers = await verifySignatures(bundle, { keys: [packer.pub], ...policy });
    const contents = await verifyContents(bundle);
    return { signers, contents, junk: bundle.junk, root: bundle.layout.root };
  } finally {
    await bundle.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-bundle-'));
  packer = await keyPair('packer');
  other = await keyPair('other');
  staging = await openLayout(join(dir, 'staging'), { create: true });
  const multi = makeMultiArch('app', { layerSize: 20_000 });
  const single = makeImage({ layers: [makeBlob('base', 30_000), makeBlob('single', 5000)], label: 'single' });
  const docker = makeImage({ layers: [makeBlob('base', 30_000)], docker: true, label: 'docker' });
  const chart = makeChart('demo', '1.2.3');
  roots = [
    { kind: 'image', source: 'ghcr.io/org/app:v1', name: 'ghcr.io/org/app:v1', root: await writeToTarget(staging, multi) },
    { kind: 'image', source: 'docker.io/library/single:1', name: 'docker.io/library/single:1', root: await writeToTarget(staging, single) },
    { kind: 'image', source: 'quay.io/org/docker:2', name: 'quay.io/org/docker:2', root: await writeToTarget(staging, docker) },
    { kind: 'chart', source: 'oci://ghcr.io/org/charts/demo:1.2.3', name: 'ghcr.io/org/charts/demo:1.2.3', root: await writeToTarget(staging, chart), chart: { name: 'demo', version: '1.2.3' } },
  ];
  bundlePath = join(dir, 'bundle.tar');
  await write(bundlePath);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the bundle as pack writes it', () => {
  it('puts the manifest and its signature first, then the layout, and lists every other file', async () => {
    const entries = await tarEntries(bundlePath);
    expect(entries.slice(0, 4).map((e) => e.path)).toEqual(['airlock.json', 'airlock.json.sigstore.json', 'oci-layout', 'index.json']);
    const bundle = await openSignedBundle(bundlePath);
    try {
      expect(bundle.manifest.files.map((f) => f.path)).toEqual(entries.slice(2).map((e) => e.path));
      const s = summarize(bundle);
      expect(s.images).toBe(3);
      expect(s.charts).toBe(1);
      expect(s.signatures[0]!.claims).toBe(`key ${packer.pub.keyId.replace(/^/, 'sha256:')}`);
      const app = s.artifacts.find((a) => a.name === 'ghcr.io/org/app:v1')!;
      expect(app.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
      expect(s.artifacts.find((a) => a.kind === 'chart')!.platforms).toEqual([]);
      expect(bundle.manifest.created).toBe('2023-11-14T22:13:20Z');
    } finally {
      await bundle.close();
    }
  });

  it('is byte-identical when written twice from the same content, signature included', async () => {
    const again = join(dir, 'again.tar');
    await write(again);
    expect((await readFile(again)).equals(await readFile(bundlePath))).toBe(true);
  });

  it('verifies: signature first, then every byte', async () => {
    const r = await check(bundlePath);
    expect(r.signers).toEqual([expect.objectContaining({ id: `sha256:${packer.pub.keyId}`, kind: 'key' })]);
    expect(r.contents.files).toBeGreaterThan(10);
  });

  it('is read in place as a copy source by the name skopeo would use', async () => {
    const bundle = await openSignedBundle(bundlePath);
    try {
      const source = new BundleSource(bundle);
      const desc = await source.resolve('ghcr.io/org/app:v1');
      expect(desc.digest).toBe(roots[0]!.root.digest);
      await expect(source.resolve('ghcr.io/org/nope:1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await bundle.close();
    }
  });
});

describe('hostile and damaged bundles', () => {
  it('refuses a bundle with one byte changed in a blob, naming the blob', async () => {
    const entries = await tarEntries(bundlePath);
    const blob = entries.find((e) => e.path.startsWith('blobs/') && e.size > 1000)!;
    const bytes = await readFile(bundlePath);
    bytes[blob.offset! + 100] = (bytes[blob.offset! + 100] ?? 0) ^ 0xff;
    const path = join(dir, 'tampered.tar');
    await writeFile(path, bytes);
    await expect(check(path)).rejects.toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining(`${blob.path} has sha256`) });
  });

  it('refuses a swapped blob (content under another blob\'s name)', async () => {
    const entries = await entriesOf(bundlePath);
    const blobs = entries.filter((e) => e.path.startsWith('blobs/'));
    const [a, b] = [blobs[0]!, blobs[1]!];
    [a.data, b.data] = [b.data, a.data];
    const path = join(dir, 'swapped.tar');
    await writeFile(path, forgeTar(entries));
    const err = await check(path).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'INTEGRITY' });
    expect((err as Error).message).toContain(a.path);
    expect((err as Error).message).toContain(b.path);
  });

  it('refuses a truncated tar with an error that says so', async () => {
    const bytes = await readFile(bundlePath);
    const path = join(dir, 'truncated.tar');
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    await expect(check(path)).rejects.toThrow(/truncated|ends|missing/i);
  });

  it('refuses an extra entry and a missing one', async () => {
    const entries = await entriesOf(bundlePath);
    const extra = join(dir, 'extra.tar');
    await writeFile(extra, forgeTar([...entries, { path: 'blobs/sha256/' + 'e'.repeat(64), data: 'smuggled' }]));
    await expect(check(extra)).rejects.toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining('not listed in the signed airlock.json') });
    const missing = join(dir, 'missing.tar');
    const dropped = entries.filter((e) => e.path.startsWith('blobs/'))[2]!;
    await writeFile(missing, forgeTar(entries.filter((e) => e !== dropped)));
    await expect(check(missing)).rejects.toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining(`${dropped.path} is missing`) });
  });

  it('refuses a bundle signed by another key, and an unsigned one unless told', async () => {
    await expect(check(bundlePath, { keys: [other.pub] })).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    const unsigned = join(dir, 'unsigned.tar');
    await write(unsigned, null);
    const entries = await entriesOf(unsigned);
    expect(entries.some((e) => e.path.includes('sigstore'))).toBe(false);
    await expect(check(unsigned)).rejects.toMatchObject({ code: 'SIGNATURE_MISSING', hint: expect.stringContaining('--allow-unsigned') });
    expect((await check(unsigned, { allowUnsigned: true })).signers).toEqual([]);
  });

  it('refuses an altered airlock.json even when the blobs are intact', async () => {
    const entries = await entriesOf(bundlePath);
    const manifest = entries[0]!;
    manifest.data = Buffer.from(String(manifest.data).replace('"linux/amd64"', '"linux/amd65"'));
    const path = join(dir, 'altered-manifest.tar');
    await writeFile(path, forgeTar(entries));
    await expect(check(path)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('refuses ../ and absolute paths and a symlink escape, naming the entry', async () => {
    const entries = await entriesOf(bundlePath);
    // Each case names the one guard it exercises: the path guard for names that climb
    // out or are absolute, the layout check for a link where a blob must be a file.
    for (const [name, bad, code, says] of [
      ['dotdot', { path: '../evil', data: 'x' }, 'PATH_UNSAFE', 'entry "../evil" has a ".." component'],
      ['absolute', { path: '/etc/passwd', data: 'x' }, 'PATH_UNSAFE', 'entry "/etc/passwd" is an absolute path'],
      ['symlink', { path: 'blobs/sha256/' + 'f'.repeat(64), type: 'SymbolicLink', linkpath: '/etc/passwd' }, 'INTEGRITY', 'is a symbolic link to "/etc/passwd", not a file'],
    ] as const) {
      const path = join(dir, `${name}.tar`);
      await writeFile(path, forgeTar([...entries, bad as ForgeEntry]));
      const err = await (async () => {
        const out = join(dir, `out-${name}`);
        try {
          await unpack(path, out, { keys: [packer.pub] });
        } catch (e) {
          return e as { code: string; message: string };
        }
        return undefined;
      })();
      expect(err, name).toBeDefined();
      expect(err!.code, name).toBe(code);
      expect(err!.message).toContain(says);
      await expect(stat(join(dir, `out-${name}`))).rejects.toThrow();
    }
  });
});

describe('a signed bundle that is not a whole graph', () => {
  it('is refused by unpack before the folder appears, naming the missing blob', async () => {
    // The packer signed a listing without one layer: every listed byte verifies, but
    // the image cannot be pulled. unpack's layout check walks the graph and says so.
    const layer = sha256(makeBlob('single', 5000));
    const path = `blobs/sha256/${layer.slice('sha256:'.length)}`;
    const entries = (await entriesOf(bundlePath)).filter((e) => e.path !== path);
    const manifest = JSON.parse(String(entries[0]!.data)) as { files: { path: string }[] };
    manifest.files = manifest.files.filter((f) => f.path !== path);
    const manifestBytes = Buffer.from(canonicalJson(manifest));
    entries[0]!.data = manifestBytes;
    entries[1]!.data = Buffer.from(canonicalJson(signPayload(manifestBytes, packer.priv)));
    const holed = join(dir, 'holed.tar');
    await writeFile(holed, forgeTar(entries));
    expect((await check(holed)).contents.files).toBe(manifest.files.length);
    const out = join(dir, 'out-holed');
    await expect(unpack(holed, out, { keys: [packer.pub] })).rejects.toMatchObject({ code: 'LAYOUT_INVALID', message: expect.stringContaining(`${layer}, which is missing`) });
    await expect(stat(out)).rejects.toThrow();
  });
});

describe('layouts as people mangle them', () => {
  it('takes a zip re-made on macOS: junk listed and ignored, layout nested one folder down', async () => {
    const entries = await entriesOf(bundlePath);
    const zip = join(dir, 'bundle.zip');
    await makeZip(zip, [
      ...entries.map((e) => ({ name: `bundle/${e.path}`, data: e.data as Buffer })),
      { name: '__MACOSX/bundle/._airlock.json', data: 'resource fork' },
      { name: 'bundle/.DS_Store', data: 'finder' },
      { name: 'bundle/blobs/._index.json', data: 'x' },
    ]);
    const r = await check(zip);
    expect(r.root).toBe('bundle/');
    expect(r.junk).toEqual(expect.arrayContaining(['__MACOSX/bundle/._airlock.json', 'bundle/.DS_Store']));
    const out = join(dir, 'from-zip');
    const result = await unpack(zip, out, { keys: [packer.pub] });
    expect(result.root).toBe('bundle/');
    expect((await readdir(out)).sort()).toEqual(['airlock.json', 'airlock.json.sigstore.json', 'blobs', 'index.json', 'oci-layout']);
  });

  it('rebuilds a missing index.json from the signed manifest, and skopeo reads the result', async () => {
    const entries = await entriesOf(bundlePath);
    const path = join(dir, 'noindex.tar');
    await writeFile(path, forgeTar(entries.filter((e) => e.path !== 'index.json').map((e) => ({ ...e, path: `outer/${e.path}` }))));
    const r = await check(path);
    expect(r.contents.indexRebuilt).toBe(true);
    const out = join(dir, 'from-noindex');
    const result = await unpack(path, out, { keys: [packer.pub] });
    expect(result.indexRebuilt).toBe(true);
    const raw = await rawManifest(`oci:${out}:ghcr.io/org/app:v1`);
    expect(raw.equals(makeMultiArch('app', { layerSize: 20_000 }).manifest)).toBe(true);
  });

  it('refuses an unlisted decompression bomb in a zip before extracting anything', async () => {
    const entries = await entriesOf(bundlePath);
    const zip = join(dir, 'bomb.zip');
    await makeZip(zip, [
      ...entries.map((e) => ({ name: e.path, data: e.data as Buffer })),
      { name: 'blobs/sha256/' + 'b'.repeat(64), data: () => zeros(200 * 1024 * 1024) },
    ], 9);
    expect((await stat(zip)).size).toBeLessThan(2 * 1024 * 1024);
    const out = join(dir, 'from-bomb');
    // Its declared size alone (200 MiB from a few hundred KB) refuses it, at listing.
    await expect(unpack(zip, out, { keys: [packer.pub] })).rejects.toMatchObject({ code: 'SIZE_LIMIT', message: expect.stringContaining(`entry "blobs/sha256/${'b'.repeat(64)}" declares`) });
    await expect(stat(out)).rejects.toThrow();
    const leftovers = (await readdir(dir)).filter((f) => f.includes('from-bomb'));
    expect(leftovers).toEqual([]);
  });

  it('refuses to unpack into a folder that is not empty', async () => {
    const out = join(dir, 'busy');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'mine');
    await expect(unpack(bundlePath, out, { keys: [packer.pub] })).rejects.toMatchObject({ code: 'FILE_EXISTS' });
    expect(await readFile(join(out, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('reads split parts given as the first part', async () => {
    const split = join(dir, 'split.tar');
    await writeBundle(staging, roots, { output: split, key: packer.priv, spec: {}, epoch: EPOCH, splitSize: 16 * 1024 });
    const parts = (await readdir(dir)).filter((f) => f.startsWith('split.tar.')).sort();
    expect(parts.length).toBeGreaterThan(3);
    expect((await check(join(dir, parts[0]!))).contents.files).toBeGreaterThan(10);
    await rm(join(dir, parts[2]!));
    await expect(check(join(dir, parts[0]!))).rejects.toThrow(new RegExp(`${parts[2]!.replace(/\./g, '\\.')} is missing`));
  });
});

describe('pack from a slow registry', () => {
  it('downloads ahead into the spool in parallel once blobs arrive slowly, with the same bytes', async () => {
    const { Transform } = await import('node:stream');
    const slowDir = join(dir, 'slow');
    const slowStaging = await openLayout(slowDir, { create: true });
    const big = makeImage({ layers: [0, 1, 2, 3, 4, 5].map((n) => makeBlob(`slow-${n}`, 1536 * 1024)), label: 'slow' });
    const slowRoots: BundleRoot[] = [{ kind: 'image', source: 'far.example/slow:1', name: 'far.example/slow:1', root: await writeToTarget(slowStaging, big) }];
    let active = 0;
    let peak = 0;
    // About 16 MB/s per stream, as from a registry across a WAN link.
    const slow = {
      name: 'a slow registry',
      resolve: (r: string) => slowStaging.resolve(r),
      fetch: async (d: Parameters<typeof slowStaging.fetch>[0]) => {
        const inner = await slowStaging.fetch(d);
        // "Downloading" = past what stream buffers hold when nobody reads: an opened,
        // unread stream stalls long before 512 KiB; a spooling one does not.
        let passed = 0;
        let counted = false;
        const throttle = new Transform({
          transform(chunk: Buffer, _e, done) {
            passed += chunk.length;
            if (!counted && passed > 512 * 1024) {
              counted = true;
              peak = Math.max(peak, ++active);
            }
            setTimeout(() => done(null, chunk), Math.ceil(chunk.length / 16_000));
          },
          flush(done) {
            if (counted) active--;
            done();
          },
        });
        return inner.pipe(throttle);
      },
    };
    const spoolDir = join(dir, 'spool');
    const spooled = join(dir, 'spooled.tar');
    await writeBundle(slow, slowRoots, { output: spooled, key: packer.priv, spec: {}, epoch: EPOCH, spoolDir });
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(await readdir(spoolDir)).toEqual([]);
    peak = 0;
    const plain = join(dir, 'plain.tar');
    await writeBundle(slowStaging, slowRoots, { output: plain, key: packer.priv, spec: {}, epoch: EPOCH });
    expect((await readFile(spooled)).equals(await readFile(plain))).toBe(true);
  });
});
