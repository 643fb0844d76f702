/**
 * Helm charts built in code, for tests: Chart.yaml, values.yaml and templates
 * written into a folder, subcharts nested as archives (charts/NAME-VERSION.tgz)
 * or folders (charts/NAME/), and packaged as `helm package` lays a .tgz out.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { create as createTar } from 'tar';
import { stringify } from 'yaml';
import { verified } from '../../src/content/verify.js';
import type { DestinationTarget } from '../../src/content/target.js';
import { chartArtifact } from '../../src/chart/chart.js';
import type { Descriptor } from '../../src/oci/schemas.js';

export interface ChartSpec {
  name: string;
  version: string;
  appVersion?: string;
  dependencies?: { name: string; version?: string; alias?: string; condition?: string; tags?: string[] }[];
  /** values.yaml as YAML text (kept verbatim: tags like 1.0 must stay as written). */
  values?: string;
  /** Files under templates/, by name. */
  templates?: Record<string, string>;
  subcharts?: SubchartSpec[];
  /** Other files, by path below the chart (`values.schema.json`, `files/x.conf`). */
  files?: Record<string, string>;
}

export interface SubchartSpec extends ChartSpec {
  /** Leave it as a folder charts/NAME/ instead of an archive charts/NAME-VERSION.tgz. */
  asFolder?: boolean;
}

/** Writes the chart as the folder DIR/NAME and returns its path. */
export async function writeChartDir(dir: string, spec: ChartSpec): Promise<string> {
  const root = join(dir, spec.name);
  await mkdir(join(root, 'templates'), { recursive: true });
  const meta: Record<string, unknown> = { apiVersion: 'v2', name: spec.name, version: spec.version, type: 'application' };
  if (spec.appVersion !== undefined) meta.appVersion = spec.appVersion;
  if (spec.dependencies) {
    meta.dependencies = spec.dependencies.map((d) => ({ version: '*', repository: 'file://charts', ...d }));
  }
  await writeFile(join(root, 'Chart.yaml'), stringify(meta));
  if (spec.values !== undefined) await writeFile(join(root, 'values.yaml'), spec.values);
  for (const [name, text] of Object.entries(spec.templates ?? {})) await writeFile(join(root, 'templates', name), text);
  for (const [name, text] of Object.entries(spec.files ?? {})) await writeFile(join(root, name), text);
  if (spec.subcharts?.length) {
    await mkdir(join(root, 'charts'), { recursive: true });
    for (const sub of spec.subcharts) {
      if (sub.asFolder) await writeChartDir(join(root, 'charts'), sub);
      else await packageChart(sub, join(root, 'charts'));
    }
  }
  return root;
}

/** Packages the chart as OUT_DIR/NAME-VERSION.tgz (gzip, portable, fixed mtime) and returns its path. */
export async function packageChart(spec: ChartSpec, outDir: string): Promise<string> {
  const src = await mkdtemp(join(tmpdir(), 'airlock-chartsrc-'));
  try {
    await writeChartDir(src, spec);
    await mkdir(outDir, { recursive: true });
    const out = join(outDir, `${spec.name}-${spec.version}.tgz`);
    await createTar({ gzip: true, file: out, cwd: src, portable: true, mtime: new Date(0) }, [spec.name]);
    return out;
  } finally {
    await rm(src, { recursive: true, force: true });
  }
}

/** Stores a chart .tgz in a target as the Helm OCI artifact pack makes of it; returns the manifest descriptor. */
export async function stageChart(target: DestinationTarget, tgzPath: string): Promise<{ root: Descriptor; name: string; version: string }> {
  const a = await chartArtifact(tgzPath);
  const { createReadStream } = await import('node:fs');
  const put = async (desc: Descriptor, stream: Readable) => {
    if (!(await target.exists(desc))) await target.push(desc, verified(stream, desc, desc.digest));
  };
  await put(a.config.descriptor, Readable.from([a.config.bytes]));
  await put(a.layer.descriptor, createReadStream(a.layer.path));
  await put(a.manifest.descriptor, Readable.from([a.manifest.bytes]));
  return { root: a.manifest.descriptor, name: a.metadata.name, version: a.metadata.version };
}
