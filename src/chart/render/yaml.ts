import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type ParsedNode } from 'yaml';
import { AirlockError, type ErrorCode } from '../../errors.js';
import type { GoMap, GoValue } from './template/types.js';
import { setKey } from './tree.js';

/**
 * YAML read the way Helm 3 reads values (sigs.k8s.io/yaml over yaml.v2, then
 * encoding/json): YAML 1.1 plain scalars (`yes`, `off`, `0755`, `1_000`), every
 * number a float64 (a JS number), maps with string keys (`1:` and `y:` become
 * "1" and "true"), only the first document. Plain scalars are resolved here, not
 * by the yaml package, whose 1.1 schema differs from yaml.v2 (sexagesimal
 * `8080:80`, floats needing a dot).
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

class Converter {
  private nodes = 0;
  private depth = 0;
  constructor(
    private readonly doc: Document.Parsed,
    private readonly budget: number,
    private readonly fail: (msg: string) => never,
  ) {}

  private count(): void {
    if (++this.nodes > this.budget) this.fail(`document contains excessive aliasing (more than ${this.budget} nodes once aliases are expanded)`);
  }

  value(node: ParsedNode | Node | null | undefined): GoValue {
    if (node === null || node === undefined) return null;
    this.count();
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) this.fail(`unknown anchor '${node.source}' referenced`);
      if (++this.depth > 1000) this.fail('anchors nested too deep');
      try {
        return this.value(target);
      } finally {
        this.depth--;
      }
    }
    if (isScalar(node)) {
      const v = this.scalar(node.value, node.type, node.tag);
      return v === MERGE ? '<<' : v;
    }
    if (isSeq(node)) return node.items.map((item) => this.value(item as Node));
    if (isMap(node)) {
      const out: GoMap = {};
      const merged: GoMap[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const rawKey = keyNode !== null && isScalar(keyNode) ? this.scalar(keyNode.value, keyNode.type, keyNode.tag) : undefined;
        if (rawKey === MERGE) {
          const src = this.value(pair.value as Node);
          for (const m of Array.isArray(src) ? src : [src]) {
            if (m === null || typeof m !== 'object' || Array.isArray(m) || m instanceof Uint8Array) this.fail('map merge requires map or sequence of maps as the value');
            merged.push(m as GoMap);
          }
          continue;
        }
        const key = rawKey !== undefined ? keyString(rawKey, this.fail) : keyString(this.value(keyNode), this.fail);
        setKey(out, key, this.value(pair.value as Node));
      }
      // Explicit keys win over merged ones; earlier merge sources win over later ones.
      for (const m of merged) for (const [k, v] of Object.entries(m)) if (!Object.hasOwn(out, k)) setKey(out, k, v);
      return out;
    }
    return null;
  }

  private scalar(value: unknown, type: string | undefined, tag: string | undefined): GoValue | typeof MERGE {
    const text = typeof value === 'string' ? value : String(value);
    const short = tag?.replace(/^tag:yaml\.org,2002:/, '!!');
    switch (short) {
      case '!!str': case '!!binary': case '!!timestamp':
        return text;
      case '!!null':
        return null;
      case '!!bool':
      case '!!int':
      case '!!float': {
        const v = resolvePlain(text);
        return v === MERGE ? text : v;
      }
    }
    if (type !== 'PLAIN') return text;
    return resolvePlain(text);
  }
}

function keyString(key: GoValue, fail: (msg: string) => never): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (typeof key === 'number') {
    if (Number.isNaN(key)) return '.nan';
    if (key === Infinity) return '.inf';
    if (key === -Infinity) return '-.inf';
    return String(key);
  }
  return fail(`unsupported map key of type: ${key === null ? 'nil' : typeof key}`);
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
  const docs = parseAllDocuments(clean, { schema: 'failsafe', merge: false, uniqueKeys: false, prettyErrors: false, strict: false });
  const first = (Array.isArray(docs) ? docs[0] : undefined) as Document.Parsed | undefined;
  if (first === undefined) return null;
  if (first.errors.length > 0) {
    const e = first.errors[0]!;
    const line = e.linePos?.[0]?.line;
    fail(`yaml: ${line !== undefined ? `line ${line}: ` : ''}${e.message.split('\n')[0]}`);
  }
  const budget = Math.max(MIN_NODE_BUDGET, Math.ceil(clean.length / 2));
  return new Converter(first, budget, fail).value(first.contents);
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
