import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { AirlockError, messageOf } from '../../errors.js';
import { capabilities } from './capabilities.js';
import { coalesceChart, mergeMaps } from './coalesce.js';
import { checkDependencies, cloneChart, processDependencies } from './dependencies.js';
import { loadChart, type Chart, type ChartSource } from './load.js';
import { goPathMatcher } from './match.js';
import { chartFullPath, renderTemplates, renderTop } from './render.js';
import { checkSchemas } from './schema.js';
import { isCompatibleRange } from './semver.js';
import { sortManifests, splitManifests, type Hook, type Manifest } from './sort.js';
import { parseSet, parseSetFile, parseSetJson, parseSetLiteral } from './strvals.js';
import type { GoMap } from './template/types.js';
import { VALUES_TEXT_LIMIT, parseValues } from './yaml.js';

export type { Chart, ChartFile, ChartSource, Dependency, Metadata } from './load.js';
export type { Hook, Manifest } from './sort.js';
export { loadChart } from './load.js';
export { parseSet, parseSetFile, parseSetJson, parseSetLiteral } from './strvals.js';
export { parseValues, parseYaml } from './yaml.js';

/** What `airlock template` (and any caller) asks of a render: helm template's options. */
export interface RenderChartOptions {
  /** A chart `.tgz`, a chart folder, or the chart's files in memory. */
  chart: ChartSource;
  /** `-f` files, in order (later wins). */
  valuesFiles?: readonly string[];
  /** Values already parsed, applied after the files (as further `-f` layers). */
  values?: readonly GoMap[];
  /** `--set` arguments, in order. */
  set?: readonly string[];
  /** `--set-string` arguments, in order (applied after every --set, as Helm does). */
  setString?: readonly string[];
  /** `--set-json` arguments (applied before --set). */
  setJson?: readonly string[];
  /** `--set-file` arguments: KEY=PATH, the file's text as the value (after --set-string). */
  setFile?: readonly string[];
  /** `--set-literal` arguments: the value taken as it is (last of all). */
  setLiteral?: readonly string[];
  /** Default `release-name`, as helm template. */
  releaseName?: string;
  /** Default `default`. */
  namespace?: string;
  /** `--kube-version`: Capabilities.KubeVersion (default Helm 3.21's v1.36.0). */
  kubeVersion?: string;
  /** `--api-versions`: added to Capabilities.APIVersions. */
  apiVersions?: readonly string[];
  /** `--show-only`: patterns (Go filepath.Match) on `templates/x.yaml` or `charts/sub/templates/x.yaml`. */
  showOnly?: readonly string[];
  /** `--include-crds`: print crds/ files first. */
  includeCrds?: boolean;
  /** `--is-upgrade`. */
  isUpgrade?: boolean;
  /** `--skip-tests`: leave out test hooks. */
  skipTests?: boolean;
  /** Makes random functions and the clock repeatable: a seed for rand*, uuidv4, genPrivateKey… and a fixed `now`. */
  deterministic?: string;
  /** `--skip-schema-validation`. */
  skipSchemaValidation?: boolean;
}

export interface RenderedDocument {
  /** `mychart/templates/deployment.yaml`, as in the `# Source:` line. */
  source: string;
  content: string;
  kind: string;
  /** Hook events when it is a hook (printed after the manifests, as helm template does). */
  hook?: string[];
}

export interface RenderChartResult {
  chart: { name: string; version: string; appVersion: string };
  /** Documents in the order printed: CRDs (with includeCrds), manifests by kind, then hooks. */
  documents: RenderedDocument[];
  /** The root chart's rendered NOTES.txt ('' when none). */
  notes: string;
  /** The values the templates were given (.Values of the root chart), as coalesced, before any template changed them. */
  values: GoMap;
  /** What `helm template` prints for the same options. */
  output: string;
  /** Helm's log lines (symlinks followed, values skipped on type clashes, unknown hooks). */
  warnings: string[];
}

async function readValuesFile(path: string): Promise<GoMap> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    throw new AirlockError('USAGE', `cannot read values file ${path}: ${messageOf(cause)}`, { cause, hint: 'check the -f path' });
  }
  if (size > VALUES_TEXT_LIMIT) {
    throw new AirlockError('SIZE_LIMIT', `values file ${path} is ${size} bytes, more than the ${VALUES_TEXT_LIMIT}-byte limit`, {
      hint: 'a values file this large is not a values file; check the -f path',
    });
  }
  const text = await readFile(path, 'utf8');
  return parseValues(text, { where: `failed to parse ${path}` });
}

/** A small seeded generator (mulberry32 over an FNV-1a hash of the seed): repeatable, not secure. */
function seeded(seed: string): () => number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(seed, 'utf8')) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  let a = h;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function crdDocuments(chart: Chart): RenderedDocument[] {
  const out: RenderedDocument[] = [];
  for (const f of chart.files) {
    if (f.name.startsWith('crds/') && /\.(ya?ml|json)$/i.test(f.name)) {
      out.push({ source: `${chartFullPath(chart)}/${f.name}`, content: Buffer.from(f.data).toString('utf8'), kind: 'CustomResourceDefinition' });
    }
  }
  for (const d of chart.dependencies) out.push(...crdDocuments(d));
  return out;
}

function readSetFile(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new AirlockError('USAGE', `failed parsing --set-file data: open ${path}: ${messageOf(cause)}`, { cause, hint: 'check the --set-file path' });
  }
  if (size > VALUES_TEXT_LIMIT) throw new AirlockError('SIZE_LIMIT', `--set-file ${path} is ${size} bytes, more than the ${VALUES_TEXT_LIMIT}-byte limit`);
  return readFileSync(path, 'utf8');
}

