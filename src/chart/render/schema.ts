import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { AirlockError, messageOf } from '../../errors.js';
import type { Chart } from './load.js';
import type { GoMap } from './template/types.js';
import { isTable, toJson } from './tree.js';

/**
 * values.schema.json checks, as Helm's ValidateAgainstSchema: the chart's own
 * schema against its values, then each subchart's against the values under its
 * name. Helm uses santhosh-tekuri/jsonschema v6 (default draft 2020-12; `format`
 * asserted up to draft-07); Ajv is set up the same way and its errors are
 * written in v6's words (`- at '/age': minimum: got -5, want 0`).
 */

// The ajv packages are CommonJS with `exports.default`; createRequire keeps typing simple under NodeNext.
const require = createRequire(import.meta.url);
type AjvLike = { compile(schema: unknown): ValidateFunction };
type AjvCtor = new (opts: Record<string, unknown>) => AjvLike;
const load = (id: string): AjvCtor => {
  const m = require(id) as { default?: AjvCtor };
  return (m.default ?? m) as AjvCtor;
};
const addFormats = (): ((ajv: AjvLike) => void) => {
  const m = require('ajv-formats') as { default?: (a: AjvLike) => void };
  return (m.default ?? m) as (a: AjvLike) => void;
};

function draftOf(schema: unknown): '4' | '6' | '7' | '2019' | '2020' {
  const id = isTable(schema as never) && typeof (schema as Record<string, unknown>).$schema === 'string' ? ((schema as Record<string, unknown>).$schema as string) : '';
  if (id.includes('draft-04')) return '4';
  if (id.includes('draft-06')) return '6';
  if (id.includes('draft-07')) return '7';
  if (id.includes('2019-09')) return '2019';
  return '2020';
}

