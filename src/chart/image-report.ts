import { parse as parseYaml } from 'yaml';
import { formatImageRef, parseImageRef } from '../ref/image.js';
import { imagesInManifests, type ImageUse, type ImageVia } from './manifest-images.js';
import type { Chart } from './render/index.js';
import type { RenderSession, SessionRender } from './session.js';
import { findSwitches, switchesOn, type Switch } from './switches.js';
import { formatValuesPath, getPath, traceImages, useKey, type TracedUse } from './trace.js';

export interface FoundAt {
  template: string;
  object: string;
  container?: string;
  field: string;
  via: ImageVia;
  /** The values keys whose text flows into the string (`--why`), found by rendering again with each changed. */
  valuesKeys: string[];
}

export interface ChartImage {
  /** Fully normalized: `docker.io/library/nginx:1.27`, tag and `@digest` as rendered. */
  reference: string;
  /** Pulled by a release with these values; false: behind a switch that is off. */
  deployed: boolean;
  found: FoundAt[];
  /** The chart that renders it: the top chart, or a subchart (`path` is its values path). */
  chart: { name: string; version: string; path: string };
  /** For images that are off: the switch that turns them on. */
  switch?: string;
}

export interface ImageReport {
  chart: { name: string; version: string };
  images: ChartImage[];
  /** The chart's `artifacthub.io/images` annotation against the render: names it lists that no render shows, and the reverse. */
  annotation?: { listed: string[]; notRendered: string[]; notListed: string[] };
  problems: string[];
}

export interface ReportOptions {
  /** Trace the values keys of every image (one or a few extra renders). */
  why?: boolean;
}

/** The rendered uses of one render, and the traced form when asked. */
interface Seen {
  render: SessionRender;
  uses: ImageUse[];
}

function uses(render: SessionRender, problems: string[]): ImageUse[] {
  const found = imagesInManifests(render.manifests);
  problems.push(...found.problems);
  return found.uses;
}

/** Subchart values path of a template: `top/charts/db/charts/metrics/templates/x.yaml` → `db.metrics`. */
function subchartPath(template: string): string[] {
  const parts = template.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length - 1; i++) if (parts[i] === 'charts') out.push(parts[i + 1]!);
  return out;
}

function chartAt(top: Chart, path: readonly string[]): { name: string; version: string; path: string } {
  let chart = top;
  for (const name of path) {
    const dep = chart.metadata.dependencies.find((d) => (d.alias !== '' ? d.alias : d.name) === name);
    const sub = chart.dependencies.find((c) => c.metadata.name === (dep?.name ?? name));
    if (sub === undefined) break;
    chart = sub;
  }
  return { name: chart.metadata.name, version: chart.metadata.version, path: path.join('.') };
}

/**
 * Turns every switch on, setting aside (and reporting) the ones that break the render:
 * a monitoring switch may need a CRD version, a feature flag another value. The
 * failing ones are found by halving, so a chart with 80 switches and 2 broken ones
 * costs a handful of renders, not 80.
 */
async function renderSwitchedOn(session: RenderSession, base: SessionRender, switches: Switch[], problems: string[]): Promise<{ render: SessionRender; on: Switch[] } | undefined> {
  const tryOn = (group: Switch[]) => session.probe(switchesOn(group, base.values)).then((r) => r, (err: unknown) => err as Error);
  const first = await tryOn(switches);
  if (!(first instanceof Error)) return { render: first, on: switches };
  const good: Switch[] = [];
  const split = async (group: Switch[], err: Error): Promise<void> => {
    if (group.length === 1) {
      problems.push(`turning ${group[0]!.what} on breaks the chart (${err.message.split('\n')[0]}); its images are not listed`);
      return;
    }
    for (const half of [group.slice(0, group.length >> 1), group.slice(group.length >> 1)]) {
      const r = await tryOn([...good, ...half]);
      if (r instanceof Error) await split(half, r);
      else good.push(...half);
    }
  };
  await split(switches, first);
  if (good.length === 0) return undefined;
  const render = await tryOn(good);
  return render instanceof Error ? undefined : { render, on: good };
}

