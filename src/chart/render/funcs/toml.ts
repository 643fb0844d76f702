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

/**
 * A TOML reader for fromToml: tables, dotted and quoted keys, arrays of tables, inline
 * tables, (multi-line) basic and literal strings, integers (int64; hex, octal, binary),
 * floats, booleans; dates and times stay text. Errors name the line as BurntSushi does.
 */
export function parseToml(text: string): GoMap {
  const root: GoMap = {};
  let i = 0;
  let line = 1;
  const err = (msg: string): never => {
    throw new TomlError(`toml: line ${line}: ${msg}`);
  };
  const peek = (): string | undefined => text[i];
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const comment = () => {
    if (text[i] === '#') while (i < text.length && text[i] !== '\n') i++;
  };
  const newlines = () => {
    for (;;) {
      ws();
      comment();
      if (text[i] === '\r' && text[i + 1] === '\n') i++;
      if (text[i] === '\n') {
        i++;
        line++;
        continue;
      }
      return;
    }
  };
  const escape = (): string => {
    const c = text[i++];
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\', e: '\x1b' };
    if (c !== undefined && simple[c] !== undefined) return simple[c]!;
    if (c === 'u' || c === 'U') {
      const n = c === 'u' ? 4 : 8;
      const h = text.slice(i, i + n);
      if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) err(`invalid escape: '\\${c}${h}'`);
      i += n;
      return String.fromCodePoint(parseInt(h, 16));
    }
    return err(`invalid escape in string '\\${c ?? ''}'`);
  };
  const QQQ = '"""';
  const SSS = "'''";
  const basicString = (): string => {
    const multi = text.startsWith(QQQ, i);
    i += multi ? 3 : 1;
    if (multi && text[i] === '\n') {
      i++;
      line++;
    }
    let out = '';
    for (;;) {
      if (i >= text.length) err(`unexpected EOF; expected '"'`);
      if (multi ? text.startsWith(QQQ, i) : text[i] === '"') {
        i += multi ? 3 : 1;
        return out;
      }
      const c = text[i]!;
      if (c === '\\') {
        i++;
        if (multi && /[ \t\r\n]/.test(text[i] ?? '')) {
          // a line-ending backslash trims the break and the blanks after it
          while (/[ \t\r\n]/.test(text[i] ?? '')) {
            if (text[i] === '\n') line++;
            i++;
          }
          continue;
        }
        out += escape();
        continue;
      }
      if (c === '\n') {
        if (!multi) err('strings cannot contain newlines');
        line++;
      }
      out += c;
      i++;
    }
  };
  const literalString = (): string => {
    const multi = text.startsWith(SSS, i);
    i += multi ? 3 : 1;
    if (multi && text[i] === '\n') {
      i++;
      line++;
    }
    const end = text.indexOf(multi ? SSS : "'", i);
    if (end < 0) err(`unexpected EOF; expected "'"`);
    const s = text.slice(i, end);
    if (!multi && s.includes('\n')) err('strings cannot contain newlines');
    line += (s.match(/\n/g) ?? []).length;
    i = end + (multi ? 3 : 1);
    return s;
  };
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      ws();
      const c = peek();
      if (c === '"') parts.push(basicString());
      else if (c === "'") parts.push(literalString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i, i + 256));
        if (!m) {
          if (i >= text.length) err(`unexpected EOF; expected key separator '='`);
          return err(`bare keys cannot contain ${JSON.stringify(c)}`);
        }
        parts.push(m[0]);
        i += m[0].length;
      }
      ws();
      if (peek() === '.') {
        i++;
        continue;
      }
      return parts;
    }
  };
  const setPath = (m: GoMap, k: string[], v: GoValue) => {
    let t = m;
    for (const part of k.slice(0, -1)) {
      if (!isGoMap(t[part])) t[part] = {};
      t = t[part] as GoMap;
    }
    const last = k[k.length - 1]!;
    if (Object.prototype.hasOwnProperty.call(t, last)) err(`Key '${k.join('.')}' has already been defined.`);
    t[last] = v;
  };
  const value = (): GoValue => {
    ws();
    const c = peek();
    if (c === '"') return basicString();
    if (c === "'") return literalString();
    if (c === '[') {
      i++;
      const arr: GoValue[] = [];
      for (;;) {
        newlines();
        if (peek() === ']') {
          i++;
          return arr;
        }
        arr.push(value());
        newlines();
        if (peek() === ',') {
          i++;
          continue;
        }
        if (peek() === ']') {
          i++;
          return arr;
        }
        err(`expected a comma (',') or array terminator (']'), but got ${JSON.stringify(peek() ?? 'EOF')}`);
      }
    }
    if (c === '{') {
      i++;
      const t: GoMap = {};
      ws();
      if (peek() === '}') {
        i++;
        return t;
      }
      for (;;) {
        const k = key();
        if (peek() !== '=') err(`expected key separator '=', but got ${JSON.stringify(peek() ?? 'EOF')} instead`);
        i++;
        setPath(t, k, value());
        ws();
        if (peek() === ',') {
          i++;
          continue;
        }
        if (peek() === '}') {
          i++;
          return t;
        }
        err(`expected a comma or an inline table terminator '}', but got ${JSON.stringify(peek() ?? 'EOF')} instead`);
      }
    }
    const m = /^[^\s,\]}#]+/.exec(text.slice(i, i + 512));
    if (!m) return err('expected value but found EOF instead');
    // a date-time may hold one space between the date and the time
    const dt = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(:\d{2})?[^\s,\]}#]*)/.exec(text.slice(i, i + 512));
    const t = dt ? dt[0] : m[0];
    i += t.length;
    if (t === 'true' || t === 'false') return t === 'true';
    if (/^[+-]?(0|[1-9](_?[0-9])*)$/.test(t)) return BigInt.asIntN(64, BigInt(t.replace(/_/g, '')));
    const based = /^0([xob])([0-9a-fA-F_]+)$/.exec(t);
    if (based) return BigInt.asIntN(64, BigInt('0' + based[1]! + based[2]!.replace(/_/g, '')));
    if (/^[+-]?(0|[1-9](_?[0-9])*)(\.[0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?$/.test(t)) return Number(t.replace(/_/g, ''));
    if (/^[+-]?(inf|nan)$/.test(t)) return t.endsWith('nan') ? NaN : t.startsWith('-') ? -Infinity : Infinity;
    if (/^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}/.test(t)) return t;
    return err(`expected value but found ${JSON.stringify(t)} instead`);
  };
  const table = (path: string[], array: boolean): GoMap => {
    let m = root;
    path.forEach((k, n) => {
      let next = m[k];
      if (n === path.length - 1 && array) {
        if (next === undefined) next = m[k] = [];
        if (!Array.isArray(next)) err(`Key '${path.join('.')}' was already created and cannot be used as an array.`);
        const t: GoMap = {};
        (next as GoValue[]).push(t);
        m = t;
        return;
      }
      if (Array.isArray(next)) next = next[next.length - 1] ?? null;
      if (next === undefined) next = m[k] = {};
      if (!isGoMap(next)) err(`Key '${path.join('.')}' was already created as a value.`);
      m = next as GoMap;
    });
    return m;
  };
  let cur = root;
  for (;;) {
    newlines();
    if (i >= text.length) return root;
    if (peek() === '[') {
      const arr = text[i + 1] === '[';
      i += arr ? 2 : 1;
      const k = key();
      if (arr ? !text.startsWith(']]', i) : peek() !== ']') err(`expected ']' to close the table header`);
      i += arr ? 2 : 1;
      cur = table(k, arr);
    } else {
      const k = key();
      if (peek() !== '=') {
        if (i >= text.length) err(`unexpected EOF; expected key separator '='`);
        err(`expected key separator '=', but got ${JSON.stringify(peek())} instead`);
      }
      i++;
      setPath(cur, k, value());
    }
    ws();
    comment();
    if (i < text.length && text[i] !== '\n' && text[i] !== '\r') err(`expected a top-level item to end with a newline, comment, or EOF, but got ${JSON.stringify(peek())} instead`);
  }
}

export function fromToml(text: string): GoMap {
  try {
    return parseToml(text);
  } catch (e) {
    return { Error: (e as Error).message };
  }
}
