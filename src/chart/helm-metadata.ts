/**
 * Chart.yaml read into Helm's chart.Metadata exactly as `helm push` does before it
 * writes the OCI config blob: sigs.k8s.io/yaml into the Go struct (string fields get
 * strings, whatever the YAML type), requirements.yaml over it, `apiVersion` v1 when
 * absent, Validate's sanitizing, then encoding/json with the struct's field order
 * and `omitempty` tags. Helm's `pull` and `install oci://` decode that blob back into
 * the same struct, so a number where Helm has a string breaks them.
 *
 * Field names and tags: helm.sh/helm/v3 pkg/chart/metadata.go and dependency.go.
 */
import { GoStruct, goJson } from './go-json.js';
import { goScalarText, parseGoYaml, YamlShapeError, type GoYaml } from './yaml-v2.js';

type Shape =
  | { t: 'string' }
  | { t: 'bool' }
  | { t: 'any' }
  | { t: 'list'; of: Shape }
  | { t: 'map' }
  | { t: 'struct'; fields: readonly Field[] };

interface Field {
  key: string;
  shape: Shape;
  /** `json:",omitempty"`; without it the zero value is written. */
  omit: boolean;
  /** Validate() runs sanitizeString on it. */
  sanitize?: boolean;
}

const STRING: Shape = { t: 'string' };
const STRINGS: Shape = { t: 'list', of: STRING };
const f = (key: string, shape: Shape, sanitize = false, omit = true): Field => ({ key, shape, omit, sanitize });

const MAINTAINER: Shape = { t: 'struct', fields: [f('name', STRING, true), f('email', STRING, true), f('url', STRING, true)] };

const DEPENDENCY: Shape = {
  t: 'struct',
  fields: [
    f('name', STRING, true, false),
    f('version', STRING, true),
    f('repository', STRING, true, false),
    f('condition', STRING, true),
    f('tags', STRINGS, true),
    f('enabled', { t: 'bool' }),
    f('import-values', { t: 'list', of: { t: 'any' } }),
    f('alias', STRING),
  ],
};

const METADATA: readonly Field[] = [
  f('name', STRING, true),
  f('home', STRING, true),
  f('sources', STRINGS, true),
  f('version', STRING),
  f('description', STRING, true),
  f('keywords', STRINGS, true),
  f('maintainers', { t: 'list', of: MAINTAINER }),
  f('icon', STRING, true),
  f('apiVersion', STRING),
  f('condition', STRING, true),
  f('tags', STRING, true),
  f('appVersion', STRING, true),
  f('deprecated', { t: 'bool' }),
  f('annotations', { t: 'map' }),
  f('kubeVersion', STRING, true),
  f('dependencies', { t: 'list', of: DEPENDENCY }),
  f('type', STRING),
];

/** A JSON-able value: what encoding/json would hold after decoding into the struct. */
type Value = string | boolean | number | null | Value[] | { [key: string]: Value };

export interface HelmMaintainer {
  name?: string;
  email?: string;
  url?: string;
}

export interface HelmDependency {
  name: string;
  version?: string;
  repository: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  'import-values'?: unknown[];
  alias?: string;
}

/** chart.Metadata with Helm's types; absent means Go's zero value. */
export interface HelmMetadata {
  name: string;
  home?: string;
  sources?: string[];
  version: string;
  description?: string;
  keywords?: string[];
  maintainers?: HelmMaintainer[];
  icon?: string;
  apiVersion?: string;
  condition?: string;
  tags?: string;
  appVersion?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  kubeVersion?: string;
  dependencies?: HelmDependency[];
  type?: string;
}

/** Why Helm's loader would refuse the file; the caller names the file. */
export class HelmMetadataError extends Error {}

const GO_KIND: Record<GoYaml['k'], string> = { null: 'null', str: 'string', bool: 'bool', int: 'number', float: 'number', seq: 'array', map: 'object' };

function mismatch(v: GoYaml, want: string, path: string): never {
  // The words of encoding/json's UnmarshalTypeError, which is what `helm` prints.
  throw new HelmMetadataError(`cannot unmarshal ${GO_KIND[v.k]} into ${path} of type ${want}`);
}

/** A value as encoding/json decodes it into interface{} (numbers are float64). */
function anyValue(v: GoYaml, path: string): Value {
  switch (v.k) {
    case 'null':
      return null;
    case 'str':
      return v.s;
    case 'bool':
      return v.b;
    case 'int':
      return Number(v.i);
    case 'float':
      if (!Number.isFinite(v.f)) throw new HelmMetadataError(`${path}: json: unsupported value: ${goScalarText(v)}`);
      return v.f;
    case 'seq':
      return v.items.map((item, i) => anyValue(item, `${path}[${i}]`));
    case 'map':
      return Object.fromEntries([...v.entries].map(([k, item]) => [k, anyValue(item, `${path}.${k}`)]));
  }
}

/**
 * encoding/json's Unmarshal of one value into a Go value of `shape` that holds
 * `current`: null leaves strings and booleans alone and clears lists, maps and pointers.
 */
