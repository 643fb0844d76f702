import { isAirlockError } from '../errors.js';
import { formatImageRef, parseImageRef } from '../ref/image.js';
import { resolveChart, type ChartComponent, type ResolvedChart } from './components.js';
import type { LoadedChart } from './load.js';
import { formatPath, isMap, type ValuePath, type Values } from './values-tree.js';

/**
 * How an image is written, which an overlay keeps:
 * - `string`: one full reference, `operator.image: ghcr.io/org/op:v1`;
 * - `registry+repository`: a map with the host split out, `{registry: ghcr.io, repository: org/web, tag: "1.0"}`;
 * - `repository`: a map whose repository holds the host, `{repository: ghcr.io/org/web, tag: "1.0"}`;
 * - `template`: a literal `image:` line in a template, which no values file can change.
 */
export type ImageShape = 'string' | 'registry+repository' | 'repository' | 'template';

/** The parts of a map-shaped image, as found (tags that YAML would read as numbers kept as written). */
export interface ImageFields {
  /** The key that holds the repository: `repository`, or `image` in `{image: x, tag: y}`. */
  repositoryKey: 'repository' | 'image';
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export interface ImageFinding {
  where: 'values' | 'template';
  /** Values path from the top chart (`frontend.image`), or the template file and line (`templates/job.yaml:7`). */
  path: string;
  /** Values findings: the keys of the entry (of the map, for map shapes). */
  keys?: (string | number)[];
  shape: ImageShape;
  /** As written: the string, or the map's parts joined. */
  written: string;
  /** The normalized reference (`docker.io/library/nginx:1.27`), when the chart alone resolves it. */
  reference?: string;
  /** Why the chart alone does not resolve it. */
  computed?: string;
  /** For a map with no tag: the references with the chart's appVersion, which templates usually default the tag to. */
  guesses?: string[];
  /** Whether a tag or digest was written (a bare `busybox` means latest, and an overlay keeps it bare). */
  explicitTag?: boolean;
  fields?: ImageFields;
  /** Values path of the chart it belongs to ('' for the top chart). */
  component: string;
  chart: { name: string; version: string; alias?: string };
  /** Set when the chart it belongs to is switched off by its condition or tags. */
  disabled?: string;
}

export interface ComponentInfo {
  /** Values path ('' for the top chart). */
  path: string;
  name: string;
  version: string;
  alias?: string;
  disabled?: string;
}

export interface ChartImages {
  chart: { name: string; version: string; origin: string };
  components: ComponentInfo[];
  findings: ImageFinding[];
  /** `image:` lines in templates computed from values: checked only through the values they read. */
  templated: number;
  problems: string[];
}

export const CROSS_CHECK_NOTE =
  'values can be overridden and templates can compute image names: this list is a cross-check, not the source of truth';

/** Keys whose string value is an image even without a registry host: image, initImage, toolhiveRunnerImage, imageName. */
const IMAGE_KEY = /image(?:ref|name)?$/i;
/** Keys holding a list of image strings. */
const IMAGE_LIST_KEY = /images$/i;
/** Keys whose value is an address, never an image, however much it looks like one (`url: example.com/docs:8080`). */
const ADDRESS_KEY = /(?:url|uri|endpoint|host|hostname|address|link|href|server|domain|path)s?$/i;

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A string with a registry host first and a tag or digest: `ghcr.io/org/op:v1`, `localhost:5000/x@sha256:…`. */
function looksLikeFullReference(s: string): boolean {
  if (/\s/.test(s) || s.includes('://')) return false;
  const slash = s.indexOf('/');
  if (slash <= 0) return false;
  const first = s.slice(0, slash);
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return false;
  return s.slice(s.lastIndexOf('/') + 1).includes(':') || s.includes('@sha256:');
}

function normalized(text: string): { reference?: string; error?: string } {
  try {
    return { reference: formatImageRef(parseImageRef(text)) };
  } catch (err) {
    if (isAirlockError(err)) return { error: err.message };
    throw err;
  }
}

/** The image in a map, if it is one: `{registry?, repository, tag?, digest?}`, or `{image, tag}`. */
function imageFields(map: Values, key: string | number | undefined): ImageFields | undefined {
  let repositoryKey: ImageFields['repositoryKey'];
  if (typeof map.repository === 'string') repositoryKey = 'repository';
  else if (typeof map.image === 'string' && ('tag' in map || 'digest' in map)) repositoryKey = 'image';
  else return undefined;
  const repository = (map[repositoryKey] as string).trim();
  if (repository === '') return undefined;
  const imageish = typeof key === 'string' && IMAGE_KEY.test(key);
  // A bare `repository:` (a git URL, a chart repo) is an image only with its image companions, or under an image key.
  if (repositoryKey === 'repository' && !('tag' in map || 'digest' in map || 'registry' in map || imageish)) return undefined;
  const fields: ImageFields = { repositoryKey, repository };
  const registry = scalarText(map.registry);
  const tag = scalarText(map.tag);
  const digest = scalarText(map.digest);
  if (registry !== undefined) fields.registry = registry;
  if (tag !== undefined) fields.tag = tag;
  if (digest !== undefined) fields.digest = digest;
  return fields;
}

function joinFields(f: Pick<ImageFields, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${f.registry !== undefined ? `${f.registry}/` : ''}${f.repository}${f.tag !== undefined ? `:${f.tag}` : ''}${f.digest !== undefined ? `@${f.digest}` : ''}`;
}

interface Owner {
  component: string;
  chart: LoadedChart;
  alias?: string;
  disabled?: string;
}

function ownerOf(components: readonly ChartComponent[], keys: ValuePath): Owner {
  let best = components[0]!;
  for (const c of components) {
    if (c.keys.length > best.keys.length && c.keys.length <= keys.length && c.keys.every((k, i) => keys[i] === k)) best = c;
  }
  const owner: Owner = { component: formatPath(best.keys), chart: best.chart };
  if (best.alias !== undefined) owner.alias = best.alias;
  if (best.disabled !== undefined) owner.disabled = best.disabled;
  return owner;
}

function attach(finding: Omit<ImageFinding, 'component' | 'chart'>, owner: Owner): ImageFinding {
  const out: ImageFinding = {
    ...finding,
    component: owner.component,
    chart: { name: owner.chart.name, version: owner.chart.version, ...(owner.alias !== undefined ? { alias: owner.alias } : {}) },
  };
  if (owner.disabled !== undefined) out.disabled = owner.disabled;
  return out;
}

function mapFinding(fields: ImageFields, keys: (string | number)[], owner: Owner): ImageFinding {
  const written = joinFields(fields);
  const base: Omit<ImageFinding, 'component' | 'chart'> = {
    where: 'values',
    path: formatPath(keys),
    keys,
    shape: fields.registry !== undefined ? 'registry+repository' : 'repository',
    written,
    fields,
    explicitTag: fields.tag !== undefined || fields.digest !== undefined,
  };
  if (written.includes('{{')) return attach({ ...base, computed: 'a template expression (rendered by the chart with tpl)' }, owner);
  if (fields.tag === undefined && fields.digest === undefined) {
    const app = owner.chart.appVersion;
    const guesses = app === undefined ? [] : [...new Set([app, app.startsWith('v') ? app.slice(1) : `v${app}`])]
      .map((tag) => normalized(joinFields({ ...fields, tag })).reference)
      .filter((r): r is string => r !== undefined);
    const why = app === undefined ? 'no tag in values, and the chart has no appVersion' : `no tag in values: the templates choose it (usually the chart's appVersion ${app})`;
    return attach({ ...base, computed: why, ...(guesses.length > 0 ? { guesses } : {}) }, owner);
  }
  const n = normalized(written);
  return attach(n.reference !== undefined ? { ...base, reference: n.reference } : { ...base, computed: `not a valid image reference: ${n.error}` }, owner);
}

function stringFinding(text: string, keys: (string | number)[], owner: Owner): ImageFinding {
  const base: Omit<ImageFinding, 'component' | 'chart'> = {
    where: 'values',
    path: formatPath(keys),
    keys,
    shape: 'string',
    written: text,
    explicitTag: /:[^/]+$/.test(text.replace(/@.*$/, '')) || text.includes('@'),
  };
  if (text.includes('{{')) return attach({ ...base, computed: 'a template expression (rendered by the chart with tpl)' }, owner);
  const n = normalized(text);
  return attach(n.reference !== undefined ? { ...base, reference: n.reference } : { ...base, computed: `not a valid image reference: ${n.error}` }, owner);
}

function scanValues(resolved: ResolvedChart): ImageFinding[] {
  const findings: ImageFinding[] = [];
  const walk = (node: unknown, keys: (string | number)[]): void => {
    const key = keys[keys.length - 1];
    if (isMap(node)) {
      const fields = imageFields(node, key);
      if (fields !== undefined) {
        findings.push(mapFinding(fields, keys, ownerOf(resolved.components, keys)));
        return;
      }
      for (const [k, v] of Object.entries(node)) walk(v, [...keys, k]);
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, [...keys, i]));
      return;
    }
    if (typeof node !== 'string' || node.trim() === '') return;
    const text = node.trim();
    const parentKey = keys[keys.length - 2];
    const imageish =
      (typeof key === 'string' && IMAGE_KEY.test(key)) || (typeof key === 'number' && typeof parentKey === 'string' && IMAGE_LIST_KEY.test(parentKey));
    // `image: {registryServerUrl: host/path:tag}` (a real chart's shape) is an image despite its key.
    const address = typeof key === 'string' && ADDRESS_KEY.test(key) && !(typeof parentKey === 'string' && IMAGE_KEY.test(parentKey));
    if (imageish || (!address && looksLikeFullReference(text))) {
      const finding = stringFinding(text, keys, ownerOf(resolved.components, keys));
      // Under a non-image key, only what really parses counts (a URL with a port is not an image).
      if (imageish || finding.reference !== undefined) findings.push(finding);
    }
  };
  walk(resolved.values, []);
  return findings;
}

