import { createReadStream } from 'node:fs';
import { list as listTar, type ReadEntry } from 'tar';
import { parse as parseYaml } from 'yaml';
import { AirlockError, messageOf } from '../errors.js';
import { hashStream, sha256Digest } from '../content/digest.js';
import { digestFromHex, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';

/** Chart.yaml is small; anything bigger is not a chart we should trust. */
const CHART_YAML_LIMIT = 1024 * 1024;

export interface ChartMetadata {
  name: string;
  version: string;
  [key: string]: unknown;
}

/** Reads `NAME/Chart.yaml` from a chart archive without extracting anything. */
export async function readChartMetadata(tgzPath: string): Promise<ChartMetadata> {
  const chunks: Buffer[] = [];
  let found = 0;
  let tooBig = false;
  try {
    await listTar({
      file: tgzPath,
      // Only the chart's own Chart.yaml, one level down; subcharts have theirs deeper.
      filter: (path) => /^[^/]+\/Chart\.yaml$/.test(path),
      onReadEntry: (entry: ReadEntry) => {
        found++;
        let size = 0;
        entry.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > CHART_YAML_LIMIT) tooBig = true;
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
  if (found !== 1) {
    throw new AirlockError('ARCHIVE_INVALID', `${tgzPath} has ${found === 0 ? 'no' : 'more than one'} top-level */Chart.yaml`, {
      hint: 'a Helm chart archive holds exactly one folder NAME/ with NAME/Chart.yaml',
    });
  }
  if (tooBig) throw new AirlockError('ARCHIVE_INVALID', `${tgzPath}: Chart.yaml is larger than ${CHART_YAML_LIMIT} bytes`);
  let doc: unknown;
  try {
    doc = parseYaml(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new AirlockError('ARCHIVE_INVALID', `${tgzPath}: Chart.yaml is not valid YAML`, { cause });
  }
  const meta = doc as Partial<ChartMetadata> | null;
  if (meta === null || typeof meta !== 'object' || typeof meta.name !== 'string' || meta.version === undefined) {
    throw new AirlockError('ARCHIVE_INVALID', `${tgzPath}: Chart.yaml lacks name or version`);
  }
  return { ...meta, name: meta.name, version: String(meta.version) } as ChartMetadata;
}

// helm serializes chart.Metadata with Go's encoding/json: struct field order, empty fields omitted.
const METADATA_FIELDS = [
  'name', 'home', 'sources', 'version', 'description', 'keywords', 'maintainers', 'icon', 'apiVersion',
  'condition', 'tags', 'appVersion', 'deprecated', 'annotations', 'kubeVersion', 'dependencies', 'type',
] as const;
const MAINTAINER_FIELDS = ['name', 'email', 'url'] as const;
const DEPENDENCY_FIELDS = ['name', 'version', 'repository', 'condition', 'tags', 'enabled', 'import-values', 'alias'] as const;

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

function pick(source: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (!isEmpty(source[f])) out[f] = source[f];
  return out;
}

function sortedObject(v: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]));
}

/** The config blob helm writes for a chart: its metadata as JSON, in helm's field order. */
export function helmConfigJson(meta: ChartMetadata): Buffer {
  const out = pick(meta, METADATA_FIELDS);
  if (Array.isArray(out.maintainers)) out.maintainers = (out.maintainers as Record<string, unknown>[]).map((m) => pick(m, MAINTAINER_FIELDS));
  if (Array.isArray(out.dependencies)) out.dependencies = (out.dependencies as Record<string, unknown>[]).map((d) => pick(d, DEPENDENCY_FIELDS));
  if (out.annotations !== undefined) out.annotations = sortedObject(out.annotations as Record<string, unknown>);
  return Buffer.from(JSON.stringify(out));
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
  const annotations: Record<string, string> = {
    'org.opencontainers.image.title': metadata.name,
    'org.opencontainers.image.version': metadata.version,
  };
  if (typeof metadata.description === 'string' && metadata.description !== '') {
    annotations['org.opencontainers.image.description'] = metadata.description;
  }
  const manifestBytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer], annotations: sortedObject(annotations) }),
  );
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
