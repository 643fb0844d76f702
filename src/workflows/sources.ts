import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceTarget } from '../content/target.js';
import { MANIFEST_SIZE_LIMIT, readVerified } from '../content/verify.js';
import { AirlockError, isAirlockError } from '../errors.js';
import { MediaType } from '../oci/media-types.js';
import { isHelmChart, isIndexType, parseManifest } from '../oci/index.js';
import type { Descriptor } from '../oci/schemas.js';
import { formatImageRef, manifestReference, parseChartRef, parseImageRef, repositoryName, type ImageRef } from '../ref/index.js';
import type { Artifact } from '../bundle/manifest.js';
import { BundleSource, openSignedBundle, type OpenedBundle } from '../bundle/read.js';
import { CHART_ARCHIVE_LIMIT, readChartArchive } from '../chart/chart-files.js';

/** Layer media types of a chart artifact: today's, and the one helm 3.0–3.7 wrote. */
const CHART_LAYER_TYPES: readonly string[] = [MediaType.HelmChart, 'application/tar+gzip'];

/**
 * Reads the chart archive out of a Helm OCI artifact held by any source (a
 * registry repository, the bundle read in place): manifest, then its chart
 * layer, both through the verifying reader, the layer capped at 50 MiB.
 */
export async function readChartLayer(source: SourceTarget, root: Descriptor, what: string): Promise<Buffer> {
  if (root.size > MANIFEST_SIZE_LIMIT) throw new AirlockError('SIZE_LIMIT', `${what}: manifest is ${root.size} bytes, over the ${MANIFEST_SIZE_LIMIT}-byte limit`);
  const bytes = await readVerified(await source.fetch(root), root, `${what} (manifest ${root.digest})`);
  const parsed = parseManifest(bytes, root.mediaType, what);
  if (!isHelmChart(parsed) || parsed.kind !== 'manifest') {
    throw new AirlockError('MEDIA_TYPE_UNSUPPORTED', `${what} is not a Helm chart (its config is not ${MediaType.HelmConfig})`, {
      hint: 'give the chart reference, not an image',
    });
  }
  const layer = parsed.manifest.layers.find((l) => CHART_LAYER_TYPES.includes(l.mediaType));
  if (layer === undefined) throw new AirlockError('MANIFEST_INVALID', `${what} has no chart layer (${MediaType.HelmChart})`);
  if (layer.size > CHART_ARCHIVE_LIMIT) {
    throw new AirlockError('SIZE_LIMIT', `${what}: its chart layer is ${layer.size} bytes, over the ${CHART_ARCHIVE_LIMIT}-byte limit for a chart`);
  }
  return readVerified(await source.fetch(layer), layer, `${what} (chart layer ${layer.digest})`);
}

/** One image the bundle carries, as a chart's reference is matched against it. */
export interface BundleImage {
  name: string;
  /** `HOST/PATH` */
  repository: string;
  tag?: string;
  digest: string;
  /** Digests of the per-platform manifests of an index: a chart may pin one of those. */
  children: string[];
}

/**
 * The images a bundle holds, matched by normalized reference: `nginx` is
 * `docker.io/library/nginx:latest`; a tag counts when the bundle has that
 * repository with that tag; a digest pin counts only when the digest is the
 * image's (or one of its platform manifests').
 */
export class ImageInventory {
  constructor(readonly images: readonly BundleImage[]) {}

  find(reference: string): BundleImage | undefined {
    let ref: ImageRef;
    try {
      ref = parseImageRef(reference);
    } catch {
      return undefined;
    }
    const repo = repositoryName(ref);
    const same = this.images.filter((i) => i.repository === repo);
    if (ref.digest !== undefined) return same.find((i) => i.digest === ref.digest || i.children.includes(ref.digest!));
    return same.find((i) => i.tag === ref.tag);
  }
}

/** Lists the bundle's images; reads each index (small JSON, verified) for its platform manifests. */
export async function bundleInventory(bundle: OpenedBundle): Promise<ImageInventory> {
  const source = new BundleSource(bundle);
  const images: BundleImage[] = [];
  for (const a of bundle.manifest.artifacts) {
    if (a.kind !== 'image') continue;
    const ref = parseImageRef(a.name);
    const image: BundleImage = { name: a.name, repository: repositoryName(ref), digest: a.digest, children: [] };
    // Names are normalized: a tag is there only when one was given (or implied by a bare name).
    if (ref.tag !== undefined) image.tag = ref.tag;
    if (isIndexType(a.mediaType)) {
      const desc = await source.resolve(a.name);
      if (desc.size <= MANIFEST_SIZE_LIMIT) {
        const parsed = parseManifest(await readVerified(await source.fetch(desc), desc, `${a.name} (index)`), desc.mediaType, a.name);
        if (parsed.kind === 'index') image.children = parsed.index.manifests.map((m) => m.digest);
      }
    }
    images.push(image);
  }
  return new ImageInventory(images);
}

