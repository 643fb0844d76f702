import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import type { DestinationTarget, SourceTarget } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readCapped, verified } from '../content/verify.js';
import { createCopier, type CopyEvent } from '../copy/index.js';
import { AirlockError } from '../errors.js';
import { chartArtifact } from '../chart/chart.js';
import { downloadChart, resolveRepoChart } from '../chart/repo.js';
import type { UrlFetcher } from '../registry/url.js';
import { openLayout, type LayoutTarget } from '../layout/index.js';
import { MediaType, isManifestType } from '../oci/media-types.js';
import { parsePlatform } from '../oci/platform.js';
import type { Descriptor } from '../oci/schemas.js';
import { chartTag, chartVersionOfTag, formatImageRef, manifestReference, parseChartRef, parseImageRef, recordedChartRef, type ImageRef } from '../ref/index.js';
import type { PrivateKey } from '../sign/index.js';
import { baseOmitter, type LoadedBase } from './base.js';
import { walkGraph } from './graph.js';
import { tagList, type AttachedOptions } from './attached.js';
import { attachedRoot, carryAttached } from './attached-pack.js';
import { checkImageSignatures, type ImageSignaturePolicy } from './image-signatures.js';
import type { Attached } from './manifest.js';
import { readVerified } from '../content/verify.js';
import type { PackSpec } from './spec.js';
import { writeBundle, type BundleRoot, type WrittenBundle } from './write.js';

export type PackEvent =
  | { type: 'copy'; event: CopyEvent }
  | { type: 'artifact'; kind: 'image' | 'chart'; source: string; digest: string }
  | { type: 'write'; written: number; total: number }
  | { type: 'warning'; message: string };

export interface PackOptions {
  output: string;
  /** Absent only with an explicit --no-sign. */
  key?: PrivateKey;
  splitSize?: number;
  /** A folder kept between runs, so a second pack of the same content downloads nothing. */
  cache?: string;
  concurrency?: number;
  /** Opens a registry repository for reading; the CLI binds credentials and TLS options. */
  openRepository: (ref: ImageRef) => SourceTarget;
  /** Fetches chart repository files (index.yaml, .tgz). */
  fetchUrl: UrlFetcher;
  /** Seconds since the epoch for entry mtimes and `created` (SOURCE_DATE_EPOCH). */
  epoch: number;
  onEvent?: (event: PackEvent) => void;
  signal?: AbortSignal;
  /** pack --base: blobs these hold are left out of the bundle (see base.ts). */
  bases?: readonly LoadedBase[];
  /** Signatures, attestations, SBOMs attached to images: carried unless `false` (--no-referrers). */
  attached?: false | Omit<AttachedOptions, 'onWarning'>;
  /** `--image-key`, `--require-image-signatures`: cosign signatures checked before anything is written. */
  imageSignatures?: ImageSignaturePolicy;
}

export interface PackResult extends WrittenBundle {
  roots: BundleRoot[];
}

/** A pushed blob from a local file or bytes, through the one verifying reader. */
async function stage(layout: LayoutTarget, desc: Descriptor, content: Buffer | string): Promise<void> {
  if (await layout.exists(desc)) return;
  const source = typeof content === 'string' ? createReadStream(content) : Readable.from([content]);
  await layout.push(desc, verified(source, desc, `${desc.digest} (${typeof content === 'string' ? content : 'generated'})`));
}

/** Blobs that walkGraph reads (an image's config, for its platform): kept with the manifests. */
const GRAPH_BLOB_TYPES: readonly string[] = [MediaType.OciConfig, MediaType.DockerConfig];

/**
 * The direct mode's record of the graphs: manifests and image configs, in memory
 * (each at most MANIFEST_SIZE_LIMIT bytes, as everywhere), as a copy destination
 * that reports every other blob present. The copy then walks and stores the graphs
 * without downloading a layer, and writeBundle streams each layer from its registry
 * straight into the tarball: one download, one verification, one disk write.
 */
class GraphStore implements DestinationTarget {
  readonly name = 'the bundle plan';
  private readonly held = new Map<string, Buffer>();

  private keeps(d: Descriptor): boolean {
    return isManifestType(d.mediaType) || (GRAPH_BLOB_TYPES.includes(d.mediaType) && d.size <= MANIFEST_SIZE_LIMIT);
  }

  async exists(d: Descriptor): Promise<boolean> {
    return this.keeps(d) ? this.held.has(d.digest) : true;
  }

  async push(d: Descriptor, content: Readable): Promise<void> {
    // `content` is the copy's verifier: it ends only if these are the descriptor's bytes.
    this.held.set(d.digest, await readCapped(content, MANIFEST_SIZE_LIMIT, `manifest ${d.digest}`));
  }

  async tag(): Promise<void> {
    // Names go into index.json from the roots; the store needs none.
  }

  get(digest: string): Buffer | undefined {
    return this.held.get(digest);
  }
}

