/**
 * The benchmark's data sets, generated from fixed seeds: the same bytes on every
 * machine, random so that nothing compresses them away, written as one OCI layout
 * per set and then copied into the source registry (seeding is not measured).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sha256Digest } from '../src/content/digest.js';
import { digestFromHex } from '../src/oci/digest.js';
import { verified } from '../src/content/verify.js';
import { copy } from '../src/copy/index.js';
import { openLayout, type LayoutTarget } from '../src/layout/index.js';
import { MediaType } from '../src/oci/media-types.js';
import type { Descriptor, Platform } from '../src/oci/schemas.js';
import type { RegistryPool } from '../src/registry/index.js';

const MiB = 1024 * 1024;

export interface LayerDef {
  seed: string;
  size: number;
}

export interface PlatformDef {
  platform: Platform;
  layers: LayerDef[];
}

export interface ImageDef {
  /** Repository path in the source registry, e.g. `bench/s/app01`. */
  repo: string;
  tag: string;
  /** One entry: a plain image; several: a multi-arch index. */
  platforms: PlatformDef[];
}

export interface DataSet {
  name: string;
  images: ImageDef[];
}

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };

/** xorshift32: layer sizes from a seed, so a set is the same everywhere. */
function sizes(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Set S: 20 images of 3 layers of 1–5 MiB; images 1–10 share 2 base layers. */
export function setS(): DataSet {
  const rnd = sizes(0x5eed5);
  const size = (): number => Math.floor(MiB + rnd() * 4 * MiB);
  const base = [
    { seed: 'S-base-1', size: size() },
    { seed: 'S-base-2', size: size() },
  ];
  const images: ImageDef[] = [];
  for (let i = 1; i <= 20; i++) {
    const id = String(i).padStart(2, '0');
    const own = (n: number): LayerDef => ({ seed: `S-${id}-${n}`, size: size() });
    const layers = i <= 10 ? [...base, own(3)] : [own(1), own(2), own(3)];
    images.push({ repo: `bench/s/app${id}`, tag: '1.0', platforms: [{ platform: AMD64, layers }] });
  }
  return { name: 'S', images };
}

/**
 * Set L: 6 images of one 150 MiB and two 10 MiB layers; the first 2 are multi-arch
 * (amd64 and arm64, each with its own layers). `copy` names a second, disjoint set
 * of the same shape (for "L doubled").
 */
export function setL(copyName = ''): DataSet {
  const images: ImageDef[] = [];
  const tag = copyName === '' ? 'L' : `L${copyName}`;
  for (let i = 1; i <= 6; i++) {
    const layers = (arch: string): LayerDef[] => [
      { seed: `${tag}-${i}-${arch}-big`, size: 150 * MiB },
      { seed: `${tag}-${i}-${arch}-a`, size: 10 * MiB },
      { seed: `${tag}-${i}-${arch}-b`, size: 10 * MiB },
    ];
    const platforms = i <= 2 ? [{ platform: AMD64, layers: layers('amd64') }, { platform: ARM64, layers: layers('arm64') }] : [{ platform: AMD64, layers: layers('amd64') }];
    images.push({ repo: `bench/${tag.toLowerCase()}/big${i}`, tag: '1.0', platforms });
  }
  return { name: tag, images };
}

/** Unique layer bytes of a set. */
export function setBytes(set: DataSet): number {
  const seen = new Map<string, number>();
  for (const image of set.images) for (const p of image.platforms) for (const l of p.layers) seen.set(l.seed, l.size);
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/**
 * `size` incompressible bytes from `seed`: the AES-128-CTR keystream keyed by
 * sha256(seed), which runs at GB/s (sha256 per 32-byte block would be the bottleneck).
 * The first bytes are a gzip member header, so tools that sniff compression see an
 * already-compressed layer and pass it through untouched, as they do real layers.
 */
function* layerBytes(seed: string, size: number): Generator<Buffer> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const zeros = Buffer.alloc(4 * MiB);
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
  let left = size;
  let first = true;
  while (left > 0) {
    const n = Math.min(left, zeros.length);
    const block = cipher.update(zeros.subarray(0, n));
    if (first) header.copy(block, 0, 0, Math.min(header.length, n));
    first = false;
    left -= n;
    yield block;
  }
}

/** Writes one layer into the layout's blobs (hashing as it goes) and returns its descriptor. */
async function writeLayer(layout: LayoutTarget, layer: LayerDef): Promise<Descriptor> {
  const temp = join(layout.dir, `.gen-${layer.seed}`);
  const hash = createHash('sha256');
  const handle = await open(temp, 'w');
  try {
    for (const chunk of layerBytes(layer.seed, layer.size)) {
      hash.update(chunk);
      await handle.write(chunk);
    }
  } finally {
    await handle.close();
  }
  const digest = digestFromHex(hash.digest('hex'));
  await rename(temp, layout.blobPath(digest));
  return { mediaType: MediaType.OciLayerGzip, digest, size: layer.size };
}

async function putBytes(layout: LayoutTarget, mediaType: string, bytes: Buffer, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
  const desc: Descriptor = { mediaType, digest: sha256Digest(bytes), size: bytes.length, ...extra };
  if (!(await layout.exists(desc))) await layout.push(desc, verified(Readable.from([bytes]), desc, 'generated'));
  return desc;
}

/**
 * Writes the set as an OCI layout in `dir`, one index.json entry per image named
 * `REPO:TAG`. Layers shared between images (same seed) are written once.
 */
export async function writeSet(set: DataSet, dir: string): Promise<LayoutTarget> {
  const layout = await openLayout(dir, { create: true });
  const layers = new Map<string, Descriptor>();
  for (const image of set.images) {
    const manifests: Descriptor[] = [];
    for (const p of image.platforms) {
      const descs: Descriptor[] = [];
      for (const l of p.layers) {
        let d = layers.get(l.seed);
        if (d === undefined) {
          d = await writeLayer(layout, l);
          layers.set(l.seed, d);
        }
        descs.push(d);
      }
      const config = Buffer.from(
        JSON.stringify({
          architecture: p.platform.architecture,
          os: p.platform.os,
          ...(p.platform.variant !== undefined ? { variant: p.platform.variant } : {}),
          config: { Labels: { 'org.opencontainers.image.title': image.repo } },
          rootfs: { type: 'layers', diff_ids: descs.map((d) => d.digest) },
          created: '2024-01-01T00:00:00Z',
        }),
      );
      const configDesc = await putBytes(layout, MediaType.OciConfig, config);
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers: descs }));
      manifests.push(await putBytes(layout, MediaType.OciManifest, manifest, image.platforms.length > 1 ? { platform: p.platform } : {}));
    }
    const root =
      manifests.length === 1
        ? manifests[0]!
        : await putBytes(layout, MediaType.OciIndex, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests })));
    await layout.tag({ mediaType: root.mediaType, digest: root.digest, size: root.size }, `${image.repo}:${image.tag}`);
  }
  return layout;
}

/** Copies every image of the set from its layout into the registry at `host`; returns each root digest by `REPO:TAG`. */
export async function seedSet(set: DataSet, layout: LayoutTarget, host: string, pool: RegistryPool): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const image of set.images) {
    const name = `${image.repo}:${image.tag}`;
    const result = await copy(layout, name, pool.repository({ registry: host, repository: image.repo }), { tags: [image.tag], concurrency: 4 });
    digests.set(name, result.root.digest);
  }
  return digests;
}
