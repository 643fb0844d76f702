/**
 * Go's fmt rules that sprig reaches through `fmt.Sprintf("%v")` (strval, cat, squote)
 * and `%T` (typeOf), and strconv's float formatting. Output of these functions is
 * compared byte for byte with Helm, so the rules are Go's, not JS's.
 */
import { GoObject, type GoValue, type GoMap } from '../template/types.js';
import { isMap, sortedKeys, typeName } from '../template/fmt.js';
import { formatFloat as engineFormatFloat } from '../template/ftoa.js';
import { isPrint, quoteGo as engineQuote } from '../template/quote.js';

/**
 * strconv.FormatFloat(f, fmt, -1, 64): the engine's own (template/ftoa.ts). `shortExp`
 * drops the exponent's leading zero, as encoding/json writes it (1e-07 → 1e-7).
 */
export function formatFloat(f: number, fmt: 'g' | 'e' | 'f' = 'g', shortExp = false): string {
  const text = engineFormatFloat(f, fmt, -1);
  return shortExp ? text.replace(/e([+-])0(\d)$/, 'e$1$2') : text;
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

/** A Go map (not a slice, bytes or struct): the engine's test. */
export const isGoMap: (v: GoValue | undefined) => v is GoMap = isMap as (v: GoValue | undefined) => v is GoMap;

/** Map keys in Go's order (bytewise on UTF-8): the engine's rule. */
export { sortedKeys };

/** Go compares strings bytewise (UTF-8); JS compares UTF-16 units. They agree except across surrogates. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
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

/** strconv.Quote (what `%q` prints) and unicode.IsPrint: the engine's (template/quote.ts). */
export function quoteGo(s: string): string {
  return engineQuote(s);
}

export const isGoPrint = isPrint;