function validatorFor(schema: unknown): ValidateFunction {
  const draft = draftOf(schema);
  const opts: Record<string, unknown> = { allErrors: true, strict: false, logger: false, validateFormats: draft === '4' || draft === '6' || draft === '7' };
  let ajv: AjvLike;
  if (draft === '4') ajv = new (load('ajv-draft-04'))(opts);
  else if (draft === '2019') ajv = new (load('ajv/dist/2019.js'))(opts);
  else if (draft === '2020') ajv = new (load('ajv/dist/2020.js'))(opts);
  else {
    ajv = new (load('ajv'))(opts);
    if (draft === '6') (ajv as unknown as { addMetaSchema(s: unknown): void }).addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  }
  addFormats()(ajv);
  // The draft is chosen above; Ajv knows each meta-schema under one spelling only
  // (http, with '#'), while charts write https or leave out the '#'.
  const root = isTable(schema as never) ? { ...(schema as Record<string, unknown>) } : schema;
  if (root !== schema) delete (root as Record<string, unknown>).$schema;
  return ajv.compile(root);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function quoted(list: unknown[]): string {
  return list.map((x) => (typeof x === 'string' ? `'${x}'` : JSON.stringify(x))).join(', ');
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return cur;
}

/** One Ajv error in santhosh-tekuri/jsonschema v6's words. */
function describe(e: ErrorObject, data: unknown): string | undefined {
  const p = e.params as Record<string, unknown>;
  const value = valueAt(data, e.instancePath);
  switch (e.keyword) {
    case 'type': {
      const got = jsonType(value) === 'integer' && String(p.type).includes('integer') ? 'integer' : jsonType(value) === 'integer' ? 'number' : jsonType(value);
      return `got ${got}, want ${String(p.type).split(',').join(' or ')}`;
    }
    case 'required':
      return `missing property '${String(p.missingProperty)}'`;
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
    case 'minLength': case 'maxLength': case 'minItems': case 'maxItems': case 'minProperties': case 'maxProperties': {
      const got = e.keyword.endsWith('Length') ? [...String(value)].length : e.keyword.endsWith('Items') && Array.isArray(value) ? value.length : e.keyword.endsWith('Properties') && value !== null && typeof value === 'object' ? Object.keys(value).length : value;
      return `${e.keyword}: got ${String(got)}, want ${String(p.limit)}`;
    }
    case 'pattern':
      return `'${String(value)}' does not match pattern '${String(p.pattern)}'`;
    case 'enum': {
      const allowed = Array.isArray(p.allowedValues) ? p.allowedValues : [];
      return allowed.length === 1 ? `value must be ${quoted(allowed)}` : `value must be one of ${quoted(allowed)}`;
    }
    case 'const':
      return `value must be ${quoted([p.allowedValue])}`;
    case 'additionalProperties':
      return `additional properties '${String(p.additionalProperty)}' not allowed`;
    case 'format':
      return `'${String(value)}' is not valid ${String(p.format)}`;
    case 'multipleOf':
      return `${String(value)} not multipleOf ${String(p.multipleOf)}`;
    case 'contains':
      return 'no items match contains schema';
    case 'false schema':
      return 'false schema';
    case 'anyOf':
      return 'anyOf failed';
    case 'oneOf': {
      const passing = p.passingSchemas;
      return Array.isArray(passing) ? `oneOf failed, subschemas ${passing.join(', ')} matched` : 'oneOf failed, none matched';
    }
    case 'not':
      return 'not failed';
    case 'if':
      return undefined; // its `then`/`else` failure is listed on its own
    default:
      return e.message ?? e.keyword;
  }
}

/** The text Helm's validator prints for one schema: `- at 'PATH': MESSAGE` lines, or '' when valid. */
export function validateSingle(values: GoMap, schemaBytes: Uint8Array, chartName: string): string {
  let schema: unknown;
  try {
    schema = JSON.parse(Buffer.from(schemaBytes).toString('utf8'));
  } catch (cause) {
    throw new AirlockError('ARCHIVE_INVALID', `${chartName}: values.schema.json is not valid JSON: ${messageOf(cause)}`, { cause, hint: 'helm refuses it too' });
  }
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (cause) {
    const msg = messageOf(cause);
    throw new AirlockError('ARCHIVE_INVALID', `${chartName}: values.schema.json cannot be used: ${msg}`, {
      cause,
      hint: /resolve reference|can't resolve/i.test(msg) ? 'the schema refers to another schema by URL; airlock does not fetch schemas (offline), helm would' : 'check the schema',
    });
  }
  const data = toJson(values);
  if (validate(data)) return '';
  return formatErrors(validate.errors ?? [], data);
}

/** Keywords whose failures v6 prints with the failures inside them indented below. */
const PARENTS = new Set(['contains', 'anyOf', 'oneOf', 'not']);

/**
 * v6 prints a tree: one `- at 'PATH': MESSAGE` line per failure, the failures
 * inside contains/anyOf/oneOf indented under them, siblings ordered by path.
 */
function formatErrors(errors: ErrorObject[], data: unknown): string {
  interface Node {
    line: string;
    path: string;
    schemaPath: string;
    children: Node[];
  }
  const nodes: Node[] = [];
  // Ajv reports each missing property apart; v6 names them together.
  const missing = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword !== 'required') continue;
    const key = `${e.instancePath}\u0000${e.schemaPath}`;
    missing.set(key, [...(missing.get(key) ?? []), String((e.params as Record<string, unknown>).missingProperty)]);
  }
  for (const e of errors) {
    if (e.keyword === 'required') {
      const names = missing.get(`${e.instancePath}\u0000${e.schemaPath}`);
      if (names === undefined) continue;
      missing.delete(`${e.instancePath}\u0000${e.schemaPath}`);
      const text = names.length === 1 ? `missing property '${names[0]}'` : `missing properties ${names.map((n) => `'${n}'`).join(', ')}`;
      nodes.push({ line: `- at '${e.instancePath}': ${text}`, path: e.instancePath, schemaPath: e.schemaPath, children: [] });
      continue;
    }
    const text = describe(e, data);
    if (text === undefined) continue;
    nodes.push({ line: `- at '${e.instancePath}': ${text}`, path: e.instancePath, schemaPath: e.schemaPath, children: [] });
  }
  const roots: Node[] = [];
  for (const n of nodes) {
    // The nearest parent failure whose schema location contains this one's.
    const parent = nodes
      .filter((p) => p !== n && PARENTS.has(p.schemaPath.slice(p.schemaPath.lastIndexOf('/') + 1)) && n.schemaPath.startsWith(`${p.schemaPath}/`))
      .sort((a, b) => b.schemaPath.length - a.schemaPath.length)[0];
    (parent ? parent.children : roots).push(n);
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (list: Node[], indent: string): void => {
    for (const n of [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      const line = `${indent}${n.line}`;
      if (indent === '' && seen.has(line)) continue;
      seen.add(line);
      out.push(`${line}\n`);
      walk(n.children, `${indent}  `);
    }
  };
  walk(roots, '');
  return out.join('');
}

/** Helm's ValidateAgainstSchema over the chart tree (after conditions removed disabled subcharts). */
export function validateAgainstSchema(chart: Chart, values: GoMap): string {
  let out = '';
  if (chart.schema !== undefined) {
    const err = validateSingle(values, chart.schema, chart.metadata.name);
    if (err !== '') out += `${chart.metadata.name}:\n${err}`;
  }
  for (const sub of chart.dependencies) {
    const raw = values[sub.metadata.name];
    if (raw === undefined || raw === null) continue;
    if (!isTable(raw)) {
      out += `${sub.metadata.name}:\ninvalid type for values: expected object (map), got ${Array.isArray(raw) ? '[]interface {}' : typeof raw === 'number' ? 'float64' : typeof raw}\n`;
      continue;
    }
    out += validateAgainstSchema(sub, raw);
  }
  return out;
}

export function checkSchemas(chart: Chart, values: GoMap): void {
  const err = validateAgainstSchema(chart, values);
  if (err !== '') {
    throw new AirlockError('USAGE', `values don't meet the specifications of the schema(s) in the following chart(s):\n${err}`, {
      hint: 'fix the values (-f/--set) to match the chart\'s values.schema.json',
    });
  }
}
