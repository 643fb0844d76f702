/** Go's unicode package predicates and simple (one rune to one rune) case mappings. */

/** unicode.IsSpace: ASCII whitespace, U+0085, U+00A0 and the Z* space separators. */
export function isSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return /^[\p{Zs}\u2028\u2029]$/u.test(String.fromCodePoint(c));
}

const test = (re: RegExp) => (c: number) => re.test(String.fromCodePoint(c));
export const isUpper = test(/^\p{Lu}$/u);
export const isLower = test(/^\p{Ll}$/u);
export const isTitle = test(/^\p{Lt}$/u);
export const isLetter = test(/^\p{L}$/u);
export const isDigit = test(/^\p{Nd}$/u);
export const isNumber = test(/^\p{N}$/u);
export const isPunct = test(/^\p{P}$/u);

/** unicode.ToUpper: the simple mapping; a rune whose full mapping is several runes (ß) stays. */
export function toUpperRune(ch: string): string {
  const u = ch.toUpperCase();
  return [...u].length === 1 ? u : ch;
}
/** Simple lower-case mappings that differ from JS's full mapping (U+0130 becomes "i̇" there). */
const LOWER_SPECIAL: Record<string, string> = { 'İ': 'i' };
export function toLowerRune(ch: string): string {
  const special = LOWER_SPECIAL[ch];
  if (special !== undefined) return special;
  const l = ch.toLowerCase();
  return [...l].length === 1 ? l : ch;
}
/** unicode.ToTitle: title case equals upper case except for the few digraphs (dž → ǅ). */
const TITLE: Record<string, string> = { 'ǆ': 'ǅ', 'Ǆ': 'ǅ', 'ǉ': 'ǈ', 'Ǉ': 'ǈ', 'ǌ': 'ǋ', 'Ǌ': 'ǋ', 'ǳ': 'ǲ', 'Ǳ': 'ǲ' };
export function toTitleRune(ch: string): string {
  return TITLE[ch] ?? toUpperRune(ch);
}

export function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) out += f(ch);
  return out;
}

/** strings.TrimSpace */
export function trimSpace(s: string): string {
  const a = [...s];
  let i = 0;
  let j = a.length;
  while (i < j && isSpace(a[i]!.codePointAt(0)!)) i++;
  while (j > i && isSpace(a[j - 1]!.codePointAt(0)!)) j--;
  return a.slice(i, j).join('');
}

/** UTF-8 bytes of a string, and back (invalid sequences become U+FFFD, as Go prints them in valid output). */
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
export const fromUtf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