/** `image: x` or `- image: "x"` or `"image": "x",` on one line. */
const TEMPLATE_IMAGE_LINE = /^\s*(?:-\s+)?["']?image["']?\s*:\s*(.*)$/;

function scanTemplates(resolved: ResolvedChart): { findings: ImageFinding[]; templated: number } {
  const findings: ImageFinding[] = [];
  let templated = 0;
  for (const c of resolved.components) {
    const owner = ownerOf(resolved.components, c.keys);
    for (const t of c.chart.templates) {
      const lines = t.text.split('\n');
      lines.forEach((line, i) => {
        const m = TEMPLATE_IMAGE_LINE.exec(line);
        if (!m) return;
        const value = m[1]!.replace(/\s+#.*$/, '').replace(/,\s*$/, '').trim().replace(/^(["'])(.*)\1$/, '$2').trim();
        if (value === '') return;
        if (value.includes('{{')) {
          templated++;
          return;
        }
        const n = normalized(value);
        if (n.reference === undefined) return;
        findings.push(
          attach(
            { where: 'template', path: `${t.path}:${i + 1}`, shape: 'template', written: value, reference: n.reference, explicitTag: value.includes(':') || value.includes('@') },
            owner,
          ),
        );
      });
    }
  }
  return { findings, templated };
}

/** Every image reference the chart and its subcharts name, in values and as literal template lines. */
export function findImages(resolved: ResolvedChart): ChartImages {
  const templates = scanTemplates(resolved);
  return {
    chart: { name: resolved.top.name, version: resolved.top.version, origin: resolved.top.origin },
    components: resolved.components.map((c) => {
      const info: ComponentInfo = { path: formatPath(c.keys), name: c.chart.name, version: c.chart.version };
      if (c.alias !== undefined) info.alias = c.alias;
      if (c.disabled !== undefined) info.disabled = c.disabled;
      return info;
    }),
    findings: [...scanValues(resolved), ...templates.findings],
    templated: templates.templated,
    problems: resolved.problems,
  };
}

/** Places the subcharts, applies `--values` files and finds the images, in one call. */
export function listChartImages(chart: LoadedChart, userValues: readonly Values[] = []): ChartImages {
  return findImages(resolveChart(chart, userValues));
}
