import jsyaml from 'js-yaml';
import { AirlockError, type ErrorCode } from '../../errors.js';
import type { GoMap, GoValue } from './template/types.js';
import { setKey } from './tree.js';

/**
 * YAML read the way Helm 3 reads values (sigs.k8s.io/yaml over yaml.v2, then
 * encoding/json): YAML 1.1 plain scalars (`yes`, `off`, `0755`, `1_000`), every
 * number a float64 (a JS number), maps with string keys (`1:` and `y:` become
 * "1" and "true"), only the first document. Plain scalars are resolved here, not
 * here (js-yaml offers them to a custom implicit type), because YAML 1.1 schemas
 * of JS parsers differ from yaml.v2 (sexagesimal `8080:80`, floats needing a dot).
 */

/** A values text larger than this is refused before parsing: no chart needs it, and parsing it would stall. */
export const VALUES_TEXT_LIMIT = 20 * 1024 * 1024;
/** Nodes an expanded document may hold, at least; more is an alias bomb (billion laughs). */
const MIN_NODE_BUDGET = 250_000;

export interface YamlOptions {
  /** For messages: `values.yaml of mychart`, `-f prod.yaml`. */
  where: string;
  code?: ErrorCode;
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSES = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64) (then ParseUint), as a number; undefined when it is not an integer. */
function goInt(s: string): number | undefined {
  let body = s;
  let sign = 1n;
  if (body.startsWith('+') || body.startsWith('-')) {
    if (body.startsWith('-')) sign = -1n;
    body = body.slice(1);
  }
  let digits: string;
  let re: RegExp;
  let prefix: string;
  if (/^0[xX]/.test(body)) [digits, re, prefix] = [body.slice(2), /^[0-9a-fA-F]+$/, '0x'];
  else if (/^0[oO]/.test(body)) [digits, re, prefix] = [body.slice(2), /^[0-7]+$/, '0o'];
  else if (/^0[bB]/.test(body)) [digits, re, prefix] = [body.slice(2), /^[01]+$/, '0b'];
  else if (body.length > 1 && body.startsWith('0')) [digits, re, prefix] = [body.slice(1), /^[0-7]+$/, '0o'];
  else [digits, re, prefix] = [body, /^[0-9]+$/, ''];
  if (!re.test(digits)) return undefined;
  const v = sign * BigInt(prefix + digits);
  if (v > UINT64_MAX || v < -(INT64_MAX + 1n)) return undefined;
  if (v > INT64_MAX && sign < 0n) return undefined;
  return Number(v);
}

/** yaml.v2's resolve() for a plain (unquoted, untagged) scalar. */
export function resolvePlain(text: string): null | boolean | number | string | typeof MERGE {
  if (NULLS.has(text)) return null;
  if (TRUES.has(text)) return true;
  if (FALSES.has(text)) return false;
  switch (text) {
    case '.nan': case '.NaN': case '.NAN':
      return NaN;
    case '.inf': case '.Inf': case '.INF': case '+.inf': case '+.Inf': case '+.INF':
      return Infinity;
    case '-.inf': case '-.Inf': case '-.INF':
      return -Infinity;
    case '<<':
      return MERGE;
  }
  const c = text[0]!;
  if ((c >= '0' && c <= '9') || c === '-' || c === '+' || c === '.') {
    const plain = text.replaceAll('_', '');
    const i = goInt(plain);
    if (i !== undefined) return i;
    if (YAML_FLOAT.test(plain)) return Number(plain);
  }
  return text;
}

const MERGE: unique symbol = Symbol('merge');

/** A plain scalar, resolved as yaml.v2 does; js-yaml offers implicit types only to plain scalars, which is the rule. */
const goPlain = new jsyaml.Type('tag:airlock/go-plain', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && data !== '<<',
  construct: (data: string) => resolvePlain(data),
});

function explicit(tag: string, construct: (text: string) => unknown): jsyaml.Type {
  return new jsyaml.Type(`tag:yaml.org,2002:${tag}`, { kind: 'scalar', resolve: () => true, construct: (d: unknown) => construct(typeof d === 'string' ? d : String(d ?? '')) });
}

