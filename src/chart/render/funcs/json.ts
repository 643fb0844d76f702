/**
 * Go's encoding/json for the value model: Marshal (sorted map keys, Go's float form,
 * HTML escaping, []byte as base64) and Unmarshal into interface{} (every number float64),
 * with Go's error texts, since Helm's fromJson puts them in the result.
 */
import { GoObject, type GoMap, type GoValue } from '../template/types.js';
import { formatFloatJSON, goTypeName, sortedKeys } from './gofmt.js';
import { NIL_MAP, NIL_SLICE } from './strings.js';

export class JSONMarshalError extends Error {}

/** A GoObject (struct) that knows its JSON form, as its Go type's json tags give it. */
export interface JSONMarshaler {
  toGoJSON(): GoValue;
}
function hasGoJSON(o: GoObject): o is GoObject & JSONMarshaler {
  return typeof (o as Partial<JSONMarshaler>).toGoJSON === 'function';
}

const HEX = '0123456789abcdef';

/** encodeState.string: Go's escaping (\u00XX for controls, optional HTML escapes, U+2028/2029 always). */
export function jsonString(s: string, escapeHTML = true): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      const ch = s[i]!;
      if (c >= 0x20 && ch !== '"' && ch !== '\\' && (!escapeHTML || (ch !== '<' && ch !== '>' && ch !== '&'))) {
        out += ch;
        continue;
      }
      switch (ch) {
        case '"':
        case '\\':
          out += '\\' + ch;
          continue;
        case '\n':
          out += '\\n';
          continue;
        case '\r':
          out += '\\r';
          continue;
        case '\t':
          out += '\\t';
          continue;
        // Go >= 1.22 writes \b and \f (Helm 3.21 is built with a newer Go than the Debian oracle's 1.19)
        case '\b':
          out += '\\b';
          continue;
        case '\f':
          out += '\\f';
          continue;
      }
      out += '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
      continue;
    }
    if (c === 0x2028 || c === 0x2029) {
      out += c === 0x2028 ? '\\u2028' : '\\u2029';
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      out += '\\ufffd'; // invalid UTF-8 in Go
      continue;
    }
    out += s[i];
  }
  return out + '"';
}

/** json.Marshal / MarshalIndent(v, "", indent) / Encoder with SetEscapeHTML. */
export function marshalJSON(v: GoValue | undefined, opts: { indent?: string; escapeHTML?: boolean } = {}): string {
  const esc = opts.escapeHTML ?? true;
  const ind = opts.indent ?? '';
  const enc = (x: GoValue | undefined, depth: number): string => {
    if (x === null || x === undefined) return 'null';
    switch (typeof x) {
      case 'boolean':
        return x ? 'true' : 'false';
      case 'string':
        return jsonString(x, esc);
      case 'number':
        if (!Number.isFinite(x)) throw new JSONMarshalError(`json: unsupported value: ${Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf'}`);
        return formatFloatJSON(x);
      case 'bigint':
        return x.toString();
    }
    if (x instanceof Uint8Array) return '"' + Buffer.from(x).toString('base64') + '"';
    const nl = ind ? '\n' + ind.repeat(depth + 1) : '';
    const close = ind ? '\n' + ind.repeat(depth) : '';
    if (Array.isArray(x)) {
      if (x.length === 0) return (x as { [NIL_SLICE]?: boolean })[NIL_SLICE] ? 'null' : '[]';
      return '[' + nl + x.map((e) => enc(e, depth + 1)).join(',' + nl) + close + ']';
    }
    if (x instanceof GoObject) {
      if (hasGoJSON(x)) return enc(x.toGoJSON(), depth);
      return '{}';
    }
    const keys = sortedKeys(x);
    if (keys.length === 0) return (x as { [NIL_MAP]?: boolean })[NIL_MAP] ? 'null' : '{}';
    const sep = ind ? ': ' : ':';
    return '{' + nl + keys.map((k) => jsonString(k, esc) + sep + enc(x[k], depth + 1)).join(',' + nl) + close + '}';
  };
  return enc(v, 0);
}

export class JSONSyntaxError extends Error {}

/** Go's quoteChar for scanner errors. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return '\'"\'';
  const q = JSON.stringify(c).slice(1, -1);
  return `'${q}'`;
}

/**
 * json.Unmarshal into interface{}: objects → maps, numbers → float64.
 * Throws JSONSyntaxError with Go's message on bad input.
 */
export function parseJSON(text: string): GoValue {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const err = (ctx: string): never => {
    if (i >= n) throw new JSONSyntaxError('unexpected end of JSON input');
    throw new JSONSyntaxError(`invalid character ${quoteChar(String.fromCodePoint(text.codePointAt(i)!))} ${ctx}`);
  };
  const value = (): GoValue => {
    ws();
    if (i >= n) return err('');
    const c = text[i]!;
    if (c === '{') {
      i++;
      const m: GoMap = {};
      ws();
      if (text[i] === '}') {
        i++;
        return m;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') return err('looking for beginning of object key string');
        const k = str();
        ws();
        if (text[i] !== ':') return err('after object key');
        i++;
        m[k] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return m;
        }
        return err('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      const a: GoValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return a;
        }
        return err('after array element');
      }
    }
    if (c === '"') return str();
    for (const [lit, val] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (c === lit[0]) {
        for (let j = 1; j < lit.length; j++) {
          i++;
          if (text[i] !== lit[j]) return err(`in literal ${lit} (expecting ${quoteChar(lit[j]!)})`);
        }
        i++;
        return val;
      }
    }
    if (c === '-' || (c >= '0' && c <= '9')) return num();
    return err('looking for beginning of value');
  };
  const num = (): number => {
    const start = i;
    if (text[i] === '-') {
      i++;
      if (!(text[i]! >= '0' && text[i]! <= '9')) return err('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (text[i]! >= '0' && text[i]! <= '9') i++;
    if (text[i] === '.') {
      i++;
      if (!(text[i]! >= '0' && text[i]! <= '9')) return err('after decimal point in numeric literal');
      while (text[i]! >= '0' && text[i]! <= '9') i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!(text[i]! >= '0' && text[i]! <= '9')) return err('in exponent of numeric literal');
      while (text[i]! >= '0' && text[i]! <= '9') i++;
    }
    const lit = text.slice(start, i);
    const f = Number(lit);
    if (!Number.isFinite(f)) throw new JSONSyntaxError(`json: cannot unmarshal number ${lit} into Go value of type float64`);
    return f;
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= n) return err('');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c.charCodeAt(0) < 0x20) return err('in string literal');
      if (c === '\\') {
        i++;
        const e = text[i];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i++;
          continue;
        }
        if (e === 'u') {
          const h = text.slice(i + 1, i + 5);
          for (let j = 0; j < 4; j++) {
            if (!/[0-9a-fA-F]/.test(h[j] ?? '')) {
              i += 1 + j;
              return err('in \\u hexadecimal character escape');
            }
          }
          out += String.fromCharCode(parseInt(h, 16));
          i += 5;
          continue;
        }
        return err('in string escape code');
      }
      out += c;
      i++;
    }
  };
  const v = value();
  ws();
  if (i < n) err('after top-level value');
  // lone surrogates from \u escapes become U+FFFD in Go
  return v;
}

/** The Go kind json names in "cannot unmarshal X into Go value of type T". */
export function jsonKindOf(v: GoValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

export { goTypeName };
