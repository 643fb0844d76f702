/**
 * Helm's toToml / fromToml (BurntSushi/toml v1). The encoder covers what values.yaml data
 * holds (tables, arrays, arrays of tables, strings, numbers, booleans); the parser covers
 * the common TOML subset (tables, dotted headers, arrays of tables, basic/literal strings,
 * numbers, booleans, inline arrays). BurntSushi is not in the Debian oracle: the corpus
 * cases for these carry `goDiffers`.
 */
import { GoObject, type GoMap, type GoValue } from '../template/types.js';
import { formatFloat, isGoMap, sortedKeys } from './gofmt.js';

/** BurntSushi's dblQuotedReplacer: \" \\ \b \t \n \f \r, other C0 controls and DEL as \u00xx. */
function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

const BARE = /^[A-Za-z0-9_-]+$/;
const keyText = (k: string): string => (k === '' ? '""' : BARE.test(k) ? k : tomlString(k));

/** floatAddDecimal: 'g' form, with ".0" unless it has a '.' or an exponent. */
function floatText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const s = formatFloat(v, 'g');
  return /[.e]/.test(s) ? s : s + '.0';
}

function isTable(v: GoValue | undefined): boolean {
  return isGoMap(v);
}
/** tomlArrayHash: a non-empty array whose elements are all tables. */
function isTableArray(v: GoValue | undefined): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((x) => isTable(x));
}

/** An inline value (eElement): arrays, inline tables, scalars. */
function element(v: GoValue): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return floatText(v);
  if (v instanceof Uint8Array) return '[' + Array.from(v).join(', ') + ']';
  if (Array.isArray(v)) return '[' + v.map((x) => element(x)).join(', ') + ']';
  if (v instanceof GoObject) return tomlString(v.format());
  if (isGoMap(v)) {
    const keys = sortedKeys(v).filter((k) => v[k] !== null && v[k] !== undefined);
    const direct = keys.filter((k) => !isTable(v[k]) && !isTableArray(v[k]));
    const sub = keys.filter((k) => isTable(v[k]) || isTableArray(v[k]));
    const parts = [...direct, ...sub].map((k) => `${keyText(k)} = ${element(v[k] ?? null)}`);
    return '{' + parts.join(', ') + '}';
  }
  throw new TomlError('toml: cannot encode a nil value');
}

export class TomlError extends Error {}

/** BurntSushi/toml v1.6 Encoder.Encode of a map, with its default two-space Indent. */
export function encodeToml(root: GoValue): string {
  if (!isGoMap(root)) {
    // a bare value is written as an element; a bare array of tables has no key
    if (isTableArray(root)) throw new TomlError('toml: top-level values must be Go maps or structs');
    if (root === null) return '';
    return element(root);
  }
  let out = '';
  const newline = () => {
    if (out !== '') out += '\n';
  };
  const indent = (key: string[]) => '  '.repeat(Math.max(0, key.length - 1));
  const keyString = (key: string[]) => key.map(keyText).join('.');
  const encode = (key: string[], v: GoValue) => {
    if (v === null) return;
    if (isTableArray(v)) {
      for (const t of v as GoMap[]) {
        newline();
        out += `${indent(key)}[[${keyString(key)}]]`;
        newline();
        eMap(key, t);
      }
      return;
    }
    if (isGoMap(v)) {
      if (key.length === 1) newline();
      out += `${indent(key)}[${keyString(key)}]`;
      newline();
      eMap(key, v);
      return;
    }
    out += `${indent(key)}${keyText(key[key.length - 1]!)} = ${element(v)}`;
    newline();
  };
  const eMap = (key: string[], m: GoMap) => {
    const keys = sortedKeys(m);
    const direct = keys.filter((k) => !isTable(m[k]) && !isTableArray(m[k]));
    const sub = keys.filter((k) => isTable(m[k]) || isTableArray(m[k]));
    for (const k of [...direct, ...sub]) encode([...key, k], m[k] ?? null);
  };
  eMap([], root);
  return out;
}

