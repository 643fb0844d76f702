/**
 * Helm's toToml / fromToml (BurntSushi/toml v1). The encoder covers what values.yaml data
 * holds (tables, arrays, arrays of tables, strings, numbers, booleans); the parser covers
 * the common TOML subset (tables, dotted headers, arrays of tables, basic/literal strings,
 * numbers, booleans, inline arrays). BurntSushi is not in the Debian oracle: the corpus
 * cases for these carry `goDiffers`.
 */
import { GoObject, type GoMap, type GoValue } from '../template/types.js';
import { formatFloat, isGoMap, sortedKeys } from './gofmt.js';

function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

const BARE = /^[A-Za-z0-9_-]+$/;
const keyText = (k: string): string => (BARE.test(k) ? k : tomlString(k));

function scalar(v: GoValue): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    const s = formatFloat(v, 'f');
    return s.includes('.') ? s : s + '.0';
  }
  if (v instanceof GoObject) return tomlString(v.format());
  if (Array.isArray(v)) return '[' + v.map(scalar).join(', ') + ']';
  if (isGoMap(v)) return '{' + sortedKeys(v).map((k) => `${keyText(k)} = ${scalar(v[k] ?? null)}`).join(', ') + '}';
  return '""';
}

const isTable = (v: GoValue | undefined): boolean => isGoMap(v);
const isTableArray = (v: GoValue | undefined): boolean => Array.isArray(v) && v.length > 0 && v.every((x) => isGoMap(x));

export class TomlError extends Error {}

export function encodeToml(root: GoValue): string {
  if (!isGoMap(root)) throw new TomlError('toml: top-level values must be Go maps or structs');
  let out = '';
  const indentUnit = '  ';
  const writeTable = (m: GoMap, path: string[]) => {
    const ind = indentUnit.repeat(path.length);
    const keys = sortedKeys(m);
    for (const k of keys) {
      const v = m[k] ?? null;
      if (v === null || isTable(v) || isTableArray(v)) continue;
      out += `${ind}${keyText(k)} = ${scalar(v)}\n`;
    }
    for (const k of keys) {
      const v = m[k] ?? null;
      const p = [...path, k];
      const hind = indentUnit.repeat(path.length);
      if (isTable(v)) {
        if (out !== '') out += '\n';
        out += `${hind}[${p.map(keyText).join('.')}]\n`;
        writeTable(v as GoMap, p);
      } else if (isTableArray(v)) {
        for (const t of v as GoMap[]) {
          if (out !== '') out += '\n';
          out += `${hind}[[${p.map(keyText).join('.')}]]\n`;
          writeTable(t, p);
        }
      }
    }
  };
  writeTable(root, []);
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
