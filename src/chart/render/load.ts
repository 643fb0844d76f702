import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AirlockError, messageOf } from '../../errors.js';
import { readChartArchive } from '../chart-files.js';
import { IgnoreRules } from './helmignore.js';
import type { GoMap, GoValue } from './template/types.js';
import { isTable } from './tree.js';
import { parseValues } from './yaml.js';

/** One file of a chart, by its path below the chart's folder (`templates/x.yaml`). */
export interface ChartFile {
  name: string;
  data: Uint8Array;
}

export interface Maintainer {
  name: string;
  email: string;
  url: string;
}

/** A dependency as Chart.yaml (v2) or requirements.yaml (v1) lists it. */
export interface Dependency {
  name: string;
  version: string;
  repository: string;
  condition: string;
  tags: string[];
  enabled: boolean;
  /** As written: strings (`exports.X` form) and `{child, parent}` maps. */
  importValues: GoValue[];
  alias: string;
}

/** Chart.yaml, with Helm's field set (chart.Metadata). */
export interface Metadata {
  name: string;
  home: string;
  sources: string[];
  version: string;
  description: string;
  keywords: string[];
  maintainers: Maintainer[];
  icon: string;
  apiVersion: string;
  condition: string;
  tags: string;
  appVersion: string;
  deprecated: boolean;
  annotations: Record<string, string>;
  kubeVersion: string;
  dependencies: Dependency[];
  type: string;
}

/** A loaded chart: Helm's chart.Chart. */
export interface Chart {
  metadata: Metadata;
  templates: ChartFile[];
  values: GoMap;
  schema: Uint8Array | undefined;
  /** Every other file (README, crds/, files/…): what `.Files` sees. */
  files: ChartFile[];
  /** Subcharts found under charts/ (all of them, before conditions). */
  dependencies: Chart[];
  parent: Chart | undefined;
  /** Where it was read from, for messages. */
  origin: string;
}

/** Helm's MaxDecompressedFileSize: no file of a chart may be larger. */
export const CHART_FILE_LIMIT = 5 * 1024 * 1024;
const MAX_DEPTH = 10;

/** Helm's words for a broken chart; where it is goes in the hint (Helm's message has no path). */
function invalid(origin: string, message: string): AirlockError {
  return new AirlockError('ARCHIVE_INVALID', message, { hint: `in ${origin}; helm refuses this chart too` });
}

function str(v: GoValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return '';
}

/** Helm's sanitizeString: whitespace becomes a space, unprintable characters go. */
function sanitize(s: string): string {
  return s.replace(/\s/g, ' ').replace(/[\p{C}]/gu, '');
}

function strList(v: GoValue | undefined): string[] {
  return Array.isArray(v) ? v.map((x) => sanitize(str(x))) : [];
}

function dependencies(list: GoValue | undefined, origin: string): Dependency[] {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw invalid(origin, 'dependencies is not a list');
  return list.map((d): Dependency => {
    if (!isTable(d)) throw invalid(origin, 'validation: dependencies must not contain empty or null nodes');
    const alias = str(d.alias);
    if (alias !== '' && !/^[a-zA-Z0-9_-]+$/.test(alias)) throw invalid(origin, `validation: dependency "${str(d.name)}" has disallowed characters in the alias`);
    return {
      name: sanitize(str(d.name)),
      version: sanitize(str(d.version)),
      repository: sanitize(str(d.repository)),
      condition: sanitize(str(d.condition)),
      tags: strList(d.tags),
      enabled: false,
      importValues: Array.isArray(d['import-values']) ? d['import-values'] : [],
      alias,
    };
  });
}

function metadata(doc: GoMap, origin: string): Metadata {
  const annotations: Record<string, string> = {};
  if (isTable(doc.annotations)) for (const [k, v] of Object.entries(doc.annotations)) annotations[k] = str(v);
  const md: Metadata = {
    name: sanitize(str(doc.name)),
    home: sanitize(str(doc.home)),
    sources: strList(doc.sources),
    version: str(doc.version),
    description: sanitize(str(doc.description)),
    keywords: strList(doc.keywords),
    maintainers: Array.isArray(doc.maintainers)
      ? doc.maintainers.map((m) => {
          if (!isTable(m)) throw invalid(origin, 'validation: maintainers must not contain empty or null nodes');
          return { name: sanitize(str(m.name)), email: sanitize(str(m.email)), url: sanitize(str(m.url)) };
        })
      : [],
    icon: sanitize(str(doc.icon)),
    apiVersion: str(doc.apiVersion) || 'v1',
    condition: sanitize(str(doc.condition)),
    tags: sanitize(str(doc.tags)),
    appVersion: sanitize(str(doc.appVersion)),
    deprecated: doc.deprecated === true,
    annotations,
    kubeVersion: sanitize(str(doc.kubeVersion)),
    dependencies: dependencies(doc.dependencies, origin),
    type: str(doc.type),
  };
  if (md.name === '') throw invalid(origin, 'validation: chart.metadata.name is required');
  if (md.name === '.' || md.name === '..' || md.name.includes('/') || md.name.includes('\\')) throw invalid(origin, `validation: chart.metadata.name "${md.name}" is invalid`);
  if (md.version === '') throw invalid(origin, 'validation: chart.metadata.version is required');
  if (!/^v?\d+(\.\d+)?(\.\d+)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(md.version)) throw invalid(origin, `validation: chart.metadata.version "${md.version}" is invalid`);
  if (!['', 'application', 'library'].includes(md.type)) throw invalid(origin, 'validation: chart.metadata.type must be application or library');
  const seen = new Set<string>();
  for (const d of md.dependencies) {
    const key = d.alias || d.name;
    if (seen.has(key)) throw invalid(origin, `validation: more than one dependency with name or alias "${key}"`);
    seen.add(key);
  }
  return md;
}

