/** Sprig's string functions (strings.go, goutils, xstrings), with Go's byte-wise semantics. */
import { SLICE_TYPE, MAP_TYPE, TemplateFuncError, type FuncMap, type GoMap, type GoValue } from '../template/types.js';
import { argInt, argIntNum, argString, fn, vfn } from './args.js';
import { parseGoInt, strslice, strval } from './cast.js';
import { compareGoStrings, formatV, quoteGo } from './gofmt.js';
import {
  fromUtf8,
  isLetter,
  isDigit,
  isLower,
  isNumber,
  isPunct,
  isSpace,
  isTitle,
  isUpper,
  mapRunes,
  toLowerRune,
  toTitleRune,
  toUpperRune,
  trimSpace,
  utf8,
} from './unicode.js';

/** Tag a JS array with its Go slice type (for %T and typeOf). */
export function typedSlice<T extends GoValue[]>(a: T, goType: string): T {
  Object.defineProperty(a, SLICE_TYPE, { value: goType, enumerable: false, writable: true, configurable: true });
  return a;
}
/**
 * Marks an empty array as Go's nil slice (a function returned `nil` of a slice type):
 * it prints `[]` like an empty one, but encoding/json writes `null` for it.
 */
export const NIL_SLICE: unique symbol = Symbol('airlock.go.nilSlice');
export function nilSlice(goType = '[]interface {}'): GoValue[] {
  const a = typedSlice([] as GoValue[], goType);
  Object.defineProperty(a, NIL_SLICE, { value: true, enumerable: false });
  return a;
}

/** Marks an empty object as Go's nil map: it prints `map[]`, and encoding/json writes `null`. */
export const NIL_MAP: unique symbol = Symbol('airlock.go.nilMap');
export function nilMap(): GoMap {
  const m: GoMap = {};
  Object.defineProperty(m, NIL_MAP, { value: true, enumerable: false });
  return m;
}

export function typedMap<T extends GoMap>(m: T, goType: string): T {
  Object.defineProperty(m, MAP_TYPE, { value: goType, enumerable: false, writable: true, configurable: true });
  return m;
}

const cp = (ch: string): number => ch.codePointAt(0) ?? 0;

/** Go's runtime panic text for a bad slice expression: `[:h] with length n` or `[l:h]`. */
function sliceBounds(s: number | null, e: number | null, len: number): never {
  if (s === null) throw new TemplateFuncError(`runtime error: slice bounds out of range [:${e}] with length ${len}`);
  throw new TemplateFuncError(`runtime error: slice bounds out of range [${s}:${e ?? len}]`);
}

/** s[a:b] over UTF-8 bytes, with Go's panics (a null bound is omitted, as in s[:b] and s[a:]). */
export function byteSlice(s: string, a: number | null, b: number | null): string {
  const bytes = utf8(s);
  const len = bytes.length;
  const start = a ?? 0;
  const end = b ?? len;
  // Go checks the high bound against the length first, then low <= high
  if (b !== null && (end > len || end < 0)) sliceBounds(a, b, len);
  if (start < 0 || start > end) sliceBounds(start, end, len);
  return fromUtf8(bytes.subarray(start, end));
}

function trunc(c: bigint, s: string): string {
  const len = BigInt(utf8(s).length);
  if (c < 0n && len + c > 0n) return byteSlice(s, Number(len + c), null);
  if (c >= 0n && len > c) return byteSlice(s, 0, Number(c));
  return s;
}

function substr(start: bigint, end: bigint, s: string): string {
  const len = BigInt(utf8(s).length);
  if (start < 0n) return byteSlice(s, null, Number(end));
  if (end < 0n || end > len) return byteSlice(s, Number(start), null);
  return byteSlice(s, Number(start), Number(end));
}

