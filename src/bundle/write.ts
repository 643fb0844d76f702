import { Readable } from 'node:stream';
import { TarWriter, openBundleSink } from '../archive/index.js';
import { digestHex, sha256Digest } from '../content/digest.js';
import type { SourceTarget } from '../content/target.js';
import { verified } from '../content/verify.js';
import { AirlockError } from '../errors.js';
import type { Descriptor } from '../oci/schemas.js';
import { signPayload, type PrivateKey } from '../sign/index.js';
import { VERSION } from '../version.js';
import { canonicalJson } from './canonical.js';
import { walkGraph } from './graph.js';
import { bundleIndexBytes } from './index-json.js';
import {
  BUNDLE_FORMAT,
  BundleManifestSchema,
  MANIFEST_FILE,
  SIGNATURE_FILE,
  type Artifact,
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
  /** Called after each blob is written, with bytes written so far and in all. */
  onProgress?: (written: number, total: number) => void;
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

  const sortedBlobs = [...blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  const blobFiles = sortedBlobs.map((b) => ({ path: `blobs/sha256/${digestHex(b.digest)}`, size: b.size, sha256: digestHex(b.digest) }));
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
  } satisfies BundleManifest);
  const manifestBytes = Buffer.from(canonicalJson(manifest));
  const signatureBytes = options.key ? Buffer.from(canonicalJson(signPayload(manifestBytes, options.key))) : undefined;

  const total = sortedBlobs.reduce((n, b) => n + b.size, 0);
  const ahead = new OpenAhead(staging, sortedBlobs);
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
      const opening = ahead.take(i);
      ahead.openFrom(i + 1);
      const stream: Readable = verified(await opening, blob, `blob ${blob.digest} in ${staging.name}`);
      await tar.addFile(`blobs/sha256/${digestHex(blob.digest)}`, blob.size, stream);
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

/** Blobs opened ahead of the one being written: at most this many, and this many bytes. */
const AHEAD_COUNT = 4;
const AHEAD_BYTES = 32 * 1024 * 1024;

/**
 * Opens the next few blobs while one is written: each request's round trip and the
 * server's start-up overlap the writing (bench set S, 62 blobs of 1–5 MiB from a
 * registry: pack 0.85 s → 0.73 s). An opened stream is not read until its turn, so
 * it holds little more than socket buffers; a registry stream cut while it waits
 * is resumed by its reader like any other cut.
 */
class OpenAhead {
  private readonly opened = new Map<number, Promise<Readable>>();

  constructor(
    private readonly source: SourceTarget,
    private readonly blobs: readonly Descriptor[],
  ) {}

  private open(i: number): Promise<Readable> {
    let p = this.opened.get(i);
    if (p === undefined) {
      p = this.source.fetch(this.blobs[i]!);
      p.catch(() => undefined); // reported when its turn comes
      this.opened.set(i, p);
    }
    return p;
  }

  /** Opens blobs from `first` on, within the count and byte limits (always at least the first). */
  openFrom(first: number): void {
    let bytes = 0;
    for (let i = first; i < this.blobs.length && i < first + AHEAD_COUNT; i++) {
      bytes += this.blobs[i]!.size;
      if (i > first && bytes > AHEAD_BYTES) break;
      this.open(i);
    }
  }

  take(i: number): Promise<Readable> {
    const p = this.open(i);
    this.opened.delete(i);
    return p;
  }

  /** Releases every stream opened and not taken. */
  close(): void {
    for (const p of this.opened.values()) p.then((s) => s.destroy(), () => undefined);
    this.opened.clear();
  }
}
