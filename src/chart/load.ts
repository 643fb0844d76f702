import { stat } from 'node:fs/promises';
import { AirlockError } from '../errors.js';
import { readChartArchive, readChartFolder, type ChartFiles } from './chart-files.js';
import { isMap, parseValuesYaml, type Values } from './values-tree.js';

/** A dependency as Chart.yaml (apiVersion v2) or requirements.yaml (v1) lists it. */
export interface ChartDependency {
  name: string;
  /** Changes the values key of the subchart: its values live under the alias, not the name. */
  alias?: string;
  /** Comma-separated values paths; the first that holds a boolean decides. */
  condition?: string;
  tags: string[];
}

/** A chart read into memory with its subcharts: just what finding images needs. */
export interface LoadedChart {
  name: string;
  version: string;
  appVersion?: string;
  origin: string;
  values: Values;
  dependencies: ChartDependency[];
  /** Files under templates/, by path relative to the chart (`templates/deployment.yaml`). */
  templates: { path: string; text: string }[];
  subcharts: LoadedChart[];
  /** Things that were skipped, said plainly (a charts/ folder without Chart.yaml). */
  problems: string[];
}

/** Deeper than this is a malicious archive, not a chart. */
const MAX_DEPTH = 10;

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function dependenciesOf(list: unknown, where: string): ChartDependency[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new AirlockError('ARCHIVE_INVALID', `${where}: dependencies is not a list`);
  return list.filter(isMap).flatMap((d): ChartDependency[] => {
    const name = text(d.name);
    if (name === undefined) return [];
    const dep: ChartDependency = { name, tags: Array.isArray(d.tags) ? d.tags.map(String) : [] };
    const alias = text(d.alias);
    if (alias !== undefined && alias !== '') dep.alias = alias;
    const condition = text(d.condition);
    if (condition !== undefined && condition !== '') dep.condition = condition;
    return [dep];
  });
}

function utf8(buffer: Buffer | undefined): string | undefined {
  return buffer?.toString('utf8');
}

/** Builds a chart, and its subcharts (archives in charts/ and folders in charts/), from its files. */
export async function loadChart(chart: ChartFiles, depth = 0): Promise<LoadedChart> {
  if (depth > MAX_DEPTH) {
    throw new AirlockError('ARCHIVE_INVALID', `${chart.origin}: subcharts nested more than ${MAX_DEPTH} deep`, {
      hint: 'this is not a chart helm would install; check where it came from',
    });
  }
  const { files, origin } = chart;
  const meta = parseValuesYaml(utf8(files.get('Chart.yaml')) ?? '', `${origin}: Chart.yaml`);
  const name = text(meta.name);
  const version = text(meta.version);
  if (name === undefined || version === undefined) {
    throw new AirlockError('ARCHIVE_INVALID', `${origin}: Chart.yaml lacks name or version`, { hint: 'check the chart' });
  }
  const requirements = files.has('requirements.yaml') ? parseValuesYaml(utf8(files.get('requirements.yaml'))!, `${origin}: requirements.yaml`) : {};
  const dependencies = [
    ...dependenciesOf(meta.dependencies, `${origin}: Chart.yaml`),
    ...dependenciesOf(requirements.dependencies, `${origin}: requirements.yaml`),
  ];
  const values = files.has('values.yaml') ? parseValuesYaml(utf8(files.get('values.yaml'))!, `${origin}: values.yaml`) : {};
  const templates = [...files.entries()]
    .filter(([path]) => path.startsWith('templates/'))
    .map(([path, bytes]) => ({ path, text: bytes.toString('utf8') }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));

  const subcharts: LoadedChart[] = [];
  const problems: string[] = [];
  const folders = new Map<string, Map<string, Buffer>>();
  for (const [path, bytes] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const archive = /^charts\/([^/]+\.tgz)$/.exec(path);
    if (archive) {
      // helm skips names starting with . or _ in charts/ (editor and OS litter).
      if (/^[._]/.test(archive[1]!)) continue;
      subcharts.push(await loadChart(await readChartArchive(bytes, `${origin}!${path}`), depth + 1));
      continue;
    }
    const folder = /^charts\/([^/]+)\/(.+)$/.exec(path);
    if (folder && !/^[._]/.test(folder[1]!)) {
      let sub = folders.get(folder[1]!);
      if (sub === undefined) folders.set(folder[1]!, (sub = new Map()));
      sub.set(folder[2]!, bytes);
    }
  }
  for (const [folder, sub] of folders) {
    if (!sub.has('Chart.yaml')) {
      problems.push(`${origin}: charts/${folder}/ has no Chart.yaml and was skipped`);
      continue;
    }
    subcharts.push(await loadChart({ origin: `${origin}/charts/${folder}`, files: sub }, depth + 1));
  }
  const loaded: LoadedChart = { name, version, origin, values, dependencies, templates, subcharts, problems };
  const appVersion = text(meta.appVersion);
  if (appVersion !== undefined && appVersion !== '') loaded.appVersion = appVersion;
  return loaded;
}

/** A chart from a `.tgz` file or a chart folder. */
export async function loadChartPath(path: string): Promise<LoadedChart> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (cause) {
    throw new AirlockError('USAGE', `cannot read ${path}`, { cause, hint: 'give a chart .tgz, a chart folder, or an oci:// reference' });
  }
  return loadChart(isDir ? await readChartFolder(path) : await readChartArchive(path, path));
}