/** goutils.AbbreviateFull over bytes. */
function abbreviateFull(str: string, offset: number, maxWidth: number): string {
  const b = utf8(str);
  const len = b.length;
  if (str === '') return '';
  if (maxWidth < 4) return '';
  if (len <= maxWidth) return str;
  if (offset > len) offset = len;
  if (len - offset < maxWidth - 3) offset = len - (maxWidth - 3);
  if (offset <= 4) return fromUtf8(b.subarray(0, maxWidth - 3)) + '...';
  if (maxWidth < 7) return '';
  if (offset + maxWidth - 3 < len) return '...' + abbreviateFull(fromUtf8(b.subarray(offset)), 0, maxWidth - 3);
  return '...' + fromUtf8(b.subarray(len - (maxWidth - 3)));
}

/** goutils.WrapCustom (indexes are bytes in Go; this works on UTF-16 units, equal for ASCII). */
export function wrapCustom(str: string, wrapLength: number, newLineStr: string, wrapLongWords: boolean): string {
  if (str === '') return '';
  if (newLineStr === '') newLineStr = '\n';
  if (wrapLength < 1) wrapLength = 1;
  const inputLineLength = str.length;
  let offset = 0;
  let out = '';
  while (inputLineLength - offset > wrapLength) {
    if (str[offset] === ' ') {
      offset++;
      continue;
    }
    const end = wrapLength + offset + 1;
    let spaceToWrapAt = str.slice(offset, end).lastIndexOf(' ') + offset;
    if (spaceToWrapAt >= offset) {
      out += str.slice(offset, spaceToWrapAt) + newLineStr;
      offset = spaceToWrapAt + 1;
    } else if (wrapLongWords) {
      out += str.slice(offset, wrapLength + offset) + newLineStr;
      offset += wrapLength;
    } else {
      const e = wrapLength + offset;
      const index = str.slice(e).indexOf(' ');
      if (index === -1) {
        out += str.slice(offset);
        offset = inputLineLength;
      } else {
        spaceToWrapAt = index + e;
        out += str.slice(offset, spaceToWrapAt) + newLineStr;
        offset = spaceToWrapAt + 1;
      }
    }
  }
  return out + str.slice(offset);
}

/** strings.Title's word boundary. */
function isSeparator(c: number): boolean {
  if (c <= 0x7f) return !/[0-9a-zA-Z_]/.test(String.fromCharCode(c));
  if (isLetter(c) || isDigit(c)) return false;
  return isSpace(c);
}

function title(s: string): string {
  let prev = 0x20;
  return mapRunes(s, (ch) => {
    const sep = isSeparator(prev);
    prev = cp(ch);
    return sep ? toTitleRune(ch) : ch;
  });
}

function untitle(s: string): string {
  let next = true;
  return mapRunes(s, (ch) => {
    if (isSpace(cp(ch))) {
      next = true;
      return ch;
    }
    if (next) {
      next = false;
      return toLowerRune(ch);
    }
    return ch;
  });
}

function swapcase(s: string): string {
  let ws = true;
  return mapRunes(s, (ch) => {
    const c = cp(ch);
    if (isUpper(c) || isTitle(c)) {
      ws = false;
      return toLowerRune(ch);
    }
    if (isLower(c)) {
      if (ws) {
        ws = false;
        return toTitleRune(ch);
      }
      return toUpperRune(ch);
    }
    ws = isSpace(c);
    return ch;
  });
}

/** goutils walks bytes as if each were a rune: non-ASCII text is mangled the way Go mangles it. */
function latin1Runes(s: string): string[] {
  return Array.from(utf8(s), (b) => String.fromCharCode(b));
}

function initials(s: string): string {
  if (s === '') return s;
  let out = '';
  let gap = true;
  for (const ch of latin1Runes(s)) {
    if (isSpace(cp(ch))) gap = true;
    else if (gap) {
      out += ch;
      gap = false;
    }
  }
  return out;
}

function nospace(s: string): string {
  if (s === '') return s;
  const runes = latin1Runes(s);
  const kept = runes.filter((ch) => !isSpace(cp(ch)));
  return kept.length === runes.length ? s : kept.join('');
}

const isConnector = (c: number): boolean => c === 0x2d || c === 0x5f || isSpace(c);