export function toToml(v: GoValue): string {
  try {
    return encodeToml(v);
  } catch (e) {
    return (e as Error).message;
  }
}

/** A small TOML reader: enough for configuration snippets in charts. */
export function parseToml(text: string): GoMap {
  const root: GoMap = {};
  let cur = root;
  const lines = text.split(/\r?\n/);
  const descend = (path: string[], arrayLast: boolean): GoMap => {
    let m = root;
    path.forEach((k, i) => {
      const last = i === path.length - 1;
      let next = m[k];
      if (last && arrayLast) {
        const arr = Array.isArray(next) ? next : (m[k] = []);
        const t: GoMap = {};
        (arr as GoValue[]).push(t);
        m = t;
        return;
      }
      if (Array.isArray(next)) next = next[next.length - 1] ?? null;
      if (!isGoMap(next)) {
        next = {};
        m[k] = next;
      }
      m = next as GoMap;
    });
    return m;
  };
  const splitKey = (s: string): string[] => s.split('.').map((k) => k.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
  let lineNo = 0;
  const parseValue = (src: string): [GoValue, string] => {
    src = src.trimStart();
    if (src.startsWith('"')) {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(src);
      if (!m) throw new TomlError(`toml: line ${lineNo}: unterminated string`);
      return [JSON.parse(`"${m[1]}"`) as string, src.slice(m[0].length)];
    }
    if (src.startsWith("'")) {
      const end = src.indexOf("'", 1);
      if (end < 0) throw new TomlError(`toml: line ${lineNo}: unterminated string`);
      return [src.slice(1, end), src.slice(end + 1)];
    }
    if (src.startsWith('[')) {
      const arr: GoValue[] = [];
      let rest = src.slice(1).trimStart();
      while (!rest.startsWith(']')) {
        const [v, r] = parseValue(rest);
        arr.push(v);
        rest = r.trimStart();
        if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith(']')) throw new TomlError(`toml: line ${lineNo}: expected a comma or array terminator`);
      }
      return [arr, rest.slice(1)];
    }
    const m = /^[^\s,\]#]+/.exec(src);
    if (!m) throw new TomlError(`toml: line ${lineNo}: expected value`);
    const t = m[0];
    const rest = src.slice(t.length);
    if (t === 'true' || t === 'false') return [t === 'true', rest];
    if (/^[+-]?(0|[1-9](_?[0-9])*)$/.test(t)) return [BigInt(t.replace(/_/g, '')), rest];
    if (/^[+-]?[0-9_]+(\.[0-9_]+)?([eE][+-]?[0-9_]+)?$/.test(t)) return [Number(t.replace(/_/g, '')), rest];
    if (/^[+-]?(inf|nan)$/.test(t)) return [t.includes('nan') ? NaN : t.startsWith('-') ? -Infinity : Infinity, rest];
    return [t, rest]; // dates and times stay text
  };
  for (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let m = /^\[\[(.+)\]\]\s*(#.*)?$/.exec(line);
    if (m) {
      cur = descend(splitKey(m[1]!), true);
      continue;
    }
    m = /^\[(.+)\]\s*(#.*)?$/.exec(line);
    if (m) {
      cur = descend(splitKey(m[1]!), false);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new TomlError(`toml: line ${lineNo}: expected '=' after a key`);
    const keys = splitKey(line.slice(0, eq));
    const [v, rest] = parseValue(line.slice(eq + 1));
    if (rest.trim() !== '' && !rest.trim().startsWith('#')) throw new TomlError(`toml: line ${lineNo}: expected a newline after the value`);
    let t = cur;
    for (const k of keys.slice(0, -1)) {
      if (!isGoMap(t[k])) t[k] = {};
      t = t[k] as GoMap;
    }
    t[keys[keys.length - 1]!] = v;
  }
  return root;
}

export function fromToml(text: string): GoMap {
  try {
    return parseToml(text);
  } catch (e) {
    return { Error: (e as Error).message };
  }
}
