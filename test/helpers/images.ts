/**
 * Synthetic images built in code, for tests: seeded layer bytes, OCI and Docker schema2
 * manifests, multi-arch indexes, Helm chart artifacts, and a call-counting target wrapper.
 * Layer bytes are arbitrary (not real gzip): a copy never looks inside a layer.
 */
import { digestFromHex, type Digest } from '../../src/oci/digest.js';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DestinationTarget, Target } from '../../src/content/target.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { Descriptor, Platform } from '../../src/oci/schemas.js';

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface Built {
  /** The manifest or index bytes, exactly as pushed. */
  manifest: Buffer;
  /** Its descriptor (with `platform` for an image, so it can go straight into an index). */
  descriptor: Descriptor;
  /** Every config and layer below it, by digest (shared layers appear once). */
  blobs: Map<string, Blob>;
  /** For an index: the images it lists, in order. */
  manifests: Built[];
}

export function sha256(bytes: Uint8Array): Digest {
  return digestFromHex(createHash('sha256').update(bytes).digest('hex'));
}

/** `size` pseudo-random bytes, the same for the same seed (sha256 in counter mode). */
export function makeBlob(seed: string | number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let offset = 0;
  for (let counter = 0; offset < size; counter++) {
    const block = createHash('sha256').update(`${seed}:${counter}`).digest();
    offset += block.copy(out, offset);
  }
  return out;
}

export function descriptorOf(bytes: Uint8Array, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType, digest: sha256(bytes), size: bytes.length, ...extra };
}

export interface ImageSpec {
  /** Layer contents; pass the same Buffer to two images to share a layer. */
  layers: Buffer[];
  /** Default linux/amd64. */
  platform?: Platform;
  /** Docker schema2 media types instead of OCI. */
  docker?: boolean;
  /** Goes into the config, so two images with equal layers still differ. */
  label?: string;
  annotations?: Record<string, string>;
}

export function makeImage(spec: ImageSpec): Built {
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const docker = spec.docker ?? false;
  const layerType = docker ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip;
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Labels: { 'test.label': spec.label ?? '' } },
      rootfs: { type: 'layers', diff_ids: spec.layers.map(sha256) },
      created: '2024-01-01T00:00:00Z',
    }),
  );
  const config = descriptorOf(configBytes, docker ? MediaType.DockerConfig : MediaType.OciConfig);
  const layers = spec.layers.map((bytes) => ({ descriptor: descriptorOf(bytes, layerType), bytes }));
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.DockerManifest : MediaType.OciManifest,
    config,
    layers: layers.map((l) => l.descriptor),
  };
  if (spec.annotations) doc.annotations = spec.annotations;
  const manifest = Buffer.from(JSON.stringify(doc, null, 2));
  const blobs = new Map<string, Blob>();
  blobs.set(config.digest, { descriptor: config, bytes: configBytes });
  for (const layer of layers) blobs.set(layer.descriptor.digest, layer);
  return {
    manifest,
    descriptor: descriptorOf(manifest, doc.mediaType as string, { platform }),
    blobs,
    manifests: [],
  };
}

export interface IndexSpec {
  /** Docker manifest list media type instead of OCI index. */
  docker?: boolean;
  annotations?: Record<string, string>;
  /** Extra raw entries appended to `manifests` (e.g. attestation entries). */
  extraEntries?: (built: Built[]) => Descriptor[];
}

export function makeIndex(images: Built[], spec: IndexSpec = {}): Built {
  const mediaType = spec.docker ? MediaType.DockerManifestList : MediaType.OciIndex;
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    manifests: [...images.map((i) => i.descriptor), ...(spec.extraEntries?.(images) ?? [])],
  };
  if (spec.annotations) doc.annotations = spec.annotations;
  const manifest = Buffer.from(JSON.stringify(doc, null, 2));
  const blobs = new Map<string, Blob>();
  for (const image of images) for (const [digest, blob] of image.blobs) blobs.set(digest, blob);
  return { manifest, descriptor: descriptorOf(manifest, mediaType), blobs, manifests: images };
}

/** The usual test subject: amd64 + arm64 sharing a base layer. */
export function makeMultiArch(seed = 'multi', options: { docker?: boolean; layerSize?: number } = {}): Built {
  const size = options.layerSize ?? 4096;
  const base = makeBlob(`${seed}-base`, size);
  const amd64 = makeImage({ layers: [base, makeBlob(`${seed}-amd64`, size)], platform: { os: 'linux', architecture: 'amd64' }, docker: options.docker, label: seed });
  const arm64 = makeImage({
    layers: [base, makeBlob(`${seed}-arm64`, size)],
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    docker: options.docker,
    label: seed,
  });
  return makeIndex([amd64, arm64], { docker: options.docker, annotations: { 'org.opencontainers.image.source': `https://example.com/${seed}` } });
}