/**
 * Which switch turns each off image on, without a render per switch: the subchart the
 * template belongs to, else the switch whose section holds a values key that flows into
 * the image (`metrics.enabled` for `metrics.image.tag`), else a render per switch when
 * there are only a few.
 */
async function attribute(session: RenderSession, base: SessionRender, on: Switch[], off: TracedUse[]): Promise<Map<string, string>> {
  const by = new Map<string, string>();
  const section = (s: Switch): string => formatValuesPath(s.path.slice(0, -1));
  for (const u of off) {
    if (by.has(u.reference)) continue;
    const sub = subchartPath(u.template).join('.');
    let hit = sub === '' ? undefined : on.find((x) => x.what.startsWith(`subchart ${sub} `));
    if (hit === undefined) {
      const keys = u.spans.map((sp) => formatValuesPath(sp.path));
      let best = -1;
      for (const s of on) {
        const sec = section(s);
        if (sec.length > best && keys.some((k) => sec === '' || k.startsWith(`${sec}.`))) {
          best = sec.length;
          hit = s;
        }
      }
    }
    if (hit !== undefined) by.set(u.reference, formatValuesPath(hit.path));
  }
  const missing = off.filter((u) => !by.has(u.reference));
  if (missing.length > 0 && on.length <= 6) {
    for (const s of on) {
      const single = await session.probe(switchesOn([s], base.values)).catch(() => undefined);
      for (const u of single === undefined ? [] : imagesInManifests(single.manifests).uses) if (!by.has(u.reference)) by.set(u.reference, formatValuesPath(s.path));
    }
  }
  for (const u of off) if (!by.has(u.reference)) by.set(u.reference, `one of: ${on.map((x) => formatValuesPath(x.path)).join(', ')}`);
  return by;
}

/** bitnami's documented switch for substituted images, when the chart has it (it changes no image). */
export function probePermit(values: Record<string, unknown>): Record<string, unknown> {
  return getPath(values, ['global', 'security', 'allowInsecureImages']) === false ? { global: { security: { allowInsecureImages: true } } } : {};
}

/** The images a chart's annotation lists, its subcharts' included (each lists its own); undefined when none has one. */
function annotationImages(chart: Chart): string[] | undefined {
  const all: string[] = [];
  let found = false;
  const visit = (c: Chart): void => {
    // Artifact Hub's key, and the bare `images` bitnami charts use for the same list.
    const text = c.metadata.annotations['artifacthub.io/images'] ?? c.metadata.annotations.images;
    if (text !== undefined) {
      found = true;
      all.push(...listed(text));
    }
    for (const d of c.dependencies) visit(d);
  };
  visit(chart);
  return found ? [...new Set(all)] : undefined;
}