function utf8(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

function stripBom(data: Uint8Array): Uint8Array {
  return data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
}

/**
 * Builds a chart from its files (Helm's loader.LoadFiles): Chart.yaml,
 * requirements.yaml (v1), values.yaml, values.schema.json, templates/, charts/
 * (folders and .tgz; names starting `.` or `_` skipped), everything else to Files.
 */
export async function loadChartFiles(input: Map<string, Uint8Array>, origin: string, depth = 0): Promise<Chart> {
  if (depth > MAX_DEPTH) throw invalid(origin, `subcharts nested more than ${MAX_DEPTH} deep`);
  const files = [...input.entries()].map(([name, data]) => ({ name, data: stripBom(data) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of files) {
    if (f.data.length > CHART_FILE_LIMIT) {
      throw new AirlockError('SIZE_LIMIT', `${origin}: chart file "${f.name}" is larger than the maximum file size ${CHART_FILE_LIMIT}`, {
        hint: 'helm refuses chart files over 5 MiB too',
      });
    }
  }
  const chartYaml = files.find((f) => f.name === 'Chart.yaml');
  if (chartYaml === undefined) throw invalid(origin, 'Chart.yaml file is missing');
  const doc = parseValues(chartYaml.data, { where: `${origin}: cannot load Chart.yaml`, code: 'ARCHIVE_INVALID' });
  const requirements = files.find((f) => f.name === 'requirements.yaml');
  if (requirements !== undefined) {
    const req = parseValues(requirements.data, { where: `${origin}: cannot load requirements.yaml`, code: 'ARCHIVE_INVALID' });
    if (Object.hasOwn(req, 'dependencies')) doc.dependencies = req.dependencies ?? null;
  }
  const chart: Chart = { metadata: metadata(doc, origin), templates: [], values: {}, schema: undefined, files: [], dependencies: [], parent: undefined, origin };
  const subcharts = new Map<string, ChartFile[]>();
  for (const f of files) {
    if (f.name === 'Chart.yaml') continue;
    if (f.name === 'values.yaml') chart.values = parseValues(f.data, { where: `${origin}: cannot load values.yaml`, code: 'ARCHIVE_INVALID' });
    else if (f.name === 'values.schema.json') chart.schema = f.data;
    else if (f.name === 'requirements.yaml' || f.name === 'requirements.lock') {
      if (chart.metadata.apiVersion === 'v1') chart.files.push(f);
    } else if (f.name === 'Chart.lock') continue;
    else if (f.name.startsWith('templates/')) chart.templates.push(f);
    else if (f.name.startsWith('charts/')) {
      if (f.name.endsWith('.prov')) {
        chart.files.push(f);
        continue;
      }
      const rest = f.name.slice('charts/'.length);
      const slash = rest.indexOf('/');
      const key = slash < 0 ? rest : rest.slice(0, slash);
      let list = subcharts.get(key);
      if (list === undefined) subcharts.set(key, (list = []));
      list.push({ name: rest, data: f.data });
    } else chart.files.push(f);
  }
  for (const [name, list] of [...subcharts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (name.startsWith('.') || name.startsWith('_')) continue;
    let sub: Chart;
    try {
      if (name.endsWith('.tgz')) {
        const file = list[0]!;
        if (file.name !== name) throw invalid(origin, `error unpacking subchart tar in ${chart.metadata.name}: expected ${name}, got ${file.name}`);
        const read = await readChartArchive(Buffer.from(file.data), `${origin}!charts/${name}`, { all: true });
        sub = await loadChartFiles(read.files, read.origin, depth + 1);
      } else {
        const inner = new Map<string, Uint8Array>();
        for (const f of list) {
          const slash = f.name.indexOf('/');
          if (slash >= 0) inner.set(f.name.slice(slash + 1), f.data);
        }
        sub = await loadChartFiles(inner, `${origin}/charts/${name}`, depth + 1);
      }
    } catch (err) {
      if (err instanceof AirlockError) {
        throw new AirlockError(err.code, `error unpacking subchart ${name} in ${chart.metadata.name}: ${err.message}`, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
      }
      throw err;
    }
    sub.parent = chart;
    chart.dependencies.push(sub);
  }
  return chart;
}

/**
 * Reads a chart folder as Helm's LoadDir does: the top `.helmignore` (plus the
 * default `templates/.?*`) applies to the whole tree, and symbolic links are
 * followed (Helm follows them, logging each). A link that leads outside the
 * chart folder, or back into a folder it is in, is refused: following it would
 * put files from elsewhere on the machine into `.Files`, or never end.
 */
export async function readChartDir(dir: string): Promise<{ files: Map<string, Uint8Array>; links: string[] }> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch (cause) {
    throw new AirlockError('USAGE', `cannot read the chart folder ${dir}: ${messageOf(cause)}`, { cause });
  }
  const rules = new IgnoreRules();
  try {
    const text = await readFile(join(root, '.helmignore'), 'utf8');
    for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) rules.add(line, `${dir}/.helmignore`);
  } catch (err) {
    if (err instanceof AirlockError) throw err;
  }
  rules.addDefaults();
  const files = new Map<string, Uint8Array>();
  const links: string[] = [];
  let total = 0;
  const walk = async (abs: string, rel: string, ancestors: string[]): Promise<void> => {
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(abs, name);
      let info = await lstat(full);
      let real = full;
      if (info.isSymbolicLink()) {
        try {
          real = await realpath(full);
        } catch (cause) {
          throw new AirlockError('ARCHIVE_INVALID', `error evaluating symlink ${full}: ${messageOf(cause)}`, { cause });
        }
        const inside = relative(root, real);
        if (inside === '..' || inside.startsWith(`..${sep}`) || inside.startsWith('/')) {
          throw new AirlockError('PATH_UNSAFE', `${dir}: ${path} is a symbolic link to ${real}, outside the chart folder`, {
            hint: 'helm would read the file it points to into the chart; copy the file into the chart instead',
          });
        }
        info = await stat(real);
        links.push(path);
      }
      if (info.isDirectory()) {
        if (rules.ignore(path, true)) continue;
        if (ancestors.includes(real)) {
          throw new AirlockError('PATH_UNSAFE', `${dir}: ${path} is a symbolic link to a folder it is in (a loop)`, { hint: 'remove the link' });
        }
        await walk(real, path, [...ancestors, real]);
        continue;
      }
      if (rules.ignore(path, false)) continue;
      if (!info.isFile()) throw new AirlockError('ARCHIVE_INVALID', `cannot load irregular file ${full} as it has file mode type bits set`);
      if (info.size > CHART_FILE_LIMIT) {
        throw new AirlockError('SIZE_LIMIT', `chart file "${name}" is larger than the maximum file size ${CHART_FILE_LIMIT}`, { hint: 'helm refuses chart files over 5 MiB too' });
      }
      total += info.size;
      if (total > 100 * 1024 * 1024) throw new AirlockError('SIZE_LIMIT', `${dir}: the chart's files are larger than 100 MiB`, { hint: 'point at the chart folder itself' });
      files.set(path, await readFile(real));
    }
  };
  try {
    await walk(root, '', [root]);
  } catch (cause) {
    if (cause instanceof AirlockError) throw cause;
    throw new AirlockError('IO', `cannot read the chart folder ${dir}: ${messageOf(cause)}`, { cause });
  }
  return { files, links };
}

/** Where a chart can come from. */
export type ChartSource = string | { files: Map<string, Uint8Array>; origin?: string };

/** Loads a chart from a `.tgz`, a chart folder, or files in memory. */
export async function loadChart(source: ChartSource): Promise<{ chart: Chart; warnings: string[] }> {
  if (typeof source !== 'string') return { chart: await loadChartFiles(source.files, source.origin ?? 'chart'), warnings: [] };
  if (source.startsWith('oci://') || /^https?:\/\//.test(source)) {
    throw new AirlockError('USAGE', `${source}: rendering a chart from a registry or repository is not supported yet`, {
      hint: 'pull the chart first (helm pull, or airlock unpack) and give the .tgz or folder',
    });
  }
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch (cause) {
    throw new AirlockError('USAGE', `cannot read ${source}: ${messageOf(cause)}`, { cause, hint: 'give a chart .tgz or a chart folder' });
  }
  if (isDir) {
    const { files, links } = await readChartDir(source);
    const chart = await loadChartFiles(files, source);
    return { chart, warnings: links.map((l) => `found symbolic link in path: ${l}; contents of linked file included and used`) };
  }
  let read: Awaited<ReturnType<typeof readChartArchive>>;
  try {
    read = await readChartArchive(source, source, { all: true });
  } catch (err) {
    // An airlock bundle is a tar too, but holds charts as OCI blobs, not as files.
    if (err instanceof AirlockError && err.code === 'ARCHIVE_INVALID' && err.message.includes('top-level */Chart.yaml')) {
      throw new AirlockError('USAGE', `${source} is not a chart archive: it has no top-level */Chart.yaml (rendering a chart inside an airlock bundle is not supported yet)`, {
        cause: err,
        hint: 'give the chart .tgz or folder; for a bundle, airlock unpack it first',
      });
    }
    throw err;
  }
  return { chart: await loadChartFiles(read.files, source), warnings: [] };
}

