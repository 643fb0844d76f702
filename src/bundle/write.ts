import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TarWriter, openBundleSink } from '../archive/index.js';
import { digestHex, sha256Digest } from '../content/digest.js';
import type { SourceTarget } from '../content/target.js';
import { verified } from '../content/verify.js';
import { AirlockError } from '../errors.js';
import type { Descriptor } from '../oci/schemas.js';
import { signPayload, type PrivateKey } from '../sign/index.js';
import { VERSION } from '../version.js';
import { writeStreamAtomic } from '../layout/atomic.js';
import { canonicalJson } from './canonical.js';
import { walkGraph } from './graph.js';
import { bundleIndexBytes } from './index-json.js';
import {
  BUNDLE_FORMAT,
  BundleManifestSchema,
  MANIFEST_FILE,
  SIGNATURE_FILE,
  type Artifact,
  type BaseRef,
  type Attached,
  type BundleManifest,
  type FileEntry,
} from './manifest.js';

/** One root to carry: an image or a chart already present in the staging target. */
export interface BundleRoot {
  kind: Artifact['kind'];
  source: string;
  /** Its `org.opencontainers.image.ref.name` in index.json. */
  name: string;
  root: Descriptor;
  chart?: { name: string; version: string };
}

export interface WriteBundleOptions {
  output: string;
  splitSize?: number;
  /** Absent only when the user said --no-sign. */
  key?: PrivateKey;
  spec: Record<string, unknown>;
  /** Seconds since the epoch: entry mtimes and the manifest's `created`. */
  epoch: number;
  /**
   * A folder for blobs downloaded ahead of their turn (pack from registries). Without
   * it, blobs are only opened ahead (reading from a local layout needs no more).
   */
  spoolDir?: string;
  /** Called after each blob is written, with bytes written so far and in all. */
  onProgress?: (written: number, total: number) => void;
  /** Delta bundles (pack --base): the bases named in airlock.json, and which one holds a blob left out. */
  delta?: { bases: BaseRef[]; baseOf: (d: Descriptor) => string | undefined };
  /** Signatures, attestations and SBOMs attached to the images: their graphs are carried too. */
  attached?: readonly Attached[];
}

export interface WrittenBundle {
  manifest: BundleManifest;
  manifestBytes: Buffer;
  /** The files written: the bundle, or its parts. */
  files: string[];
  /** Bytes of the tar (all parts). */
  bytes: number;
}

export const LAYOUT_BYTES = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

/**
 * Writes the bundle tarball from a staging target that holds every root's content.
 * The manifest is built from descriptors alone (a blob's sha256 is its name), so it
 * and its signature go first, and each blob then streams from staging into the tar
 * once, verified again on the way (a --cache folder may have been touched since).
 */
