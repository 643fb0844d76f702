/**
 * Go's strconv quoting rules (Quote, QuoteToASCII, Unquote, UnquoteChar). Template
 * literals are unquoted on byte strings (one JS char per UTF-8 byte) because Go's
 * `\xHH` escapes insert raw bytes.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** strconv.IsPrint for one code point. */
export function isPrint(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp < 0x7f) return true;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function escapeRune(cp: number): string {
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/** strconv.Quote (asciiOnly: QuoteToASCII) of a JS string, as Go sees its UTF-8. */
export function quoteGo(s: string, quote = '"', asciiOnly = false): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += '\\ufffd'; // a lone surrogate has no UTF-8 form; Go would see an invalid byte
      continue;
    }
    if (ch === quote || ch === '\\') {
      out += '\\' + ch;
      continue;
    }
    if (asciiOnly ? cp < 0x80 && isPrint(cp) : isPrint(cp)) {
      out += ch;
      continue;
    }
    out += escapeRune(cp);
  }
  return out + quote;
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0x60 || cp === 0xfeff) return false;
    if ((cp < 0x20 && cp !== 9) || cp === 0x7f) return false;
  }
  return true;
}

export class SyntaxError_ extends Error {
  constructor() {
    super('invalid syntax');
  }
}

/** UTF-8 bytes (as a byte string) of one code point. */
function utf8Bytes(cp: number): string {
  return Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
}

function decodeRuneAt(s: string, i: number): { cp: number; size: number } {
  const b = s.charCodeAt(i);
  const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  if (size === 1) return { cp: b < 0x80 ? b : 0xfffd, size: 1 };
  const str = Buffer.from(s.slice(i, i + size), 'latin1').toString('utf8');
  const cp = str.codePointAt(0) ?? 0xfffd;
  return { cp, size };
}

/**
 * strconv.UnquoteChar on a byte string: one character or escape at `i`.
 * Returns its value (a code point, or a byte for \x and octal in strings), whether it
 * is a raw byte, and the next index. Throws SyntaxError_ like Go's ErrSyntax.
 */
export function unquoteChar(s: string, i: number, quote: string): { value: number; byte: boolean; next: number } {
  const c = s[i];
  if (c === undefined) throw new SyntaxError_();
  if (c === quote && (quote === "'" || quote === '"')) throw new SyntaxError_();
  if (c.charCodeAt(0) >= 0x80) {
    const r = decodeRuneAt(s, i);
    return { value: r.cp, byte: false, next: i + r.size };
  }
  if (c !== '\\') return { value: c.charCodeAt(0), byte: false, next: i + 1 };
  const e = s[i + 1];
  if (e === undefined) throw new SyntaxError_();
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
  const sv = simple[e];
  if (sv !== undefined) return { value: sv, byte: false, next: i + 2 };
  if (e === 'x' || e === 'u' || e === 'U') {
    const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
    const digits = s.slice(i + 2, i + 2 + n);
    if (digits.length < n || !/^[0-9a-fA-F]+$/.test(digits)) throw new SyntaxError_();
    const v = parseInt(digits, 16);
    if (e === 'x') return { value: v, byte: true, next: i + 2 + n };
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError_();
    return { value: v, byte: false, next: i + 2 + n };
  }
  if (e >= '0' && e <= '7') {
    const digits = s.slice(i + 1, i + 4);
    if (digits.length < 3 || !/^[0-7]{3}$/.test(digits)) throw new SyntaxError_();
    const v = parseInt(digits, 8);
    if (v > 255) throw new SyntaxError_();
    return { value: v, byte: true, next: i + 4 };
  }
  if (e === "'" || e === '"') {
    if (e !== quote) throw new SyntaxError_();
    return { value: e.charCodeAt(0), byte: false, next: i + 2 };
  }
  throw new SyntaxError_();
}

/** strconv.Unquote on a byte string; returns a byte string. */
export function unquoteBytes(s: string): string {
  const q = s[0];
  if (s.length < 2 || s[s.length - 1] !== q) throw new SyntaxError_();
  const body = s.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new SyntaxError_();
    return body.replace(/\r/g, '');
  }
  if (q !== '"') throw new SyntaxError_();
  if (body.includes('\n')) throw new SyntaxError_();
  let out = '';
  let i = 0;
  while (i < body.length) {
    const r = unquoteChar(body, i, '"');
    out += r.byte || r.value < 0x80 ? String.fromCharCode(r.value) : utf8Bytes(r.value);
    i = r.next;
  }
  return out;
}

/** Byte string (latin1) → JS string via UTF-8 decoding. */
export function fromBytes(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** JS string → byte string (UTF-8, one char per byte). */
export function toBytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