const typed = (text: string) => {
  const v = resolvePlain(text);
  return v === MERGE ? text : v;
};

/** yaml.v2 as sigs.k8s.io/yaml drives it: YAML 1.1 plain scalars; !!str, !!int… honoured. */
const GO_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [new jsyaml.Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (d: unknown) => d === '<<' }), goPlain],
  explicit: [
    explicit('null', () => null),
    explicit('bool', typed),
    explicit('int', typed),
    explicit('float', typed),
    explicit('binary', (t) => Buffer.from(t.replace(/\s/g, ''), 'base64').toString('utf8')),
    explicit('timestamp', (t) => t),
    // yaml.v2 reads a value under a tag it does not know as if untagged, a scalar as its text.
    new jsyaml.Type('!', { kind: 'scalar', multi: true, resolve: () => true, construct: (d: unknown) => (typeof d === 'string' ? d : String(d ?? '')) }),
    new jsyaml.Type('!', { kind: 'sequence', multi: true, resolve: () => true, construct: (d: unknown) => d ?? [] }),
    new jsyaml.Type('!', { kind: 'mapping', multi: true, resolve: () => true, construct: (d: unknown) => d ?? {} }),
  ],
});

/**
 * js-yaml shares one object between an anchor and its aliases; yaml.v2 decodes each
 * alias anew. Copying gives each use its own value (coalescing mutates maps) and
 * counts nodes, which stops alias bombs and alias cycles.
 */
function expand(v: unknown, budget: { left: number }, fail: (msg: string) => never, limit: number): GoValue {
  if (--budget.left < 0) fail(`document contains excessive aliasing (more than ${limit} nodes once aliases are expanded)`);
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => expand(x, budget, fail, limit));
  if (typeof v === 'object') {
    const out: GoMap = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) setKey(out, k, expand(x, budget, fail, limit));
    return out;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
}

/** Parses YAML text into Go's value model (first document only, as yaml.v2's Unmarshal). */
export function parseYaml(text: string, options: YamlOptions): GoValue {
  const code = options.code ?? 'USAGE';
  const fail = (msg: string): never => {
    throw new AirlockError(code, `${options.where}: ${msg}`, { hint: 'fix the YAML (helm would refuse it too)' });
  };
  if (text.length > VALUES_TEXT_LIMIT) {
    fail(`${text.length} bytes is more than the ${VALUES_TEXT_LIMIT}-byte limit for a YAML values text`);
  }
  const clean = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let first: unknown = null;
  try {
    let seen = false;
    jsyaml.loadAll(
      clean,
      (doc) => {
        if (!seen) first = doc;
        seen = true;
      },
      { schema: GO_SCHEMA, json: true },
    );
  } catch (err) {
    if (err instanceof jsyaml.YAMLException) fail(`yaml: line ${err.mark ? err.mark.line + 1 : 0}: ${err.reason}`);
    if (err instanceof RangeError) fail('document contains excessive aliasing (nested too deep)');
    throw err;
  }
  const limit = Math.max(MIN_NODE_BUDGET, Math.ceil(clean.length / 2));
  try {
    return expand(first, { left: limit }, fail, limit);
  } catch (err) {
    if (err instanceof RangeError) fail('document contains excessive aliasing (nested too deep)');
    throw err;
  }
}

/**
 * A values document: a map, as Helm requires (empty or null gives `{}`).
 * Throws the given code with `where` named.
 */
export function parseValues(text: string | Uint8Array, options: YamlOptions): GoMap {
  if (typeof text !== 'string' && text.length > VALUES_TEXT_LIMIT) {
    throw new AirlockError(options.code ?? 'USAGE', `${options.where}: ${text.length} bytes is more than the ${VALUES_TEXT_LIMIT}-byte limit for a YAML values text`, {
      hint: 'a values file this large is not a values file; check the path',
    });
  }
  const value = parseYaml(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'), options);
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new AirlockError(options.code ?? 'USAGE', `${options.where}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'bool' : 'number'} into Go value of type map[string]interface {}`, {
      hint: 'a values file is a YAML map at the top level',
    });
  }
  return value as GoMap;
}
