/**
 * Helm's YAML: toYaml is sigs.k8s.io/yaml's Marshal = encoding/json, then go-yaml v2
 * Unmarshal of that JSON (numbers re-resolved as YAML 1.1 ints and floats), then go-yaml v2
 * Marshal (keys in its natural order, v2 quoting, folding at 80 columns).
 * fromYaml is go-yaml v2 parsing (YAML 1.1: yes/no/on/off are booleans) converted to JSON
 * and decoded by encoding/json (every number float64).
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node as YamlLibNode } from 'yaml';
import type { GoMap, GoValue } from '../template/types.js';
import { formatFloat, isGoMap, quoteGo } from './gofmt.js';
import { marshalJSON, parseJSON } from './json.js';
import { parseGoInt } from './cast.js';
import { emitYaml, type YNode } from './yamlemit.js';
import { isLetter, isDigit } from './unicode.js';

// ---------------------------------------------------------------------------
// go-yaml v2 resolve(): what a plain scalar means.

type Resolved = { tag: 'str'; v: string } | { tag: 'bool'; v: boolean } | { tag: 'null' } | { tag: 'int'; v: bigint } | { tag: 'float'; v: number } | { tag: 'timestamp'; v: string } | { tag: 'merge' };

const RESOLVE_MAP: Record<string, Resolved> = {};
for (const s of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) RESOLVE_MAP[s] = { tag: 'bool', v: true };
for (const s of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) RESOLVE_MAP[s] = { tag: 'bool', v: false };
for (const s of ['', '~', 'null', 'Null', 'NULL']) RESOLVE_MAP[s] = { tag: 'null' };
for (const s of ['.nan', '.NaN', '.NAN']) RESOLVE_MAP[s] = { tag: 'float', v: NaN };
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) RESOLVE_MAP[s] = { tag: 'float', v: Infinity };
for (const s of ['-.inf', '-.Inf', '-.INF']) RESOLVE_MAP[s] = { tag: 'float', v: -Infinity };
RESOLVE_MAP['<<'] = { tag: 'merge' };

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const U64_MAX = (1n << 64n) - 1n;

/** strconv.ParseUint(s, 0, 64) */
function parseGoUint(s: string): bigint | undefined {
  if (s.startsWith('-') || s.startsWith('+')) return undefined;
  const v = parseGoInt('+' + s); // parse as signed for syntax, then widen
  if (v !== undefined) return v >= 0n ? v : undefined;
  // beyond int64: parse the digits directly
  const m = /^(0x|0o|0b|0)?([0-9a-fA-F_]+)$/i.exec(s);
  if (!m) return undefined;
  const base = m[1] === undefined ? 10 : /x/i.test(m[1]) ? 16 : /b/i.test(m[1]) ? 2 : 8;
  const digits = m[2]!.replace(/_/g, '');
  let r = 0n;
  for (const ch of digits.toLowerCase()) {
    const d = parseInt(ch, 36);
    if (!(d < base)) return undefined;
    r = r * BigInt(base) + BigInt(d);
  }
  return r <= U64_MAX ? r : undefined;
}

/** strconv.ParseFloat as yaml uses it (the text already matched a float shape). */
function parseFloatText(s: string): number | undefined {
  const f = Number(s.replace(/^\+/, ''));
  return Number.isNaN(f) ? undefined : Number.isFinite(f) ? f : undefined;
}

/** go-yaml's parseTimestamp accepts 4-digit-year dates (and date-times): such plain scalars are not plain strings. */
function looksLikeTimestamp(s: string): boolean {
  if (!/^[0-9]{4}-/.test(s)) return false;
  return (
    /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$/.test(s) ||
    /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/.test(s) ||
    /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?$/.test(s)
  );
}

/** go-yaml's resolveTable: only scalars starting with these may be anything but a string. */
const HINTED = /^[-+0-9yYnNtTfFoO~.]/;

export function resolvePlain(s: string): Resolved {
  if (s !== '' && !HINTED.test(s)) return { tag: 'str', v: s };
  const item = RESOLVE_MAP[s];
  if (item) return item;
  const c = s[0];
  if (c === '.') {
    const f = /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? parseFloatText(s) : undefined;
    if (f !== undefined) return { tag: 'float', v: f };
    return { tag: 'str', v: s };
  }
  if (c === '+' || c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
    if (looksLikeTimestamp(s)) return { tag: 'timestamp', v: s };
    const plain = s.replace(/_/g, '');
    const i = parseGoInt(plain);
    if (i !== undefined) return { tag: 'int', v: i };
    const u = parseGoUint(plain);
    if (u !== undefined) return { tag: 'int', v: u };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = parseFloatText(plain);
      if (f !== undefined) return { tag: 'float', v: f };
    }
    if (plain.startsWith('0b')) {
      const b = /^[01]+$/.test(plain.slice(2)) ? BigInt('0b' + plain.slice(2)) : undefined;
      if (b !== undefined && b <= U64_MAX) return { tag: 'int', v: b };
    } else if (plain.startsWith('-0b')) {
      const b = /^[01]+$/.test(plain.slice(3)) ? -BigInt('0b' + plain.slice(3)) : undefined;
      if (b !== undefined && b >= -(1n << 63n)) return { tag: 'int', v: b };
    }
  }
  return { tag: 'str', v: s };
}

