/** Helm's own template functions (pkg/engine/funcs.go and engine.go of Helm 3.21). */
import { TemplateFuncError, type FuncMap, type GoMap, type GoValue } from '../template/types.js';
import { argString, fn } from './args.js';
import { isGoMap } from './gofmt.js';
import { nilMap, nilSlice } from './strings.js';
import { jsonKindOf, marshalJSON, parseJSON } from './json.js';
import { fromYaml, fromYamlArray, toYaml } from './yaml.js';
import { toYamlPretty } from './yamlpretty.js';
import { fromToml, toToml } from './toml.js';

export interface HelmHooks {
  /** Execute the named template with data (the engine's ExecuteTemplate); throws Go's errors. */
  include(name: string, data: GoValue): string;
  /** Parse text into a clone of the current template set and execute it with data; throws Helm's errors. */
  tpl(text: string, data: GoValue): string;
  /** `lookup`: `helm template` has no cluster and returns an empty map. */
  lookup?(apiVersion: string, kind: string, namespace: string, name: string): GoMap;
}

/** Helm wraps `required` and `fail` messages so its error reporter can cut them out. */
export const warnWrap = (warn: string): string => `HELM_ERR_START${warn}HELM_ERR_END`;

const RECURSION_MAX = 1000;

function fromJson(s: string): GoMap {
  try {
    const v = parseJSON(s);
    // JSON null makes Unmarshal set the map to nil
    if (v === null) return nilMap();
    if (isGoMap(v)) return v;
    return { Error: `json: cannot unmarshal ${jsonKindOf(v)} into Go value of type map[string]interface {}` };
  } catch (e) {
    return { Error: (e as Error).message };
  }
}

function fromJsonArray(s: string): GoValue[] {
  try {
    const v = parseJSON(s);
    if (v === null) return nilSlice();
    if (Array.isArray(v)) return v;
    return [`json: cannot unmarshal ${jsonKindOf(v)} into Go value of type []interface {}`];
  } catch (e) {
    return [(e as Error).message];
  }
}

export function helmFuncs(hooks: HelmHooks): FuncMap {
  // Helm counts nested includes per name across include and tpl (includedNames).
  const included = new Map<string, number>();
  return {
    toYaml: fn(1, (v) => toYaml(v)),
    toYamlPretty: fn(1, (v) => toYamlPretty(v)),
    fromYaml: fn(1, (s) => fromYaml(argString(s))),
    fromYamlArray: fn(1, (s) => fromYamlArray(argString(s))),
    toJson: fn(1, (v) => {
      try {
        return marshalJSON(v);
      } catch {
        return '';
      }
    }),
    fromJson: fn(1, (s) => fromJson(argString(s))),
    fromJsonArray: fn(1, (s) => fromJsonArray(argString(s))),
    toToml: fn(1, (v) => toToml(v)),
    fromToml: fn(1, (s) => fromToml(argString(s))),
    include: fn(2, (n, data) => {
      const name = argString(n);
      const count = included.get(name);
      if (count !== undefined) {
        if (count > RECURSION_MAX) throw new TemplateFuncError(`rendering template has a nested reference name: ${name}: unable to execute template`);
        included.set(name, count + 1);
      } else included.set(name, 1);
      try {
        return hooks.include(name, data);
      } finally {
        included.set(name, (included.get(name) ?? 1) - 1);
      }
    }),
    tpl: fn(2, (t, data) => hooks.tpl(argString(t), data).replaceAll('<no value>', '')),
    required: fn(2, (w, val) => {
      const warn = argString(w);
      if (val === null || val === undefined || val === '') throw new TemplateFuncError(warnWrap(warn));
      return val;
    }),
    fail: fn(1, (m) => {
      throw new TemplateFuncError(warnWrap(argString(m)));
    }),
    lookup: fn(4, (a, k, ns, n) => {
      const [api, kind, namespace, name] = [argString(a), argString(k), argString(ns), argString(n)];
      return hooks.lookup ? hooks.lookup(api, kind, namespace, name) : {};
    }),
    // `helm template` runs without --enable-dns: Helm replaces getHostByName with one returning "".
    getHostByName: fn(1, (n) => {
      argString(n);
      return '';
    }),
  };
}
