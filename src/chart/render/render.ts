import { posix } from 'node:path';
import { AirlockError, messageOf } from '../../errors.js';
import { engineHooks, helmFuncMap, toYaml } from './funcs/index.js';
import type { Chart } from './load.js';
import { CapabilitiesObject, ChartObject, FilesObject, type HelmVersion, type KubeVersion } from './objects.js';
import { TemplateError, TemplateSet, type GoMap, type GoValue } from './template/index.js';
import { isTable, table } from './tree.js';

/**
 * Helm's engine (pkg/engine/engine.go of Helm 3.21): every template of the chart
 * and its enabled subcharts parsed into one set, deepest first so a parent's
 * `define` replaces a child's, then each non-partial file executed with its own
 * scope. `<no value>` is erased from every output, as Helm does.
 */

export interface ReleaseOptions {
  name: string;
  namespace: string;
  revision: number;
  isInstall: boolean;
  isUpgrade: boolean;
}

export interface Capabilities {
  kubeVersion: KubeVersion;
  apiVersions: readonly string[];
  helmVersion: HelmVersion;
}

export interface EngineOptions {
  random?: () => number;
  now?: () => Date;
}

interface Renderable {
  text: string;
  scope: GoMap;
  basePath: string;
}

const HELM_ERR = /HELM_ERR_START([\s\S]*)HELM_ERR_END/;

/** `<a>/charts/<b>`: Helm's ChartFullPath. */
export function chartFullPath(chart: Chart): string {
  return chart.parent === undefined ? chart.metadata.name : `${chartFullPath(chart.parent)}/charts/${chart.metadata.name}`;
}

function isLibrary(chart: Chart): boolean {
  return chart.metadata.type.toLowerCase() === 'library';
}

/** recAllTpls: each chart's scope (`next`) and its templates, subcharts first in the returned scope's Subcharts. */
function collect(chart: Chart, parentScope: GoMap, out: Map<string, Renderable>, toYamlFn: (v: GoValue) => string): GoMap {
  const subcharts: GoMap = {};
  const isRoot = chart.parent === undefined;
  const scope: GoMap = {
    Chart: new ChartObject(chart.metadata, isRoot),
    Files: FilesObject.of(chart.files, toYamlFn),
    Release: parentScope.Release ?? null,
    Capabilities: parentScope.Capabilities ?? null,
    Values: {},
    Subcharts: subcharts,
  };
  if (isRoot) scope.Values = parentScope.Values ?? {};
  else {
    const vs = isTable(parentScope.Values) ? table(parentScope.Values, chart.metadata.name) : undefined;
    if (vs !== undefined) scope.Values = vs;
  }
  for (const child of chart.dependencies) subcharts[child.metadata.name] = collect(child, scope, out, toYamlFn);
  const base = chartFullPath(chart);
  for (const t of chart.templates) {
    if (isLibrary(chart) && !posix.basename(t.name).startsWith('_')) continue;
    out.set(`${base}/${t.name}`, { text: Buffer.from(t.data).toString('utf8'), scope, basePath: `${base}/templates` });
  }
  return scope;
}

/** Helm's parse order: more path segments first, then reverse alphabetical (sort.Reverse(byPathLen)). */
function sortTemplates(names: string[]): string[] {
  const depth = (s: string) => s.split('/').length - 1;
  return [...names].sort((a, b) => {
    const d = depth(b) - depth(a);
    if (d !== 0) return d;
    return a < b ? 1 : a > b ? -1 : 0;
  });
}

function parseError(name: string, err: TemplateError): AirlockError {
  // cleanupParseError: "template: NAME:LINE: MSG" becomes "parse error at (NAME:LINE): MSG".
  const tokens = err.message.split(': ');
  const message = tokens.length === 1 ? `parse error in (${name}): ${err.message}` : `parse error at (${tokens[1]}): ${tokens[tokens.length - 1]}`;
  return new AirlockError('USAGE', message, { cause: err, hint: 'the chart has a template that does not parse; helm refuses it too' });
}