/**
 * xstrings 1.5's ToPascalCase (sprig 3.3's camelcase): words split at connectors (space,
 * '-', '_'), each word's first rune upper-cased; a word that starts upper-case has its
 * following upper-case runes lowered ("GOLANG_IS_GREAT" → "GolangIsGreat").
 */
function pascalCase(str: string): string {
  if (str === '') return '';
  const runes = [...str];
  let out = '';
  let i = 0;
  let r0 = '';
  let firstUpper = false;
  // leading connectors are kept
  for (; i < runes.length; ) {
    r0 = runes[i++]!;
    if (!isConnector(cp(r0))) {
      firstUpper = isUpper(cp(r0));
      r0 = toUpperRune(r0);
      break;
    }
    out += r0;
  }
  if (i >= runes.length) return isConnector(cp(r0)) ? out : out + r0;
  for (; i < runes.length; ) {
    const r1 = r0;
    r0 = runes[i++]!;
    if (isConnector(cp(r0)) && isConnector(cp(r1))) {
      out += r1;
      continue;
    }
    if (isConnector(cp(r1))) {
      firstUpper = isUpper(cp(r0));
      r0 = toUpperRune(r0);
    } else {
      if (firstUpper) {
        if (isUpper(cp(r0))) r0 = toLowerRune(r0);
        else firstUpper = false;
      }
      out += r1;
    }
  }
  return out + r0;
}

// xstrings' word splitter for snakecase/kebabcase.
const enum W {
  invalid,
  number,
  upper,
  alpha,
  connector,
  punct,
  other,
}
/** xstrings' isAlphabet: a letter, but not a CJK ideograph. */
const isAlphabet = (c: number): boolean => {
  if (!isLetter(c)) return false;
  if (c < 0x3400) return true;
  return !((c >= 0x4e00 && c <= 0x9fcc) || (c >= 0x3400 && c <= 0x4d85) || (c >= 0x20000 && c <= 0x2b81d));
};

function nextWord(runes: string[], pos: number): { wt: W; word: string; next: number } {
  if (pos >= runes.length) return { wt: W.invalid, word: '', next: pos };
  const at = (i: number) => cp(runes[i]!);
  let i = pos;
  const r = at(i++);
  let wt: W;
  if (isConnector(r)) {
    wt = W.connector;
    while (i < runes.length && isConnector(at(i))) i++;
  } else if (isPunct(r)) {
    wt = W.punct;
    while (i < runes.length && isPunct(at(i))) i++;
  } else if (isUpper(r)) {
    wt = W.upper;
    if (i < runes.length) {
      const r2 = at(i);
      if (isUpper(r2)) {
        i++;
        while (i < runes.length && isUpper(at(i))) i++;
        if (i < runes.length && isAlphabet(at(i))) i--;
      } else if (isAlphabet(r2)) {
        i++;
        while (i < runes.length && isAlphabet(at(i)) && !isUpper(at(i))) i++;
      }
    }
  } else if (isAlphabet(r)) {
    wt = W.alpha;
    while (i < runes.length && isAlphabet(at(i)) && !isUpper(at(i))) i++;
  } else if (isNumber(r)) {
    wt = W.number;
    while (i < runes.length && isNumber(at(i))) i++;
  } else {
    wt = W.other;
    while (i < runes.length) {
      const c = at(i);
      if (isConnector(c) || isAlphabet(c) || isNumber(c) || isPunct(c)) break;
      i++;
    }
  }
  return { wt, word: runes.slice(pos, i).join(''), next: i };
}

function lowerWord(wt: W, word: string, connector: string): string {
  if (wt !== W.upper && wt !== W.connector) return word;
  if (wt === W.connector) return connector.repeat([...word].length);
  return mapRunes(word, toLowerRune);
}