export interface BundleChart {
  artifact: Artifact;
  /** The chart archive, read in place from the bundle and verified against its digest. */
  archive: { bytes: Buffer; origin: string };
}

/** `NAME`, `NAME:VERSION` or the artifact's full name: which chart of a bundle the user means. */
export function chartMatches(a: Artifact, wanted: string): boolean {
  return a.name === wanted || a.chart?.name === wanted || `${a.chart?.name}:${a.chart?.version}` === wanted;
}

/** Reads the bundle's charts in place (offline), optionally only the one `--chart` names. */
export async function readBundleCharts(bundle: OpenedBundle, wanted?: string): Promise<BundleChart[]> {
  const source = new BundleSource(bundle);
  const charts = bundle.manifest.artifacts.filter((a) => a.kind === 'chart');
  const picked = wanted === undefined ? charts : charts.filter((a) => chartMatches(a, wanted));
  if (wanted !== undefined && picked.length === 0) {
    throw new AirlockError('USAGE', `${bundle.reader.name} holds no chart ${wanted}`, {
      hint: charts.length === 0 ? 'the bundle carries no chart' : `it holds: ${charts.map((a) => `${a.chart?.name ?? a.name}:${a.chart?.version ?? '?'}`).join(', ')}`,
    });
  }
  const out: BundleChart[] = [];
  for (const artifact of picked) {
    const origin = `${bundle.reader.name}: chart ${artifact.name}`;
    out.push({ artifact, archive: { bytes: await readChartLayer(source, await source.resolve(artifact.name), origin), origin } });
  }
  return out;
}

/** What `airlock images` was pointed at: a chart (a path, or bytes pulled from a registry), or a bundle. */
export type ChartInput =
  | { kind: 'chart'; chart: string | { bytes: Buffer; origin: string } }
  | { kind: 'bundle'; bundle: OpenedBundle };

export interface ChartInputOptions {
  /** For `oci://` references without a tag. */
  version?: string;
  /** Opens a registry repository (only `oci://` needs one). */
  openRepository?: (ref: ImageRef) => SourceTarget;
}

/**
 * A chart `.tgz`, a chart folder, an `oci://` chart reference, or an airlock
 * bundle (any form: tar, parts, folder), which is then read offline. The
 * caller closes a returned bundle.
 */
export async function openChartInput(input: string, options: ChartInputOptions = {}): Promise<ChartInput> {
  if (input.startsWith('oci://')) {
    const source = parseChartRef(input, options.version);
    if (source.kind !== 'oci') throw new AirlockError('INTERNAL', `${input} is not an oci:// reference`);
    if (options.openRepository === undefined) throw new AirlockError('INTERNAL', 'no registry access for an oci:// chart');
    const target = options.openRepository(source.ref);
    const what = `oci://${formatImageRef(source.ref)}`;
    return { kind: 'chart', chart: { bytes: await readChartLayer(target, await target.resolve(manifestReference(source.ref)), what), origin: what } };
  }
  let info;
  try {
    info = await stat(input);
  } catch (cause) {
    throw new AirlockError('USAGE', `cannot read ${input}`, { cause, hint: 'give a chart .tgz, a chart folder, an oci:// reference, or a bundle' });
  }
  if (info.isDirectory()) {
    const isChart = await stat(join(input, 'Chart.yaml')).then(() => true, () => false);
    return isChart ? { kind: 'chart', chart: input } : { kind: 'bundle', bundle: await openSignedBundle(input) };
  }
  if (/\.(tgz|tar\.gz)$/i.test(input) && info.size <= CHART_ARCHIVE_LIMIT) {
    // A gzipped bundle also ends in .tar.gz: a chart archive has a top-level */Chart.yaml.
    const files = await readChartArchive(input, input).catch((err: unknown) => {
      if (isAirlockError(err, 'ARCHIVE_INVALID') && /top-level \*\/Chart\.yaml/.test(err.message)) return undefined;
      throw err;
    });
    if (files !== undefined) return { kind: 'chart', chart: input };
  }
  return { kind: 'bundle', bundle: await openSignedBundle(input) };
}