export async function writeBundle(staging: SourceTarget, roots: readonly BundleRoot[], options: WriteBundleOptions): Promise<WrittenBundle> {
  const names = new Map<string, string>();
  for (const r of roots) {
    const earlier = names.get(r.name);
    if (earlier !== undefined && earlier !== r.root.digest) {
      throw new AirlockError('USAGE', `two different artifacts would both be named ${r.name} in the bundle`, {
        hint: 'list each image or chart once',
      });
    }
    names.set(r.name, r.root.digest);
  }

  const blobs = new Map<string, Descriptor>();
  const artifacts: Artifact[] = [];
  for (const r of [...roots].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (artifacts.some((a) => a.name === r.name)) continue;
    const graph = await walkGraph(staging, r.root, r.source);
    for (const node of graph.nodes.values()) blobs.set(node.digest, node);
    const artifact: Artifact = {
      kind: r.kind,
      source: r.source,
      name: r.name,
      digest: r.root.digest,
      mediaType: r.root.mediaType,
      platforms: graph.platforms,
      size: graph.size,
    };
    if (r.chart) artifact.chart = r.chart;
    artifacts.push(artifact);
  }

  const attached = await attachedGraphs(staging, options.attached ?? [], blobs);

  const allBlobs = [...blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  // A delta lists every blob, marking those a base holds; only the others are written.
  const inBase = new Map(allBlobs.map((b) => [b.digest, options.delta?.baseOf(b)] as const));
  const sortedBlobs = allBlobs.filter((b) => inBase.get(b.digest) === undefined);
  const blobFiles: FileEntry[] = allBlobs.map((b) => {
    const base = inBase.get(b.digest);
    return { path: `blobs/sha256/${digestHex(b.digest)}`, size: b.size, sha256: digestHex(b.digest), ...(base !== undefined ? { base: base as Descriptor['digest'] } : {}) };
  });
  const indexBytes = bundleIndexBytes(artifacts, blobFiles);
  const files: FileEntry[] = [
    { path: 'oci-layout', size: LAYOUT_BYTES.length, sha256: digestHex(sha256Digest(LAYOUT_BYTES)) },
    { path: 'index.json', size: indexBytes.length, sha256: digestHex(sha256Digest(indexBytes)) },
    ...blobFiles,
  ];
  const manifest = BundleManifestSchema.parse({
    format: BUNDLE_FORMAT,
    tool: { name: 'airlock', version: VERSION },
    created: new Date(options.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'),
    spec: options.spec,
    artifacts,
    files,
    ...(options.delta !== undefined ? { bases: options.delta.bases } : {}),
    ...(attached.length > 0 ? { attached } : {}),
  } satisfies BundleManifest);
  const manifestBytes = Buffer.from(canonicalJson(manifest));
  const signatureBytes = options.key ? Buffer.from(canonicalJson(signPayload(manifestBytes, options.key))) : undefined;

  const total = sortedBlobs.reduce((n, b) => n + b.size, 0);
  if (options.spoolDir !== undefined) await mkdir(options.spoolDir, { recursive: true });
  const ahead = new Prefetch(staging, sortedBlobs, options.spoolDir);
  const sink = openBundleSink(options.output, options.splitSize === undefined ? {} : { splitSize: options.splitSize });
  const tar = new TarWriter(sink, { mtime: options.epoch });
  try {
    await tar.addFile(MANIFEST_FILE, manifestBytes.length, manifestBytes);
    if (signatureBytes) await tar.addFile(SIGNATURE_FILE, signatureBytes.length, signatureBytes);
    await tar.addFile('oci-layout', LAYOUT_BYTES.length, LAYOUT_BYTES);
    await tar.addFile('index.json', indexBytes.length, indexBytes);
    let written = 0;
    for (let i = 0; i < sortedBlobs.length; i++) {
      const blob = sortedBlobs[i]!;
      const began = Date.now();
      const opening = ahead.take(i);
      ahead.fill(i);
      const stream: Readable = verified(await opening, blob, `blob ${blob.digest} in ${staging.name}`);
      await tar.addFile(`blobs/sha256/${digestHex(blob.digest)}`, blob.size, stream);
      ahead.observe(blob.size, Date.now() - began);
      written += blob.size;
      options.onProgress?.(written, total);
    }
    await tar.finish();
    const written_files = await sink.commit();
    return { manifest, manifestBytes, files: written_files, bytes: tar.position };
  } catch (err) {
    ahead.close();
    sink.destroy();
    await sink.abort();
    throw err;
  }
}

/** Adds every attached artifact's graph to `blobs`; returns them deduplicated, in a stable order. */
async function attachedGraphs(staging: SourceTarget, attached: readonly Attached[], blobs: Map<string, Descriptor>): Promise<Attached[]> {
  const seen = new Map<string, Attached>();
  for (const a of attached) seen.set(`${a.image} ${a.subject} ${a.digest} ${a.tag ?? ''}`, a);
  const sorted = [...seen.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, a]) => a);
  for (const a of sorted) {
    const graph = await walkGraph(staging, { mediaType: a.mediaType, digest: a.digest, size: a.size } as Descriptor, `${a.image} ${a.kind}`);
    for (const node of graph.nodes.values()) blobs.set(node.digest, node);
  }
  return sorted;
}