function execError(name: string, err: TemplateError, deepest: string | undefined): AirlockError {
  // An include that never ends: Helm stops it after 1000 levels with a message that nests
  // every level; JS's stack may end it sooner. One line names the template instead.
  if (/exceeded maximum template depth|nested reference name/.test(err.message) && (deepest !== undefined || err.message.length > 4000)) {
    const inner = deepest ?? [...err.message.matchAll(/executing "([^"]*)" at <include/g)].pop()?.[1] ?? name;
    return new AirlockError('USAGE', `execution error in (${name}): rendering template has a nested reference name: ${inner}: unable to execute template`, {
      cause: err,
      hint: `template "${inner}" includes itself without end`,
    });
  }
  // cleanupExecError: a `required`/`fail` message is cut out of Go's chain.
  const tokens = err.message.split(': ');
  if (tokens.length < 3) return new AirlockError('USAGE', `execution error in (${name}): ${err.message}`, { cause: err });
  const rest = tokens.slice(2).join(': ');
  const m = HELM_ERR.exec(rest);
  if (m) return new AirlockError('USAGE', `execution error at (${tokens[1]}): ${m[1]}`, { cause: err, hint: 'the chart asks for a value; set it with -f or --set' });
  return new AirlockError('USAGE', err.message, { cause: err, hint: 'a template failed; check the values it reads' });
}

/** A failure that is not the template's fault (a bug in the engine or a function): say which template hit it. */
function internal(name: string, err: unknown): unknown {
  if (err instanceof AirlockError) return err;
  return new AirlockError('INTERNAL', `rendering ${name} failed inside airlock: ${messageOf(err)}`, {
    cause: err,
    hint: 'this is a bug in airlock, not in the chart; please report it with the chart and values',
  });
}

/** Renders every template; returns the output of each non-partial file by its full name. */
export function renderTemplates(chart: Chart, top: GoMap, options: EngineOptions): Map<string, string> {
  const templates = new Map<string, Renderable>();
  // include and tpl as Helm wires them (funcs/hooks.ts); include also counts its depth per
  // name, to name the culprit if JS's stack runs out before Helm's limit.
  let set: TemplateSet | undefined;
  const hooks = engineHooks(() => set!);
  const depths = new Map<string, number>();
  let deepest = { name: '', depth: 0 };
  const funcs = helmFuncMap(
    {
      include: (name, data) => {
        const depth = (depths.get(name) ?? 0) + 1;
        depths.set(name, depth);
        if (depth > deepest.depth) deepest = { name, depth };
        try {
          return hooks.include(name, data);
        } finally {
          depths.set(name, depth - 1);
        }
      },
      tpl: hooks.tpl,
    },
    { ...(options.random ? { random: options.random } : {}), ...(options.now ? { now: options.now } : {}) },
  );
  const toYamlFn = (v: GoValue): string => toYaml(v);
  collect(chart, top, templates, toYamlFn);
  set = new TemplateSet({ funcs, missingKey: 'zero' });
  const order = sortTemplates([...templates.keys()]);
  for (const name of order) {
    try {
      set.parse(name, templates.get(name)!.text);
    } catch (err) {
      if (err instanceof TemplateError) throw parseError(name, err);
      throw internal(name, err);
    }
  }
  const rendered = new Map<string, string>();
  for (const name of order) {
    if (posix.basename(name).startsWith('_')) continue;
    const r = templates.get(name)!;
    r.scope.Template = { Name: name, BasePath: r.basePath };
    let out: string;
    try {
      out = set.execute(name, r.scope);
    } catch (err) {
      if (err instanceof TemplateError) throw execError(name, err, deepest.depth > 100 ? deepest.name : undefined);
      throw internal(name, err);
    }
    rendered.set(name, out.replaceAll('<no value>', ''));
  }
  return rendered;
}

/** The top-level objects Helm's ToRenderValues builds. */
export function renderTop(values: GoMap, release: ReleaseOptions, caps: Capabilities): GoMap {
  return {
    Capabilities: new CapabilitiesObject(caps.kubeVersion, caps.apiVersions, caps.helmVersion),
    Release: {
      Name: release.name,
      Namespace: release.namespace,
      IsUpgrade: release.isUpgrade,
      IsInstall: release.isInstall,
      Revision: BigInt(release.revision),
      Service: 'Helm',
    },
    Values: values,
  };
}