// ---------------------------------------------------------------------------
// toYaml

const ASCII = /^[\x00-\x7f]*$/;
const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAsciiDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * yaml.v2's keyList.Less for string keys: letters before digits, digit runs compared as
 * numbers. yaml.v3 (`v3`) puts a letter after a digit run first instead ("1e" < "10").
 */
export function yamlKeyLess(a: string, b: string, v3 = false): boolean {
  // runes as code points; ASCII strings index directly (the common case, and much faster)
  const ar = ASCII.test(a) ? null : [...a].map((c) => c.codePointAt(0)!);
  const br = ASCII.test(b) ? null : [...b].map((c) => c.codePointAt(0)!);
  const alen = ar ? ar.length : a.length;
  const blen = br ? br.length : b.length;
  const at = (i: number): number => (ar ? ar[i]! : a.charCodeAt(i));
  const bt = (i: number): number => (br ? br[i]! : b.charCodeAt(i));
  const letter = (c: number) => (c < 128 ? isAsciiLetter(c) : isLetter(c));
  const digit = (c: number) => (c < 128 ? isAsciiDigit(c) : isDigit(c));
  let digits = false;
  for (let i = 0; i < alen && i < blen; i++) {
    const ac = at(i);
    const bc = bt(i);
    if (ac === bc) {
      digits = digit(ac);
      continue;
    }
    const al = letter(ac);
    const bl = letter(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return v3 && digits ? al : bl;
    let an = 0n;
    let bn = 0n;
    if (ac === 48 || bc === 48) {
      for (let j = i - 1; j >= 0 && digit(at(j)); j--) {
        if (at(j) !== 48) {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < alen && digit(at(ai)); ai++) an = BigInt.asIntN(64, an * 10n + BigInt(at(ai) - 48));
    let bi = i;
    for (; bi < blen && digit(bt(bi)); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt(bt(bi) - 48));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return alen < blen;
}

/** Go's sort.Sort is not stable, but keys are distinct, so any correct sort gives the same order. */
export function yamlSortKeys(keys: string[], v3 = false): string[] {
  return [...keys].sort((x, y) => (yamlKeyLess(x, y, v3) ? -1 : yamlKeyLess(y, x, v3) ? 1 : 0));
}

/** The YAML node go-yaml v2's Marshal makes for a string. */
export function stringNode(s: string): YNode {
  const r = resolvePlain(s);
  const canUsePlain = r.tag === 'str' && !BASE60_FLOAT.test(s);
  return { kind: 'scalar', value: s, style: s.includes('\n') ? 'literal' : canUsePlain ? 'plain' : 'double' };
}

function floatText(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  return formatFloat(f, 'g');
}

/** A JSON value (as go-yaml v2 decodes encoding/json's output) to a YAML node. */
function jsonTextToNode(text: string): YNode {
  // Re-parse keeping number texts: go-yaml resolves each JSON number as a YAML 1.1 plain scalar.
  const NUM = Symbol('num');
  type J = null | boolean | string | { [NUM]: string } | J[] | { [k: string]: J };
  let i = 0;
  const parse = (): J => {
    const c = text[i]!;
    if (c === '{') {
      i++;
      const m: { [k: string]: J } = {};
      if (text[i] === '}') {
        i++;
        return m;
      }
      for (;;) {
        const keyStart = i;
        const k = parse() as string;
        // encoding/json leaves U+0085 raw; in a key go-yaml reads it as a line break, and
        // an implicit key cannot span lines: Unmarshal fails, and toYaml gives ""
        if (text.slice(keyStart, i).includes('\u0085')) throw new YamlError("yaml: could not find expected ':'");
        i++; // ':'
        m[k] = parse();
        if (text[i++] === '}') return m;
      }
    }
    if (c === '[') {
      i++;
      const a: J[] = [];
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(parse());
        if (text[i++] === ']') return a;
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return foldRawBreaks(s);
    }
    const m = /^(true|false|null|-?[0-9.eE+-]+)/.exec(text.slice(i, i + 400))!;
    i += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return { [NUM]: m[0] };
  };
  const toNode = (j: J): YNode => {
    if (j === null) return { kind: 'scalar', value: 'null', style: 'plain' };
    if (typeof j === 'boolean') return { kind: 'scalar', value: String(j), style: 'plain' };
    if (typeof j === 'string') return stringNode(j);
    if (Array.isArray(j)) return { kind: 'seq', items: j.map(toNode) };
    if (NUM in j) {
      const r = resolvePlain((j as { [NUM]: string })[NUM]);
      if (r.tag === 'int') return { kind: 'scalar', value: r.v.toString(), style: 'plain' };
      if (r.tag === 'float') return { kind: 'scalar', value: floatText(r.v), style: 'plain' };
      return { kind: 'scalar', value: (j as { [NUM]: string })[NUM], style: 'plain' };
    }
    const obj = j as { [k: string]: J };
    return { kind: 'map', pairs: yamlSortKeys(Object.keys(obj)).map((k) => [stringNode(k), toNode(obj[k]!)] as [YNode, YNode]) };
  };
  return toNode(parse());
}

/**
 * encoding/json leaves U+0085 (NEL) raw, and go-yaml reads it as a line break inside the
 * double-quoted JSON string: the break and the blanks around it fold to one space (or to
 * n-1 newlines for n breaks), as YAML line folding does.
 */
function foldRawBreaks(s: string): string {
  if (!s.includes('\u0085')) return s;
  return s.replace(/[ \t]*\u0085(?:[ \t]*\u0085)*[ \t]*/g, (m) => {
    const n = (m.match(/\u0085/g) ?? []).length;
    return n === 1 ? ' ' : '\n'.repeat(n - 1);
  });
}

/** sigs.k8s.io/yaml Marshal, with the trailing newline (Helm's toYaml trims it). Throws on JSON errors. */
export function marshalYaml(v: GoValue): string {
  return emitYaml(jsonTextToNode(marshalJSON(v)));
}

/** Helm's toYaml: errors give "". */
export function toYaml(v: GoValue): string {
  try {
    return marshalYaml(v).replace(/\n$/, '');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------
// fromYaml

export class YamlError extends Error {}

/** A YAML 1.1 (go-yaml v2) value, before the JSON conversion: ints stay bigint, floats number. */
type V2 = null | boolean | string | number | bigint | V2[] | Map<V2, V2>;

function nodeToV2(node: unknown, doc: Document): V2 {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return nodeToV2(node.resolve(doc), doc);
  if (isScalar(node)) {
    const raw = node.value;
    const s = typeof raw === 'string' ? raw : String(raw ?? '');
    const tag = node.tag;
    if ((node.type === 'PLAIN' || node.type === undefined) && tag !== 'tag:yaml.org,2002:binary') {
      if (tag === 'tag:yaml.org,2002:str' || tag === '!!str') return s;
      const r = resolvePlain(s);
      switch (r.tag) {
        case 'str':
        case 'timestamp':
          return s;
        case 'bool':
          return r.v;
        case 'null':
          return null;
        case 'int':
          return r.v;
        case 'float':
          return r.v;
        case 'merge':
          return '<<';
      }
    }
    // !!binary holds base64 and decodes to its bytes (a string, for interface{})
    if (tag === 'tag:yaml.org,2002:binary') return Buffer.from(s.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (tag === 'tag:yaml.org,2002:int' || tag === 'tag:yaml.org,2002:float') {
      const r = resolvePlain(s);
      if (r.tag === 'int' || r.tag === 'float') return r.v;
    }
    return s;
  }
  if (isSeq(node)) return node.items.map((n) => nodeToV2(n, doc));
  if (isMap(node)) {
    const m = new Map<V2, V2>();
    const merges: V2[] = [];
    for (const p of node.items) {
      const k = nodeToV2(p.key, doc);
      // go-yaml v2 refuses unhashable keys while decoding
      if (Array.isArray(k) || k instanceof Map) throw new YamlError(`error converting YAML to JSON: yaml: invalid map key: ${goSyntax(k)}`);
      const v = nodeToV2(p.value, doc);
      if (k === '<<' && isScalar(p.key) && (p.key as { type?: string }).type === 'PLAIN') {
        merges.push(v);
        continue;
      }
      m.set(keyOf(m, k), v);
    }
    // go-yaml v2 applies merge keys first, so explicit keys win
    if (merges.length) {
      const merged = new Map<V2, V2>();
      for (const mv of merges) {
        const list = Array.isArray(mv) ? mv : [mv];
        for (const src of list) {
          if (!(src instanceof Map)) throw new YamlError('yaml: map merge requires map or sequence of maps as the value');
          for (const [k, v] of src) if (!merged.has(keyOf(merged, k))) merged.set(keyOf(merged, k), v);
        }
      }
      for (const [k, v] of m) merged.set(keyOf(merged, k), v);
      return merged;
    }
    return m;
  }
  return null;
}

/** Map keys compare by value in Go (1 and "1" differ; two 1s are the same key). */
function keyOf(m: Map<V2, V2>, k: V2): V2 {
  if (typeof k === 'bigint' || typeof k === 'number') for (const e of m.keys()) if (e === k) return e;
  return k;
}

/** Go's %+#v of a go-yaml v2 value, for sigs.k8s.io/yaml's "unsupported map key" error. */
function goSyntax(v: V2, nested = false): string {
  if (v === null) return nested ? 'interface {}(nil)' : '<nil>';
  if (typeof v === 'string') return quoteGo(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v > (1n << 63n) - 1n ? '0x' + v.toString(16) : v.toString();
  if (typeof v === 'number') return formatFloat(v, 'g');
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => goSyntax(x, true)).join(', ')}}`;
  // fmt sorts map keys; keys of mixed types sort by type first, as Go's fmtsort does not portably
  const entries = [...v.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  return `map[interface {}]interface {}{${entries.map(([k, x]) => `${goSyntax(k, true)}:${goSyntax(x, true)}`).join(', ')}}`;
}

/** sigs.k8s.io/yaml's key conversion to JSON object keys. */
function jsonKey(k: V2, v: V2): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'bigint') return k.toString();
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'number') {
    const s = formatFloat(Math.fround(k), 'g');
    return s === '+Inf' ? '.inf' : s === '-Inf' ? '-.inf' : s === 'NaN' ? '.nan' : shortestFloat32(k);
  }
  const type = k === null ? '%!s(<nil>)' : Array.isArray(k) ? '[]interface {}' : 'map[interface {}]interface {}';
  throw new YamlError(`error converting YAML to JSON: unsupported map key of type: ${type}, key: ${goSyntax(k)}, value: ${goSyntax(v)}`);
}

/** strconv.FormatFloat(f, 'g', -1, 32): the shortest digits that round-trip through float32. */
function shortestFloat32(f: number): string {
  const f32 = Math.fround(f);
  for (let p = 1; p <= 9; p++) {
    const s = f32.toPrecision(p);
    if (Math.fround(Number(s)) === f32) return formatFloat(Number(s), 'g');
  }
  return formatFloat(f32, 'g');
}

function v2ToGo(v: V2): GoValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  // NaN and ±Inf stay here; encoding/json refuses them below, in its own (sorted) order
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(v2ToGo);
  const m: GoMap = {};
  for (const [k, x] of v) m[jsonKey(k, x)] = v2ToGo(x);
  return m;
}

/** go-yaml v2's Unmarshal reads the first document; an empty input is null. */
function parseV2(text: string): V2 {
  const docs = parseAllDocuments(text, { version: '1.1', schema: 'failsafe', uniqueKeys: false, merge: false, strict: false, prettyErrors: false });
  if (!Array.isArray(docs)) return null;
  const doc = docs[0];
  if (!doc) return null;
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    throw new YamlError(`error converting YAML to JSON: yaml: ${line !== undefined ? `line ${line}: ` : ''}${err.message.split('\n')[0]}`);
  }
  return nodeToV2(doc.contents as YamlLibNode | null, doc);
}

/** sigs.k8s.io/yaml Unmarshal into interface{}: YAML → JSON → Go values (numbers float64). */
export function parseYamlToGo(text: string): GoValue {
  const v = v2ToGo(parseV2(text));
  try {
    marshalJSON(v);
  } catch (e) {
    throw new YamlError(`error converting YAML to JSON: ${(e as Error).message}`);
  }
  return v;
}

function kindForJSON(v: GoValue): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'object';
}

/** Helm's fromYaml: a map; errors (including a non-map document) go into {"Error": text}. */
export function fromYaml(text: string): GoMap {
  try {
    const v = parseYamlToGo(text);
    // an empty or null document decodes to JSON null, which sigs.k8s.io/yaml decodes into
    // its own interface{} parameter (Decode(&obj)), leaving the map empty but not nil
    if (v === null) return {};
    if (isGoMap(v)) return v;
    return { Error: `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kindForJSON(v)} into Go value of type map[string]interface {}` };
  } catch (e) {
    return { Error: (e as Error).message };
  }
}

/** Helm's fromYamlArray: a list; errors become its only element. */
export function fromYamlArray(text: string): GoValue[] {
  try {
    const v = parseYamlToGo(text);
    if (v === null) return [];
    if (Array.isArray(v)) return v;
    return [`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kindForJSON(v)} into Go value of type []interface {}`];
  } catch (e) {
    return [(e as Error).message];
  }
}

export { parseJSON };