/** The user's values in Helm's order: -f files, given layers, --set-json, --set, --set-string, --set-file, --set-literal. */
export async function userValues(options: Pick<RenderChartOptions, 'valuesFiles' | 'values' | 'set' | 'setString' | 'setJson' | 'setFile' | 'setLiteral'>): Promise<GoMap> {
  let base: GoMap = {};
  for (const file of options.valuesFiles ?? []) base = mergeMaps(base, await readValuesFile(file));
  for (const layer of options.values ?? []) base = mergeMaps(base, layer);
  for (const s of options.setJson ?? []) parseSetJson(s, base);
  for (const s of options.set ?? []) parseSet(s, base, false);
  for (const s of options.setString ?? []) parseSet(s, base, true);
  for (const s of options.setFile ?? []) parseSetFile(s, base, readSetFile);
  for (const s of options.setLiteral ?? []) parseSetLiteral(s, base);
  return base;
}

/**
 * Renders a chart as `helm template` does (Helm 3.21) and returns the result;
 * it never prints. Errors are AirlockErrors with Helm's wording.
 */
export async function renderChart(options: RenderChartOptions): Promise<RenderChartResult> {
  const vals = await userValues(options);
  const { chart: loaded, warnings } = await loadChart(options.chart);
  // checkIfInstallable: only application charts render on their own.
  if (loaded.metadata.type !== '' && loaded.metadata.type !== 'application') {
    throw new AirlockError('USAGE', `${loaded.metadata.type} charts are not installable`, { hint: 'render the application chart that depends on it' });
  }
  if (loaded.metadata.deprecated) warnings.push('WARNING: This chart is deprecated');
  checkDependencies(loaded);
  const warn = (m: string) => warnings.push(m);
  const chart = cloneChart(loaded);
  processDependencies(chart, vals, warn);

  const caps = capabilities({ ...(options.kubeVersion !== undefined ? { kubeVersion: options.kubeVersion } : {}), ...(options.apiVersions ? { apiVersions: options.apiVersions } : {}) });
  const isUpgrade = options.isUpgrade === true;
  const values = coalesceChart(chart, vals, false, warn);
  // Templates may change .Values as they run (`set $.Values …`, istio's profiles do): the
  // result reports the values as coalesced, before any template touched them.
  const coalesced = structuredClone(values);
  if (options.skipSchemaValidation !== true) checkSchemas(chart, values);
  if (chart.metadata.kubeVersion !== '' && !isCompatibleRange(chart.metadata.kubeVersion, caps.kubeVersion.version)) {
    throw new AirlockError('USAGE', `chart requires kubeVersion: ${chart.metadata.kubeVersion} which is incompatible with Kubernetes ${caps.kubeVersion.version}`, {
      hint: 'give the cluster version with --kube-version',
    });
  }
  const top = renderTop(values, { name: options.releaseName ?? 'release-name', namespace: options.namespace ?? 'default', revision: 1, isInstall: !isUpgrade, isUpgrade }, caps);
  const random = options.deterministic !== undefined ? seeded(options.deterministic) : undefined;
  const now = options.deterministic !== undefined ? () => new Date(Date.UTC(2024, 0, 1)) : undefined;
  const files = renderTemplates(chart, top, { ...(random ? { random } : {}), ...(now ? { now } : {}) });

  // NOTES.txt is rendered (its `fail` counts) but not printed; only the root chart's is kept.
  let notes = '';
  const rootNotes = `${chart.metadata.name}/templates/NOTES.txt`;
  for (const name of [...files.keys()]) {
    if (!name.endsWith('NOTES.txt')) continue;
    if (name === rootNotes) notes = files.get(name)!;
    files.delete(name);
  }
  const sorted = sortManifests(files);
  warnings.push(...sorted.skipped);
  const hooks: Hook[] = options.skipTests ? sorted.hooks.filter((h) => !h.events.includes('test')) : sorted.hooks;
  const documents: RenderedDocument[] = [
    ...(options.includeCrds ? crdDocuments(chart) : []),
    ...sorted.manifests.map((m: Manifest) => ({ source: m.source, content: m.content, kind: m.kind })),
    ...hooks.map((h) => ({ source: h.source, content: h.content, kind: h.kind, hook: h.events })),
  ];
  return {
    chart: { name: chart.metadata.name, version: chart.metadata.version, appVersion: chart.metadata.appVersion },
    documents,
    notes,
    values: coalesced,
    output: templateOutput(documents, options.showOnly ?? []),
    warnings,
  };
}

/** The text `helm template` prints: `---\n# Source: FILE\n` before each document; --show-only filters by path. */
export function templateOutput(documents: readonly RenderedDocument[], showOnly: readonly string[]): string {
  const manifests = documents.filter((d) => d.hook === undefined);
  const hooks = documents.filter((d) => d.hook !== undefined);
  let text = `${manifests.map((d) => `---\n# Source: ${d.source}\n${d.content}\n`).join('').trim()}\n`;
  for (const h of hooks) text += `---\n# Source: ${h.source}\n${h.content}\n`;
  if (showOnly.length === 0) return text;
  // Helm splits its own output again and matches each document's source below the chart name.
  const docs = splitManifests(text);
  let out = '';
  for (const pattern of showOnly) {
    const re = goPathMatcher(pattern.replaceAll('\\', '/'));
    let found = false;
    for (const doc of docs) {
      const m = /# Source: [^/]+\/(.+)/.exec(doc);
      if (!m || re === undefined || !re.test(m[1]!)) continue;
      out += `---\n${doc}\n`;
      found = true;
    }
    if (!found) throw new AirlockError('USAGE', `could not find template ${pattern} in chart`, { hint: 'give the path as templates/FILE (or charts/SUB/templates/FILE)' });
  }
  return out;
}
