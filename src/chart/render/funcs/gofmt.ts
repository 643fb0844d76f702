/**
 * Go's fmt rules that sprig reaches through `fmt.Sprintf("%v")` (strval, cat, squote)
 * and `%T` (typeOf), and strconv's float formatting. Output of these functions is
 * compared byte for byte with Helm, so the rules are Go's, not JS's.
 */
import { GoObject, SLICE_TYPE, MAP_TYPE, type GoValue, type GoMap } from '../template/types.js';
import { typeName } from '../template/fmt.js';

/** The shortest digits and decimal exponent of a finite, non-zero float (as Go's strconv finds them). */
function shortestDigits(f: number): { digits: string; exp: number } {
  // toExponential() without an argument gives the shortest round-tripping digits, as Go's 'g' -1.
  const s = Math.abs(f).toExponential();
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`unexpected float form ${s}`);
  return { digits: (m[1] ?? '') + (m[2] ?? ''), exp: Number(m[3]) };
}

/**
 * strconv.FormatFloat(f, fmt, -1, 64): 'g' uses the exponent form when exp < -4 || exp >= 6,
 * 'e' always, 'f' never. `shortExp` drops the exponent's leading zero (encoding/json's form).
 */
export function formatFloat(f: number, fmt: 'g' | 'e' | 'f' = 'g', shortExp = false): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const { digits, exp } = shortestDigits(f);
  const sign = f < 0 ? '-' : '';
  if (fmt === 'e' || (fmt === 'g' && (exp < -4 || exp >= 6))) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    const es = !shortExp && e < 10 ? `0${e}` : `${e}`;
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${es}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Go's encoding/json float form: 'f' unless |f| < 1e-6 or >= 1e21, then 'e' with a short exponent (1e-07 → 1e-7). */
export function formatFloatJSON(f: number): string {
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return formatFloat(f, 'e', true);
  return formatFloat(f, 'f');
}

/** Go's %T of a value: the engine's own rule, one definition for both. */
export function goTypeName(v: GoValue | undefined): string {
  return typeName(v ?? null);
}

/** Go's reflect Kind name of a value (kindOf). */
export function goKindName(v: GoValue | undefined): string {
  if (v === null || v === undefined) return 'invalid';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'bigint':
      return 'int';
  }
  if (v instanceof Uint8Array || Array.isArray(v)) return 'slice';
  if (v instanceof GoObject) return v.goType.startsWith('*') ? 'ptr' : 'struct';
  return 'map';
}

export function isGoMap(v: GoValue | undefined): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof GoObject);
}

/** Map keys in the order Go's fmt and encoding/json print them (sorted by bytes; UTF-16 order matches for BMP). */
export function sortedKeys(m: GoMap): string[] {
  const keys = Object.keys(m);
  // UTF-16 order is UTF-8 byte order unless a surrogate pair meets a char above U+E000
  return keys.some((k) => /[\ud800-\udfff]/.test(k)) ? keys.sort(compareGoStrings) : keys.sort();
}

/** Go compares strings bytewise (UTF-8); JS compares UTF-16 units. They agree except across surrogates. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ba, bb);
}

/** fmt's %v of a value: what sprig's strval and cat print. */
export function formatV(v: GoValue | undefined, nested = false): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return v;
    case 'number':
      return formatFloat(v);
    case 'bigint':
      return v.toString();
  }
  if (v instanceof Uint8Array) return `[${Array.from(v).join(' ')}]`;
  if (Array.isArray(v)) return `[${v.map((x) => formatV(x, true)).join(' ')}]`;
  if (v instanceof GoObject) return v.format();
  void nested;
  return `map[${sortedKeys(v)
    .map((k) => `${k}:${formatV(v[k], true)}`)
    .join(' ')}]`;
}

/** strconv.Quote: what `%q` prints for a string. */
export function quoteGo(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
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
      case '\v':
        out += '\\v';
        continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      out += '\\ufffd'; // a lone surrogate is invalid UTF-8 in Go: printed as the replacement escape
      continue;
    }
    if (isGoPrint(c)) out += ch;
    else if (c < 0x80) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/** unicode.IsPrint approximately: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isGoPrint(c: number): boolean {
  if (c < 0x20 || c === 0x7f) return false;
  if (c < 0x7f) return true;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(c));
}
