import { createReadStream } from 'node:fs';
import { list as listTar, type ReadEntry } from 'tar';
import { AirlockError, messageOf } from '../errors.js';
import { hashStream, sha256Digest } from '../content/digest.js';
import { digestFromHex, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import { GoStruct, goJson } from './go-json.js';
import { HelmMetadataError, helmMetadataJson, loadHelmMetadata, type HelmMetadata } from './helm-metadata.js';

/** Chart.yaml is small; anything bigger is not a chart we should trust. */
const CHART_YAML_LIMIT = 1024 * 1024;

export type ChartMetadata = HelmMetadata;

/** The chart's own metadata files, at the archive's top level (subcharts have theirs deeper). */
const METADATA_FILES = /^[^/]+\/(Chart|requirements)\.yaml$/;

/**
 * Reads `NAME/Chart.yaml` (and a v1 chart's `NAME/requirements.yaml`) from a chart
 * archive without extracting anything, into chart.Metadata as Helm's loader types it.
 */
export async function readChartMetadata(tgzPath: string): Promise<ChartMetadata> {
  const files = new Map<string, Buffer[]>();
  let charts = 0;
  let tooBig: string | undefined;
  try {
    await listTar({
      file: tgzPath,
      filter: (path) => METADATA_FILES.test(path),
      onReadEntry: (entry: ReadEntry) => {
        const kind = entry.path.endsWith('/Chart.yaml') ? 'Chart.yaml' : 'requirements.yaml';
        if (kind === 'Chart.yaml') charts++;
        const chunks: Buffer[] = [];
        files.set(kind, chunks);
        let size = 0;
        entry.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > CHART_YAML_LIMIT) tooBig = kind;
          else chunks.push(chunk);
        });
      },
    });
  } catch (cause) {
    throw new AirlockError('ARCHIVE_INVALID', `${tgzPath} is not a readable chart archive (.tgz): ${messageOf(cause)}`, {
      cause,
      hint: 'a Helm chart archive is what `helm package` writes; check the file',
    });
  }
  if (charts !== 1) {
    throw new AirlockError('ARCHIVE_INVALID', `${tgzPath} has ${charts === 0 ? 'no' : 'more than one'} top-level */Chart.yaml`, {
      hint: 'a Helm chart archive holds exactly one folder NAME/ with NAME/Chart.yaml',
    });
  }
  if (tooBig !== undefined) throw new AirlockError('ARCHIVE_INVALID', `${tgzPath}: ${tooBig} is larger than ${CHART_YAML_LIMIT} bytes`);
  const text = (kind: string): string | undefined => {
    const chunks = files.get(kind);
    if (chunks === undefined) return undefined;
    try {
      // go-yaml refuses bytes that are not UTF-8; Helm strips a leading BOM, as TextDecoder does.
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch (cause) {
      throw new AirlockError('ARCHIVE_INVALID', `${tgzPath}: ${kind} is not UTF-8`, { cause });
    }
  };
  let meta: HelmMetadata;
  try {
    meta = loadHelmMetadata(text('Chart.yaml')!, text('requirements.yaml'));
  } catch (cause) {
    if (!(cause instanceof HelmMetadataError)) throw cause;
    throw new AirlockError('ARCHIVE_INVALID', `${tgzPath}: Helm cannot load this chart's metadata: ${cause.message}`, {
      cause,
      hint: 'Chart.yaml must match Helm\'s chart.Metadata (lists where Helm has lists, maps where it has maps)',
    });
  }
  if (meta.name === '' || meta.version === '') {
    throw new AirlockError('ARCHIVE_INVALID', `${tgzPath}: Chart.yaml lacks name or version`);
  }
  return meta;
}

/** The config blob `helm push` writes: json.Marshal of the loaded chart.Metadata. */
export function helmConfigJson(meta: ChartMetadata): Buffer {
  return Buffer.from(helmMetadataJson(meta));
}

/**
 * The manifest annotations `helm push` writes (generateOCIAnnotations in Helm's
 * pkg/registry): description, title, version, url (home), source (first of sources),
 * authors ("NAME (EMAIL), …"), each left out when blank; then the chart's own
 * annotations, except that they may not replace title or version.
 *
 * Helm also writes `org.opencontainers.image.created`: the time the .tgz file was
 * last modified, or the current time. airlock leaves it out: a file's mtime is not
 * part of the chart and does not cross the air gap, and the bundle's time
 * (SOURCE_DATE_EPOCH, else now) would give the same chart a new manifest digest in
 * every pack, so a second bundle of the same version would move its tag on push.
 * Helm reads none of these annotations when it pulls or installs.
 */
export function helmManifestAnnotations(meta: ChartMetadata): Record<string, string> {
  const out = new Map<string, string>();
  const add = (key: string, value: string | undefined) => {
    if (value !== undefined && value.trim() !== '') out.set(key, value);
  };
  add('org.opencontainers.image.description', meta.description);
  add('org.opencontainers.image.title', meta.name);
  add('org.opencontainers.image.version', meta.version);
  add('org.opencontainers.image.url', meta.home);
  add('org.opencontainers.image.source', meta.sources?.[0]);
  if (meta.maintainers !== undefined && meta.maintainers.length > 0) {
    add('org.opencontainers.image.authors', meta.maintainers
      .map((m) => `${m.name ?? ''}${m.email ? ` (${m.email})` : ''}`)
      .join(', '));
  }
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    if (key !== 'org.opencontainers.image.title' && key !== 'org.opencontainers.image.version') out.set(key, value);
  }
  return Object.fromEntries(out);
}

export interface ChartArtifact {
  metadata: ChartMetadata;
  config: { descriptor: Descriptor; bytes: Buffer };
  layer: { descriptor: Descriptor; path: string };
  manifest: { descriptor: Descriptor; bytes: Buffer };
}

async function digestFile(path: string): Promise<{ digest: Digest; size: number }> {
  const { hex, size } = await hashStream(createReadStream(path));
  return { digest: digestFromHex(hex), size };
}

/**
 * Wraps a chart archive as the Helm OCI artifact `helm push` makes: config
 * `application/vnd.cncf.helm.config.v1+json`, one layer with the .tgz bytes unchanged,
 * so `helm pull oci://…` gives back the same archive. No creation time is written,
 * so the same chart always gives the same manifest digest.
 */
export async function chartArtifact(tgzPath: string): Promise<ChartArtifact> {
  const metadata = await readChartMetadata(tgzPath);
  const configBytes = helmConfigJson(metadata);
  const config: Descriptor = { mediaType: MediaType.HelmConfig, digest: sha256Digest(configBytes), size: configBytes.length };
  const layer: Descriptor = { mediaType: MediaType.HelmChart, ...(await digestFile(tgzPath)) };
  const descriptor = (d: Descriptor) => new GoStruct([['mediaType', d.mediaType], ['digest', d.digest], ['size', d.size]]);
  // ocispec.Manifest as Helm fills it: no mediaType field (Helm leaves it empty, so it is omitted).
  const manifestBytes = Buffer.from(goJson(new GoStruct([
    ['schemaVersion', 2],
    ['config', descriptor(config)],
    ['layers', [descriptor(layer)]],
    ['annotations', helmManifestAnnotations(metadata)],
  ])));
  return {
    metadata,
    config: { descriptor: config, bytes: configBytes },
    layer: { descriptor: layer, path: tgzPath },
    manifest: {
      descriptor: { mediaType: MediaType.OciManifest, digest: sha256Digest(manifestBytes), size: manifestBytes.length },
      bytes: manifestBytes,
    },
  };
}