/**
 * What writeBundle reads from in the direct mode: manifests and configs from the
 * graph store, charts from the staging layout, every other blob from the registry
 * repository whose image lists it. writeBundle verifies every stream.
 */
class DirectSource implements SourceTarget {
  readonly name = 'the source registries';

  constructor(
    private readonly graphs: GraphStore,
    private readonly staging: LayoutTarget,
    private readonly homes: Map<string, SourceTarget>,
  ) {}

  resolve(reference: string): Promise<Descriptor> {
    return this.staging.resolve(reference);
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    const held = this.graphs.get(desc.digest);
    if (held !== undefined) return Readable.from([held]);
    const home = this.homes.get(desc.digest);
    return home === undefined ? this.staging.fetch(desc) : home.fetch(desc);
  }
}

/**
 * The connected half. By default it copies manifests and image configs into a
 * hidden staging folder beside the output, then writes the signed bundle tarball,
 * streaming each layer from its registry straight into it. With --cache every
 * blob is first downloaded into the cache folder and the tarball written from
 * there: a second pack of the same content downloads nothing, and an interrupted
 * pack continues where it stopped (the direct mode starts its download over).
 */
export async function pack(spec: PackSpec, options: PackOptions): Promise<PackResult> {
  const platforms = spec.platforms.map(parsePlatform);
  const images = new Map<string, ImageRef>();
  for (const text of spec.images) {
    const ref = parseImageRef(text);
    images.set(formatImageRef(ref), ref);
  }
  // Parsed from the ref as typed; recorded (airlock.json, events) with a local file by its name only.
  const charts = spec.charts.map((c) => ({ source: parseChartRef(c.ref, c.version), given: { ...c, ref: recordedChartRef(c.ref) } }));
  if (images.size === 0 && charts.length === 0) {
    throw new AirlockError('USAGE', 'nothing to pack', { hint: 'give --image, --images FILE, --chart, or a --spec that lists some' });
  }

  const stagingDir = options.cache ?? join(dirname(options.output), `.${basename(options.output)}.staging`);
  await mkdir(stagingDir, { recursive: true });
  try {
    return await packVia(stagingDir, images, charts, platforms, spec, options);
  } finally {
    // Without --cache the staging folder holds only charts and is never reused: no litter, even on failure.
    if (options.cache === undefined) await rm(stagingDir, { recursive: true, force: true });
  }
}