/** xstrings.camelCaseToLowerCase (snakecase, kebabcase). */
function toLowerCase(str: string, connector: string): string {
  if (str === '') return '';
  const runes = [...str];
  let out = '';
  // a mutable cursor: the Go original reassigns (wt, word, remaining) in many places
  const st: { wt: W; word: string; next: number } = nextWord(runes, 0);
  const remaining = (): boolean => st.next < runes.length;
  const advance = (): void => {
    Object.assign(st, nextWord(runes, st.next));
  };
  const wt = (): W => st.wt;
  while (remaining()) {
    if (wt() !== W.connector) out += lowerWord(st.wt, st.word, connector);
    const prev = st.wt;
    const last = st.word;
    advance();
    switch (prev) {
      case W.number:
        while (wt() === W.alpha || wt() === W.number) {
          out += lowerWord(st.wt, st.word, connector);
          advance();
        }
        if (wt() !== W.invalid && wt() !== W.punct && wt() !== W.connector) out += connector;
        break;
      case W.connector:
        out += lowerWord(prev, last, connector);
        break;
      case W.punct:
        break;
      default: {
        if (wt() !== W.number) {
          if (wt() !== W.connector && wt() !== W.punct) out += connector;
          break;
        }
        if (!remaining()) break;
        const numberWord = st.word;
        advance();
        if (wt() !== W.alpha) {
          out += lowerWord(W.number, numberWord, connector);
          if (wt() !== W.connector && wt() !== W.punct) out += connector;
          break;
        }
        out += connector + lowerWord(W.number, numberWord, connector);
        while (wt() === W.alpha || wt() === W.number) {
          out += lowerWord(st.wt, st.word, connector);
          advance();
        }
        if (wt() !== W.invalid && wt() !== W.connector && wt() !== W.punct) out += connector;
      }
    }
  }
  return out + lowerWord(st.wt, st.word, connector);
}

/** strings.Trim with a cutset of runes. */
function trimCutset(s: string, cutset: string): string {
  const set = new Set([...cutset]);
  const a = [...s];
  let i = 0;
  let j = a.length;
  while (i < j && set.has(a[i]!)) i++;
  while (j > i && set.has(a[j - 1]!)) j--;
  return a.slice(i, j).join('');
}

/** strings.Split: an empty separator splits into runes. */
export function goSplit(s: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const runes = [...s];
    if (n < 0 || n >= runes.length) return runes;
    return [...runes.slice(0, n - 1), runes.slice(n - 1).join('')];
  }
  const parts = s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function splitMap(parts: string[]): GoMap {
  const m: GoMap = {};
  parts.forEach((p, i) => (m[`_${i}`] = p));
  return typedMap(m, 'map[string]string');
}

/** strings.Replace(s, old, new, -1): an empty `old` inserts at every rune boundary. */
function replaceAll(src: string, old: string, nw: string): string {
  if (old === '') return nw + [...src].join(nw) + (src === '' ? '' : nw);
  return src.split(old).join(nw);
}

/** strconv.Atoi, where errors give 0. */
function atoi(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) return 0n;
  const v = parseGoInt(s, false);
  if (v !== undefined) return v;
  // out of range: Go returns the clamped value with an error, and sprig drops the error… but keeps i
  return s.startsWith('-') ? -(1n << 63n) : (1n << 63n) - 1n;
}

export function indent(spaces: bigint, v: string): string {
  if (spaces < 0n) throw new TemplateFuncError('strings: negative Repeat count');
  const pad = ' '.repeat(Number(spaces));
  return pad + v.split('\n').join('\n' + pad);
}

export function repeat(count: bigint, s: string): string {
  if (count < 0n) throw new TemplateFuncError('strings: negative Repeat count');
  if (BigInt(Buffer.byteLength(s, 'utf8')) * count > (1n << 63n) - 1n) throw new TemplateFuncError('strings: Repeat output length overflow');
  return s.repeat(Number(count));
}

export function sortAlpha(list: GoValue): string[] {
  if (Array.isArray(list) || list instanceof Uint8Array) return typedSlice(strslice(list).sort(compareGoStrings), '[]string');
  return typedSlice([strval(list)], '[]string');
}