function listed(text: string): string[] {
  let list: unknown;
  try {
    list = parseYaml(text) as unknown;
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list
    .map((e) => (typeof e === 'object' && e !== null ? (e as { image?: unknown }).image : undefined))
    .filter((i): i is string => typeof i === 'string')
    .map((i) => {
      try {
        return formatImageRef(parseImageRef(i));
      } catch {
        return i;
      }
    });
}

/**
 * Every image a release of the chart would run with the user's values (deployed), and
 * every image behind a switch that is off (not deployed, with the switch), each with
 * where it was found and, on request, the values keys that flow into it.
 */
export async function chartImageReport(session: RenderSession, options: ReportOptions = {}): Promise<ImageReport> {
  return (await analyzeChart(session, options)).report;
}

/** What a workflow that changes values (the overlay) needs beyond the report. */
export interface ChartAnalysis {
  report: ImageReport;
  base: SessionRender;
  /** Deployed uses, traced when `why` was asked. */
  deployed: TracedUse[];
  /** Uses behind switches, always traced. */
  off: TracedUse[];
  /** The layer that turns on every switch that renders. */
  switchLayer: Record<string, unknown>;
  /** The layer probes need (bitnami's allowInsecureImages), or {}. */
  permit: Record<string, unknown>;
}

/** The report, with the renders and traces it was made from. */
export async function analyzeChart(session: RenderSession, options: ReportOptions = {}): Promise<ChartAnalysis> {
  const problems: string[] = [];
  const base = await session.render();
  const deployed: Seen = { render: base, uses: uses(base, problems) };
  const deployedRefs = new Set(deployed.uses.map((u) => u.reference));

  const switches = findSwitches(session.chart, base.values);
  let off: Seen | undefined;
  let onSwitches: Switch[] = [];
  if (switches.length > 0) {
    const switched = await renderSwitchedOn(session, base, switches, problems);
    if (switched !== undefined) {
      onSwitches = switched.on;
      off = { render: switched.render, uses: uses(switched.render, []).filter((u) => !deployedRefs.has(u.reference)) };
    }
  }
  // Probes change image names; charts that refuse changed names (bitnami's
  // common.errors.insecureImages) are told it is fine, through their own switch.
  const permit = probePermit(base.values);
  const traced = new Map<string, TracedUse>();
  if (options.why) {
    for (const t of (await traceImages((o) => session.probe(permit, o), base, deployed.uses)).traced) traced.set(`d\0${useKey(t)}`, t);
  }
  let switchOf = new Map<string, string>();
  const switchLayer = switchesOn(onSwitches, base.values);
  let offTraced: TracedUse[] = [];
  if (off !== undefined && off.uses.length > 0) {
    // The off images are always traced: their values keys say which switch they are behind.
    offTraced = (await traceImages((o) => session.probe(switchLayer, permit, o), off.render, off.uses)).traced;
    for (const t of offTraced) traced.set(`o\0${useKey(t)}`, t);
    switchOf = await attribute(session, base, onSwitches, offTraced);
  }

  const images = new Map<string, ChartImage>();
  const add = (u: ImageUse, isDeployed: boolean): void => {
    const key = `${isDeployed}\0${u.reference}`;
    let image = images.get(key);
    if (image === undefined) {
      image = { reference: u.reference, deployed: isDeployed, found: [], chart: chartAt(session.chart, subchartPath(u.template)) };
      const sw = isDeployed ? undefined : switchOf.get(u.reference);
      if (sw !== undefined) image.switch = sw;
      images.set(key, image);
    }
    const t = traced.get(`${isDeployed ? 'd' : 'o'}\0${useKey(u)}`);
    image.found.push({
      template: u.template,
      object: u.object,
      ...(u.container !== undefined ? { container: u.container } : {}),
      field: u.field,
      via: u.via,
      valuesKeys: [...new Set((t?.spans ?? []).map((s) => formatValuesPath(s.path)))],
    });
  };
  for (const u of deployed.uses) add(u, true);
  for (const u of off?.uses ?? []) add(u, false);

  const report: ImageReport = {
    chart: { name: session.chart.metadata.name, version: session.chart.metadata.version },
    images: [...images.values()].sort((a, b) => Number(b.deployed) - Number(a.deployed) || a.reference.localeCompare(b.reference)),
    problems,
  };
  const listed = annotationImages(session.chart);
  if (listed !== undefined) {
    const rendered = new Set(report.images.map((i) => i.reference));
    report.annotation = { listed, notRendered: listed.filter((l) => !rendered.has(l)), notListed: [...rendered].filter((r) => !listed.includes(r)) };
  }
  const deployedTraced = deployed.uses.map((u) => traced.get(`d\0${useKey(u)}`) ?? { ...u, spans: [] });
  return { report, base, deployed: deployedTraced, off: offTraced, switchLayer, permit };
}