/** A Helm chart stored as an OCI artifact, as `helm push` writes it. */
export function makeChart(name: string, version: string): Built {
  const configBytes = Buffer.from(JSON.stringify({ apiVersion: 'v2', name, version, type: 'application' }));
  const config = descriptorOf(configBytes, MediaType.HelmConfig);
  const chartBytes = makeBlob(`chart-${name}-${version}`, 2048);
  const layer = descriptorOf(chartBytes, MediaType.HelmChart);
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config,
    layers: [layer],
    annotations: { 'org.opencontainers.image.title': name, 'org.opencontainers.image.version': version },
  };
  const manifest = Buffer.from(JSON.stringify(doc));
  const blobs = new Map<string, Blob>([
    [config.digest, { descriptor: config, bytes: configBytes }],
    [layer.digest, { descriptor: layer, bytes: chartBytes }],
  ]);
  return { manifest, descriptor: descriptorOf(manifest, MediaType.OciManifest), blobs, manifests: [] };
}

/** Every manifest of a built tree, children before parents. */
export function allManifests(built: Built): { descriptor: Descriptor; bytes: Buffer }[] {
  return [...built.manifests.flatMap(allManifests), { descriptor: built.descriptor, bytes: built.manifest }];
}

/** Pushes a built image (blobs, then child manifests, then the root) and names it `name`. */
export async function writeToTarget(target: DestinationTarget, built: Built, name?: string): Promise<Descriptor> {
  for (const blob of built.blobs.values()) {
    if (!(await target.exists(blob.descriptor))) await target.push(blob.descriptor, Readable.from([blob.bytes]));
  }
  for (const m of allManifests(built)) {
    const desc = { mediaType: m.descriptor.mediaType, digest: m.descriptor.digest, size: m.descriptor.size };
    if (!(await target.exists(desc))) await target.push(desc, Readable.from([m.bytes]));
  }
  const root = { mediaType: built.descriptor.mediaType, digest: built.descriptor.digest, size: built.descriptor.size };
  if (name !== undefined) await target.tag(built.descriptor, name);
  return root;
}

type Op = 'resolve' | 'fetch' | 'exists' | 'push' | 'pushed' | 'mount' | 'tag';

export interface Counts {
  /** Calls per operation per digest (`pushed` counts pushes that completed). */
  get(op: Op, digest: string): number;
  total(op: Op): number;
  /** Digests with more than one call of `op`. */
  repeated(op: Op): string[];
  digests(op: Op): string[];
}

export interface CountingOptions {
  /** Called before each push with the 1-based push number; throw to make that push fail. */
  beforePush?: (desc: Descriptor, nth: number) => void | Promise<void>;
  /** Delay (ms) before each fetch resolves, so concurrent copies really overlap. */
  fetchDelay?: number;
  /** Answers mount(); omit to leave the wrapper without the capability. */
  mount?: (desc: Descriptor) => Promise<boolean>;
  /** Shares counts across wrappers (e.g. a first run and its re-run). */
  counts?: CountsStore;
}

export type CountsStore = Map<string, number>;

/** Wraps a target and counts every call per digest: the copy's dedupe and skip rules are measured with it. */
export function countingTarget(inner: Target, options: CountingOptions = {}): Target & { counts: Counts } {
  const store: CountsStore = options.counts ?? new Map();
  const bump = (op: Op, key: string): void => void store.set(`${op} ${key}`, (store.get(`${op} ${key}`) ?? 0) + 1);
  const counts: Counts = {
    get: (op, digest) => store.get(`${op} ${digest}`) ?? 0,
    total: (op) => [...store].filter(([k]) => k.startsWith(`${op} `)).reduce((n, [, v]) => n + v, 0),
    repeated: (op) => [...store].filter(([k, v]) => k.startsWith(`${op} `) && v > 1).map(([k]) => k.slice(op.length + 1)),
    digests: (op) => [...store].filter(([k]) => k.startsWith(`${op} `)).map(([k]) => k.slice(op.length + 1)),
  };
  let pushes = 0;
  const wrapper: Target & { counts: Counts } = {
    name: inner.name,
    counts,
    async resolve(reference) {
      bump('resolve', reference);
      return inner.resolve(reference);
    },
    async fetch(desc) {
      bump('fetch', desc.digest);
      if (options.fetchDelay) await new Promise((r) => setTimeout(r, options.fetchDelay));
      return inner.fetch(desc);
    },
    async exists(desc) {
      bump('exists', desc.digest);
      return inner.exists(desc);
    },
    async push(desc, content) {
      bump('push', desc.digest);
      pushes++;
      try {
        await options.beforePush?.(desc, pushes);
      } catch (err) {
        content.destroy();
        throw err;
      }
      await inner.push(desc, content);
      bump('pushed', desc.digest);
    },
    async tag(desc, reference) {
      bump('tag', reference);
      return inner.tag(desc, reference);
    },
  };
  if (options.mount) {
    const mount = options.mount;
    wrapper.mount = async (desc) => {
      bump('mount', desc.digest);
      return mount(desc);
    };
  }
  return wrapper;
}