export const stringFuncs: FuncMap = {
  abbrev: fn(2, (w, s) => {
    const width = argIntNum(w);
    const str = argString(s);
    return width < 4 ? str : abbreviateFull(str, 0, width);
  }),
  abbrevboth: fn(3, (l, r, s) => {
    const left = argIntNum(l);
    const right = argIntNum(r);
    const str = argString(s);
    if (right < 4 || (left > 0 && right < 7)) return str;
    return abbreviateFull(str, left, right);
  }),
  trunc: fn(2, (c, s) => trunc(argInt(c), argString(s))),
  trim: fn(1, (s) => trimSpace(argString(s))),
  upper: fn(1, (s) => mapRunes(argString(s), toUpperRune)),
  lower: fn(1, (s) => mapRunes(argString(s), toLowerRune)),
  title: fn(1, (s) => title(argString(s))),
  untitle: fn(1, (s) => untitle(argString(s))),
  substr: fn(3, (a, b, s) => substr(argInt(a), argInt(b), argString(s))),
  repeat: fn(2, (c, s) => repeat(argInt(c), argString(s))),
  trimall: fn(2, (a, b) => trimCutset(argString(b), argString(a))),
  trimAll: fn(2, (a, b) => trimCutset(argString(b), argString(a))),
  trimSuffix: fn(2, (a, b) => {
    const suf = argString(a);
    const s = argString(b);
    return suf !== '' && s.endsWith(suf) ? s.slice(0, s.length - suf.length) : s;
  }),
  trimPrefix: fn(2, (a, b) => {
    const pre = argString(a);
    const s = argString(b);
    return s.startsWith(pre) ? s.slice(pre.length) : s;
  }),
  nospace: fn(1, (s) => nospace(argString(s))),
  initials: fn(1, (s) => initials(argString(s))),
  swapcase: fn(1, (s) => swapcase(argString(s))),
  snakecase: fn(1, (s) => toLowerCase(argString(s), '_')),
  camelcase: fn(1, (s) => pascalCase(argString(s))),
  kebabcase: fn(1, (s) => toLowerCase(argString(s), '-')),
  wrap: fn(2, (l, s) => wrapCustom(argString(s), argIntNum(l), '', false)),
  wrapWith: fn(3, (l, sep, s) => wrapCustom(argString(s), argIntNum(l), argString(sep), true)),
  contains: fn(2, (sub, s) => argString(s).includes(argString(sub))),
  hasPrefix: fn(2, (p, s) => argString(s).startsWith(argString(p))),
  hasSuffix: fn(2, (p, s) => argString(s).endsWith(argString(p))),
  quote: vfn(0, (...xs) =>
    xs
      .filter((x) => x !== null && x !== undefined)
      .map((x) => quoteGo(strval(x)))
      .join(' '),
  ),
  squote: vfn(0, (...xs) =>
    xs
      .filter((x) => x !== null && x !== undefined)
      .map((x) => `'${formatV(x)}'`)
      .join(' '),
  ),
  cat: vfn(0, (...xs) =>
    xs
      .filter((x) => x !== null && x !== undefined)
      .map((x) => formatV(x))
      .join(' '),
  ),
  indent: fn(2, (n, s) => indent(argInt(n), argString(s))),
  nindent: fn(2, (n, s) => '\n' + indent(argInt(n), argString(s))),
  replace: fn(3, (o, n, s) => replaceAll(argString(s), argString(o), argString(n))),
  plural: fn(3, (one, many, count) => {
    const o = argString(one);
    const m = argString(many);
    return argInt(count) === 1n ? o : m;
  }),
  toString: fn(1, (v) => strval(v)),
  atoi: fn(1, (s) => atoi(argString(s))),
  split: fn(2, (sep, s) => splitMap(goSplit(argString(s), argString(sep)))),
  splitList: fn(2, (sep, s) => typedSlice(goSplit(argString(s), argString(sep)), '[]string')),
  splitn: fn(3, (sep, n, s) => splitMap(goSplit(argString(s), argString(sep), argIntNum(n)))),
  toStrings: fn(1, (v) => typedSlice(strslice(v), '[]string')),
  join: fn(2, (sep, v) => strslice(v).join(argString(sep))),
  sortAlpha: fn(1, (v) => sortAlpha(v)),
};