async function packVia(
  stagingDir: string,
  images: Map<string, ImageRef>,
  charts: { given: PackSpec['charts'][number]; source: ReturnType<typeof parseChartRef> }[],
  platforms: ReturnType<typeof parsePlatform>[],
  spec: PackSpec,
  options: PackOptions,
): Promise<PackResult> {
  // A --cache folder keeps a blob cut off midway: the next pack fetches only the rest.
  const staging = await openLayout(stagingDir, { create: true, keepPartial: options.cache !== undefined });
  const graphs = options.cache === undefined ? new GraphStore() : undefined;
  /** Where each copied root came from: its layers are read from there in the direct mode. */
  const origins = new Map<string, SourceTarget>();
  let attached: Attached[] = [];
  const apiByHost = new Map<string, Promise<boolean>>();
  const copier = createCopier(graphs ?? staging, {
    ...(platforms.length > 0 ? { platforms } : {}),
    concurrency: options.concurrency ?? 8,
    onEvent: (event) => options.onEvent?.({ type: 'copy', event }),
    ...(options.signal ? { signal: options.signal } : {}),
  });

  const imageRoots = [...images.entries()].map(async ([name, ref]): Promise<BundleRoot> => {
    const repository = options.openRepository(ref);
    // The tag list (cosign tags, fallback indexes) is asked for while the image copies: one round trip less in line.
    const tags = options.attached !== false ? tagList(repository) : undefined;
    tags?.catch(() => undefined);
    const result = await copier.copy(repository, manifestReference(ref));
    origins.set(result.root.digest, repository);
    if (ref.digest !== undefined && result.root.digest !== ref.digest) {
      throw new AirlockError('USAGE', `${name} is pinned by digest, but --platform would rebuild its index as ${result.root.digest}`, {
        hint: 'drop --platform to carry the pinned index whole, or pin the per-platform manifest digest instead',
      });
    }
    if (options.attached !== false) {
      // Attached artifacts: discovered on the image as carried (a --platform index lists only the platforms kept).
      const held = graphs?.get(result.root.digest) ?? (await readVerified(await staging.fetch(result.root), result.root, name));
      const onWarning = (message: string) => options.onEvent?.({ type: 'warning', message });
      attached.push(...(await carryAttached(repository, name, result.root, held, copier, origins, { ...options.attached, onWarning, apiByHost, ...(tags ? { tags } : {}) })));
    }
    options.onEvent?.({ type: 'artifact', kind: 'image', source: name, digest: result.root.digest });
    return { kind: 'image', source: name, name, root: result.root };
  });

  const chartRoots = charts.map(async ({ given, source }): Promise<BundleRoot> => {
    if (source.kind === 'oci') {
      const repository = options.openRepository(source.ref);
      const result = await copier.copy(repository, manifestReference(source.ref));
      origins.set(result.root.digest, repository);
      const name = formatImageRef(source.ref);
      // Recorded as a SemVer version (`1.2.3+build.7`), as repository and local charts are, not as its tag.
      const version = source.ref.tag !== undefined ? chartVersionOfTag(source.ref.tag) : (source.ref.digest ?? '');
      options.onEvent?.({ type: 'artifact', kind: 'chart', source: `oci://${name}`, digest: result.root.digest });
      return { kind: 'chart', source: `oci://${name}`, name, root: result.root, chart: { name: source.name, version } };
    }
    let tgz: string;
    let named: string;
    if (source.kind === 'repo') {
      const found = await resolveRepoChart(source.repoUrl, source.name, given.version, options.fetchUrl);
      await mkdir(join(stagingDir, 'charts'), { recursive: true });
      tgz = await downloadChart(found, join(stagingDir, 'charts'), options.fetchUrl);
      const url = new URL(source.repoUrl);
      // The chart's place in the registry mirrors its repository URL: host, path, name.
      named = `${url.host}${url.pathname}${source.name}`.replace(/\/+/g, '/').toLowerCase();
    } else {
      tgz = source.path;
      named = '';
    }
    const artifact = await chartArtifact(tgz);
    if (given.version !== undefined && artifact.metadata.version !== given.version.replace(/^v/, '')) {
      throw new AirlockError('USAGE', `${given.ref} holds chart version ${artifact.metadata.version}, not ${given.version}`, {
        hint: 'fix --chart-version or pick the right file',
      });
    }
    const name = `${named || `charts/${artifact.metadata.name}`}:${chartTag(artifact.metadata.version)}`;
    await stage(staging, artifact.config.descriptor, artifact.config.bytes);
    await stage(staging, artifact.layer.descriptor, artifact.layer.path);
    await stage(staging, artifact.manifest.descriptor, artifact.manifest.bytes);
    options.onEvent?.({ type: 'artifact', kind: 'chart', source: given.ref, digest: artifact.manifest.descriptor.digest });
    return {
      kind: 'chart',
      source: source.kind === 'repo' ? `${source.repoUrl}${source.name}` : given.ref,
      name,
      root: artifact.manifest.descriptor,
      chart: { name: artifact.metadata.name, version: artifact.metadata.version },
    };
  });

  // Start everything, then wait for all: the first failure is reported once the
  // others have settled, so no download is left running behind the error.
  const settled = await Promise.allSettled([...imageRoots, ...chartRoots]);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  const roots = settled.map((s) => (s as PromiseFulfilledResult<BundleRoot>).value);

  let content: SourceTarget = staging;
  if (graphs !== undefined) {
    const homes = new Map<string, SourceTarget>();
    const planned = new DirectSource(graphs, staging, homes);
    const walked = [...roots.map((r) => ({ root: r.root, source: r.source })), ...attached.map((a) => ({ root: attachedRoot(a), source: `${a.image} ${a.kind}` }))];
    for (const root of walked) {
      const origin = origins.get(root.root.digest);
      if (origin === undefined) continue; // a chart from a file or a chart repository: staged whole
      // Only manifests and configs are read here, all from the store.
      for (const node of (await walkGraph(planned, root.root, root.source)).nodes.values()) {
        if (!homes.has(node.digest) && graphs.get(node.digest) === undefined) homes.set(node.digest, origin);
      }
    }
    content = planned;
  }

  // Image signatures are checked before a byte is written (--require-image-signatures).
  if (options.imageSignatures !== undefined) {
    const images = roots.filter((r) => r.kind === 'image').map((r) => ({ source: r.source, root: r.root }));
    attached = (await checkImageSignatures(content, images, attached, options.imageSignatures)).attached;
  }

  const written = await writeBundle(content, roots, {
    ...(attached.length > 0 ? { attached } : {}),
    output: options.output,
    ...(options.splitSize !== undefined ? { splitSize: options.splitSize } : {}),
    ...(options.key ? { key: options.key } : {}),
    spec: { images: [...images.keys()], charts: charts.map((c) => c.given), platforms: spec.platforms },
    epoch: options.epoch,
    // Straight from registries: download ahead into the staging folder, in parallel.
    ...(graphs !== undefined ? { spoolDir: join(stagingDir, 'spool') } : {}),
    onProgress: (written, total) => options.onEvent?.({ type: 'write', written, total }),
    ...(options.bases !== undefined && options.bases.length > 0 ? { delta: { bases: options.bases.map((b) => b.ref), baseOf: baseOmitter(options.bases) } } : {}),
  });
  return { ...written, roots };
}