function decode(v: GoYaml, shape: Shape, current: Value | undefined, path: string): Value | undefined {
  switch (shape.t) {
    case 'string': {
      if (v.k === 'null') return current;
      const text = goScalarText(v);
      return text ?? mismatch(v, 'string', path);
    }
    case 'bool':
      if (v.k === 'null') return current;
      return v.k === 'bool' ? v.b : mismatch(v, 'bool', path);
    case 'any':
      return anyValue(v, path);
    case 'list':
      if (v.k === 'null') return undefined;
      if (v.k !== 'seq') return mismatch(v, shape.of.t === 'struct' ? 'array of objects' : 'array', path);
      // A null element of a list of strings decodes to ""; of a list of structs, to a nil pointer.
      return v.items.map((item, i) => decode(item, shape.of, shape.of.t === 'string' ? '' : null, `${path}[${i}]`) ?? null);
    case 'map': {
      if (v.k === 'null') return undefined;
      if (v.k !== 'map') return mismatch(v, 'map[string]string', path);
      // fromEntries, not assignment: a key such as __proto__ must stay a key.
      const entries = Object.entries((current ?? {}) as Record<string, Value>);
      for (const [k, item] of v.entries) entries.push([k, decode(item, STRING, '', `${path}.${k}`) as string]);
      return Object.fromEntries(entries);
    }
    case 'struct': {
      if (v.k === 'null') return null;
      if (v.k !== 'map') return mismatch(v, 'struct', path);
      const out: Record<string, Value> = current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...current } : {};
      decodeFields(v, shape.fields, out, path);
      return out;
    }
  }
}

/**
 * Object keys reach encoding/json sorted (sigs.k8s.io/yaml marshals a Go map); each
 * finds its field by exact name, else case-insensitively, and later keys win.
 */
function decodeFields(v: Extract<GoYaml, { k: 'map' }>, fields: readonly Field[], out: Record<string, Value>, path: string): void {
  const keys = [...v.entries.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const key of keys) {
    const field = fields.find((fl) => fl.key === key) ?? fields.find((fl) => fl.key.toLowerCase() === key.toLowerCase());
    if (field === undefined) continue; // unknown keys are ignored, as encoding/json does
    const decoded = decode(v.entries.get(key)!, field.shape, out[field.key], path === '' ? field.key : `${path}.${field.key}`);
    if (decoded === undefined) delete out[field.key];
    else out[field.key] = decoded;
  }
}

/** Helm's sanitizeString: every Unicode space becomes ' ', anything unprintable is dropped. */
export function sanitizeString(s: string): string {
  return s.replace(/[\t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/gu, ' ').replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, '');
}

function sanitizeFields(out: Record<string, Value>, fields: readonly Field[], path: string): void {
  for (const field of fields) {
    const value = out[field.key];
    if (value === undefined) continue;
    if (field.shape.t === 'list' && field.shape.of.t === 'struct') {
      for (const item of value as (Record<string, Value> | null)[]) {
        // Metadata.Validate refuses these before anything else reads the chart.
        if (item === null) throw new HelmMetadataError(`${field.key} must not contain empty or null nodes`);
        sanitizeFields(item, field.shape.of.fields, `${path}${field.key}[]`);
      }
    }
    if (!field.sanitize) continue;
    if (typeof value === 'string') out[field.key] = sanitizeString(value);
    else if (Array.isArray(value)) out[field.key] = value.map((s) => sanitizeString(s as string));
  }
}

function parse(text: string, file: string): GoYaml {
  try {
    return parseGoYaml(text);
  } catch (cause) {
    const why = cause instanceof YamlShapeError ? cause.message : 'it is not valid YAML';
    throw new HelmMetadataError(`${file}: ${why}`);
  }
}

/**
 * chart.Metadata as Helm's loader leaves it: Chart.yaml, then requirements.yaml (apiVersion
 * v1 charts keep their dependencies there) decoded over it, then Validate's sanitizing.
 */
export function loadHelmMetadata(chartYaml: string, requirementsYaml?: string): HelmMetadata {
  const out: Record<string, Value> = {};
  for (const [file, text] of [['Chart.yaml', chartYaml], ['requirements.yaml', requirementsYaml]] as const) {
    if (text === undefined) continue;
    const doc = parse(text, file);
    if (doc.k === 'map') decodeFields(doc, METADATA, out, '');
    else if (doc.k !== 'null') mismatch(doc, 'chart.Metadata', file);
    // Helm 2 charts may lack apiVersion; Helm reads them as v1 (and writes that into the config).
    if (file === 'Chart.yaml' && (out.apiVersion ?? '') === '') out.apiVersion = 'v1';
  }
  sanitizeFields(out, METADATA, '');
  return { ...out, name: (out.name as string | undefined) ?? '', version: (out.version as string | undefined) ?? '' } as HelmMetadata;
}

function isEmpty(v: Value | undefined): boolean {
  return v === undefined || v === '' || v === false || (Array.isArray(v) && v.length === 0) ||
    (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

function ordered(v: Value, shape: Shape): unknown {
  if (v === null) return null;
  if (shape.t === 'list') return (v as Value[]).map((item) => ordered(item, shape.of));
  if (shape.t === 'struct') return orderedFields(v as Record<string, Value>, shape.fields);
  return v; // maps and interface{} values: goJson writes plain objects as Go maps
}

function orderedFields(v: Record<string, Value>, fields: readonly Field[]): GoStruct {
  const out: [string, unknown][] = [];
  for (const field of fields) {
    const value = v[field.key];
    if (field.omit && isEmpty(value)) continue;
    out.push([field.key, value === undefined ? '' : ordered(value, field.shape)]);
  }
  return new GoStruct(out);
}

/** json.Marshal(chart.Metadata): struct field order, `omitempty` honoured, Go's escaping. */
export function helmMetadataJson(meta: HelmMetadata): string {
  return goJson(orderedFields(meta as unknown as Record<string, Value>, METADATA));
}