/** Blobs fetched ahead of the one being written: at most this many, and this many bytes. */
const AHEAD_COUNT = 4;
const AHEAD_BYTES = 32 * 1024 * 1024;
/** With a spool folder, downloads run this far ahead (on disk, not in memory). */
const SPOOL_COUNT = 4;
const SPOOL_BYTES = 1024 * 1024 * 1024;
/**
 * Spooling writes a blob twice, so it pays only when the head of the tar waits on
 * the network: it is switched on while blobs arrive slower than this, off above it
 * (on loopback it never starts: bench L pack went 3.7 s -> 7.8 s when it always did).
 */
const SPOOL_BELOW_BYTES_PER_SECOND = 64 * 1024 * 1024;
/** Blobs smaller than this say little about throughput (round trips dominate). */
const MEASURE_FROM_BYTES = 1024 * 1024;

type Ahead = { kind: 'open'; stream: Promise<Readable> } | { kind: 'spool'; path: Promise<string> };

/**
 * Fetches the next few blobs while one is written, so their round trips (and,
 * with a spool folder, their downloads) overlap the writing. Without a spool, an
 * opened stream waits unread until its turn and holds little more than socket
 * buffers (bench set S, 62 blobs from a registry: pack 0.85 s -> 0.73 s). With a
 * spool, the blobs ahead download in parallel into files there (each verified on
 * the way in and again on the way out), while the blob at the head of the tar streams
 * straight through: a far registry's per-connection speed no longer caps the pack.
 */
class Prefetch {
  private readonly ahead = new Map<number, Ahead>();
  /** Whether blobs ahead are downloaded into the spool now (see SPOOL_BELOW_BYTES_PER_SECOND). */
  private spooling = false;

  constructor(
    private readonly source: SourceTarget,
    private readonly blobs: readonly Descriptor[],
    private readonly spoolDir: string | undefined,
  ) {}

  private start(i: number): void {
    if (this.ahead.has(i)) return;
    const blob = this.blobs[i]!;
    if (this.spoolDir === undefined || !this.spooling) {
      const stream = this.source.fetch(blob);
      stream.catch(() => undefined); // reported when its turn comes
      this.ahead.set(i, { kind: 'open', stream });
      return;
    }
    const target = join(this.spoolDir, digestHex(blob.digest));
    const path = (async () => {
      await writeStreamAtomic(target, verified(await this.source.fetch(blob), blob, `blob ${blob.digest} from ${this.source.name}`), 'spool');
      return target;
    })();
    path.catch(() => undefined); // reported when its turn comes
    this.ahead.set(i, { kind: 'spool', path });
  }

  /** How long the last blob took from its turn to its last byte written: turns spooling on or off. */
  observe(size: number, ms: number): void {
    if (this.spoolDir === undefined || size < MEASURE_FROM_BYTES) return;
    this.spooling = size / Math.max(ms / 1000, 0.001) < SPOOL_BELOW_BYTES_PER_SECOND;
  }

  /** Starts fetching blobs after `current`, within the count and byte limits. */
  fill(current: number): void {
    const [count, limit] = this.spooling ? [SPOOL_COUNT, SPOOL_BYTES] : [AHEAD_COUNT, AHEAD_BYTES];
    let bytes = 0;
    for (let i = current + 1; i < this.blobs.length && i <= current + count; i++) {
      bytes += this.blobs[i]!.size;
      if (i > current + 1 && bytes > limit) break;
      this.start(i);
    }
  }

  /** The content of blob `i`: from its spool file (removed once read), an opened stream, or fetched now. */
  async take(i: number): Promise<Readable> {
    const got = this.ahead.get(i);
    this.ahead.delete(i);
    if (got === undefined) return this.source.fetch(this.blobs[i]!);
    if (got.kind === 'open') return got.stream;
    const path = await got.path;
    const stream = createReadStream(path);
    stream.on('close', () => void rm(path, { force: true }));
    return stream;
  }

  /** Releases every stream opened and not taken; spool files go with the spool folder. */
  close(): void {
    for (const a of this.ahead.values()) if (a.kind === 'open') a.stream.then((s) => s.destroy(), () => undefined);
    this.ahead.clear();
  }
}
