/**
 * Go's fmt package (Sprint, Sprintf, Sprintln) over the shared value model, with
 * Go's verbs, flags, width/precision and its error forms (%!d(float64=3),
 * %!s(MISSING), %!(EXTRA ...)).
 */

import { GoObject, MAP_TYPE, SLICE_TYPE, type GoMap, type GoValue } from './types.js';
import { formatBinaryFloat, formatFloat, formatHexFloat } from './ftoa.js';
import { canBackquote, quoteGo } from './quote.js';
import { GoComplex } from './complex.js';

/** Go type name of a value, as reflect.Type.String() prints it. */
export function typeName(v: GoValue): string {
  if (v === null) return '<nil>';
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
  if (v instanceof Uint8Array) return '[]uint8';
  if (Array.isArray(v)) return (v as { [SLICE_TYPE]?: string })[SLICE_TYPE] ?? '[]interface {}';
  if (v instanceof GoObject) return v.goType;
  return (v as { [MAP_TYPE]?: string })[MAP_TYPE] ?? 'map[string]interface {}';
}

export function isMap(v: unknown): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof GoObject);
}

/**
 * Map keys in Go's fmt/range order: bytewise on UTF-8. JS compares UTF-16 units, which
 * agrees except when a surrogate pair meets a character above U+E000.
 */
export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort(compareUtf8);
}

const SURROGATE = /[\ud800-\udfff]/;

function compareUtf8(a: string, b: string): number {
  if (SURROGATE.test(a) || SURROGATE.test(b)) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return a < b ? -1 : a > b ? 1 : 0;
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const LDIGITS = '0123456789abcdefx';
const UDIGITS = '0123456789ABCDEFX';

class Printer {
  buf = '';
  plus = false;
  minus = false;
  sharp = false;
  space = false;
  zero = false;
  plusV = false;
  sharpV = false;
  wid = 0;
  widPresent = false;
  prec = 0;
  precPresent = false;

  clearFlags(): void {
    this.plus = this.minus = this.sharp = this.space = this.zero = this.plusV = this.sharpV = false;
    this.wid = this.prec = 0;
    this.widPresent = this.precPresent = false;
  }

  private padding(n: number): string {
    return n > 0 ? (this.zero ? '0' : ' ').repeat(n) : '';
  }

  pad(s: string): void {
    if (!this.widPresent || this.wid === 0) {
      this.buf += s;
      return;
    }
    const w = this.wid - runeCount(s);
    this.buf += this.minus ? s + this.padding(w) : this.padding(w) + s;
  }

  private truncate(s: string): string {
    if (!this.precPresent) return s;
    let n = this.prec;
    let out = '';
    for (const ch of s) {
      if (n-- <= 0) break;
      out += ch;
    }
    return out;
  }

  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.sharp && canBackquote(s)) {
      this.pad('`' + s + '`');
      return;
    }
    this.pad(quoteGo(s, '"', this.plus));
  }

  /** %x / %X of bytes. */
  fmtSbx(b: Uint8Array, digits: string): void {
    let length = b.length;
    if (this.precPresent && this.prec < length) length = this.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.space) {
        if (this.sharp) width *= 2;
        width += length - 1;
      } else if (this.sharp) width += 2;
    } else {
      if (this.widPresent) this.buf += this.padding(this.wid);
      return;
    }
    if (this.widPresent && this.wid > width && !this.minus) this.buf += this.padding(this.wid - width);
    let out = '';
    if (this.sharp) out += '0' + digits[16];
    for (let i = 0; i < length; i++) {
      if (this.space && i > 0) {
        out += ' ';
        if (this.sharp) out += '0' + digits[16];
      }
      const c = b[i]!;
      out += digits[c >> 4]! + digits[c & 15]!;
    }
    this.buf += out;
    if (this.widPresent && this.wid > width && this.minus) this.buf += this.padding(this.wid - width);
  }

  fmtInteger(v: bigint, base: number, signed: boolean, verb: string, digits: string): void {
    let u = signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
    const negative = u < 0n;
    if (negative) u = -u;
    let prec = 0;
    if (this.precPresent) {
      prec = this.prec;
      if (prec === 0 && u === 0n) {
        const z = this.zero;
        this.zero = false;
        this.buf += this.padding(this.wid);
        this.zero = z;
        return;
      }
    } else if (this.zero && this.widPresent) {
      prec = this.wid;
      if (negative || this.plus || this.space) prec--;
    }
    let s = u.toString(base);
    if (digits === UDIGITS) s = s.toUpperCase();
    if (s.length < prec) s = '0'.repeat(prec - s.length) + s;
    if (this.sharp) {
      if (base === 2) s = '0b' + s;
      else if (base === 8 && s[0] !== '0') s = '0' + s;
      else if (base === 16) s = '0' + digits[16] + s;
    }
    if (verb === 'O') s = '0o' + s;
    if (negative) s = '-' + s;
    else if (this.plus) s = '+' + s;
    else if (this.space) s = ' ' + s;
    const z = this.zero;
    this.zero = false;
    this.pad(s);
    this.zero = z;
  }

  fmtFloatNum(v: number, verb: 'b' | 'e' | 'E' | 'f' | 'g' | 'G' | 'x' | 'X', prec: number): void {
    if (this.precPresent) prec = this.prec;
    let num =
      verb === 'b'
        ? formatBinaryFloat(v)
        : verb === 'x' || verb === 'X'
          ? formatHexFloat(v, prec, verb === 'X')
          : formatFloat(v, verb, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.space && num[0] === '+' && !this.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      const z = this.zero;
      this.zero = false;
      if (num[1] === 'N' && !this.space && !this.plus) num = num.slice(1);
      this.pad(num);
      this.zero = z;
      return;
    }
    if (this.sharp && verb !== 'b') {
      let digits = 0;
      if (verb === 'g' || verb === 'G' || verb === 'x') digits = prec === -1 ? 6 : prec;
      let tail = '';
      const ei = num.search(verb === 'x' || verb === 'X' ? /[pP]/ : /[eE]/);
      if (ei >= 0) {
        tail = num.slice(ei);
        num = num.slice(0, ei);
      }
      let hasDot = false;
      let sawNonzero = false;
      for (let i = 1; i < num.length; i++) {
        if (num[i] === '.') hasDot = true;
        else {
          if (num[i] !== '0') sawNonzero = true;
          if (sawNonzero) digits--;
        }
      }
      if (!hasDot) {
        if (num.length === 2 && num[1] === '0') digits--;
        num += '.';
      }
      while (digits-- > 0) num += '0';
      num += tail;
    }
    if (this.plus || num[0] !== '+') {
      if (this.zero && this.widPresent && this.wid > num.length) {
        this.buf += num[0]! + '0'.repeat(this.wid - num.length) + num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  /** fmt's complex printing: `(` real, imaginary with a forced sign, `i)`, each part in the float verb. */
  private fmtComplex(v: GoComplex, verb: string): void {
    if (!'vbgGxXfFeE'.includes(verb)) {
      this.badVerb(verb, v);
      return;
    }
    const part = (f: number): void => {
      if (verb === 'v') this.fmtFloatNum(f, 'g', -1);
      else if (verb === 'F') this.fmtFloatNum(f, 'f', 6);
      else this.fmtFloatNum(f, verb as 'b' | 'e' | 'E' | 'f' | 'g' | 'G' | 'x' | 'X', verb === 'f' || verb === 'e' || verb === 'E' ? 6 : -1);
    };
    const plus = this.plus;
    this.buf += '(';
    part(v.re);
    this.plus = true;
    part(v.im);
    this.buf += 'i)';
    this.plus = plus;
  }

  badVerb(verb: string, v: GoValue): void {
    this.buf += '%!' + verb + '(';
    if (v === null) this.buf += '<nil>';
    else {
      this.buf += typeName(v) + '=';
      this.printArg(v, 'v', 0);
    }
    this.buf += ')';
  }

  printArg(v: GoValue, verb: string, depth: number): void {
    if (v === null) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb, v);
      return;
    }
    if (verb === 'T') {
      this.fmtS(typeName(v));
      return;
    }
    if (verb === 'p') {
      this.badVerb(verb, v);
      return;
    }
    switch (typeof v) {
      case 'boolean':
        if (verb === 't' || verb === 'v') this.pad(v ? 'true' : 'false');
        else this.badVerb(verb, v);
        return;
      case 'number':
        switch (verb) {
          case 'v':
            this.fmtFloatNum(v, 'g', -1);
            return;
          case 'b':
          case 'g':
          case 'G':
          case 'x':
          case 'X':
            this.fmtFloatNum(v, verb, -1);
            return;
          case 'f':
          case 'e':
          case 'E':
            this.fmtFloatNum(v, verb, 6);
            return;
          case 'F':
            this.fmtFloatNum(v, 'f', 6);
            return;
          default:
            this.badVerb(verb, v);
            return;
        }
      case 'bigint':
        this.printInteger(v, true, verb);
        return;
      case 'string':
        switch (verb) {
          case 'v':
            if (this.sharpV) this.fmtQ(v);
            else this.fmtS(v);
            return;
          case 's':
            this.fmtS(v);
            return;
          case 'x':
            this.fmtSbx(Buffer.from(v, 'utf8'), LDIGITS);
            return;
          case 'X':
            this.fmtSbx(Buffer.from(v, 'utf8'), UDIGITS);
            return;
          case 'q':
            this.fmtQ(v);
            return;
          default:
            this.badVerb(verb, v);
            return;
        }
    }
    if (v instanceof Uint8Array) {
      switch (verb) {
        case 'v':
        case 'd':
          this.buf += '[';
          v.forEach((c, i) => {
            if (i > 0) this.buf += ' ';
            this.fmtInteger(BigInt(c), 10, false, verb, LDIGITS);
          });
          this.buf += ']';
          return;
        case 's':
          this.fmtS(Buffer.from(v).toString('utf8'));
          return;
        case 'x':
          this.fmtSbx(v, LDIGITS);
          return;
        case 'X':
          this.fmtSbx(v, UDIGITS);
          return;
        case 'q':
          this.fmtQ(Buffer.from(v).toString('utf8'));
          return;
        default:
          this.buf += '[';
          v.forEach((c, i) => {
            if (i > 0) this.buf += ' ';
            this.printInteger(BigInt(c), false, verb);
          });
          this.buf += ']';
          return;
      }
    }
    if (v instanceof GoComplex) {
      this.fmtComplex(v, verb);
      return;
    }
    if (v instanceof GoObject) {
      // Structs with a String method (time.Time, semver) print through it for every
      // string-ish verb; plain structs print their fields, which format() gives.
      if (verb === 'v' || verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') {
        if (verb === 'q') this.fmtQ(v.format());
        else this.fmtS(v.format());
      } else this.badVerb(verb, v);
      return;
    }
    if (Array.isArray(v)) {
      if (this.sharpV) {
        this.buf += typeName(v) + '{';
        v.forEach((e, i) => {
          if (i > 0) this.buf += ', ';
          this.printElem(e, verb, depth + 1);
        });
        this.buf += '}';
        return;
      }
      this.buf += '[';
      v.forEach((e, i) => {
        if (i > 0) this.buf += ' ';
        this.printElem(e, verb, depth + 1);
      });
      this.buf += ']';
      return;
    }
    // map
    const keys = sortedKeys(v);
    if (this.sharpV) {
      this.buf += typeName(v) + '{';
      keys.forEach((k, i) => {
        if (i > 0) this.buf += ', ';
        this.printArg(k, verb, depth + 1);
        this.buf += ':';
        this.printElem(v[k] ?? null, verb, depth + 1);
      });
      this.buf += '}';
      return;
    }
    this.buf += 'map[';
    keys.forEach((k, i) => {
      if (i > 0) this.buf += ' ';
      this.printArg(k, verb, depth + 1);
      this.buf += ':';
      this.printElem(v[k] ?? null, verb, depth + 1);
    });
    this.buf += ']';
  }

  /** An element of a slice or map: an interface value; nil prints as <nil> for %v. */
  private printElem(e: GoValue, verb: string, depth: number): void {
    if (e === null) {
      // Go prints a nil interface element as <nil> whatever the verb.
      this.buf += this.sharpV ? 'interface {}(nil)' : '<nil>';
      return;
    }
    this.printArg(e, verb, depth);
  }

  private printInteger(v: bigint, signed: boolean, verb: string): void {
    switch (verb) {
      case 'v':
      case 'd':
        this.fmtInteger(v, 10, signed, verb, LDIGITS);
        return;
      case 'b':
        this.fmtInteger(v, 2, signed, verb, LDIGITS);
        return;
      case 'o':
      case 'O':
        this.fmtInteger(v, 8, signed, verb, LDIGITS);
        return;
      case 'x':
        this.fmtInteger(v, 16, signed, verb, LDIGITS);
        return;
      case 'X':
        this.fmtInteger(v, 16, signed, verb, UDIGITS);
        return;
      case 'c':
        this.pad(String.fromCodePoint(validRune(v)));
        return;
      case 'q':
        this.pad(quoteGo(String.fromCodePoint(validRune(v)), "'", this.plus));
        return;
      case 'U': {
        const hex = BigInt.asUintN(64, v).toString(16).toUpperCase();
        let s = 'U+' + hex.padStart(this.precPresent && this.prec > 4 ? this.prec : 4, '0');
        if (this.sharp) {
          const r = validRune(v);
          if (r !== 0xfffd || v === 0xfffdn) s += " '" + String.fromCodePoint(r) + "'";
        }
        const z = this.zero;
        this.zero = false;
        this.pad(s);
        this.zero = z;
        return;
      }
      default:
        this.badVerb(verb, v);
    }
  }
}

function validRune(v: bigint): number {
  if (v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn)) return 0xfffd;
  return Number(v);
}

function parseNum(s: string, i: number, end: number): { num: number; ok: boolean; next: number } {
  if (i >= end) return { num: 0, ok: false, next: i };
  let num = 0;
  let ok = false;
  while (i < end && s[i]! >= '0' && s[i]! <= '9') {
    if (num > 1e6) return { num: 0, ok: false, next: end }; // Go: too large
    num = num * 10 + (s.charCodeAt(i) - 48);
    ok = true;
    i++;
  }
  return { num, ok, next: i };
}

function intFromArg(a: GoValue[], argNum: number): { num: number; isInt: boolean; next: number } {
  let num = 0;
  let isInt = false;
  let next = argNum;
  if (argNum < a.length) {
    const v = a[argNum];
    if (typeof v === 'bigint') {
      const n = BigInt.asIntN(64, v);
      if (n >= -1000000n && n <= 1000000n) {
        num = Number(n);
        isInt = true;
      }
    }
    next = argNum + 1;
  }
  return { num, isInt, next };
}

/** fmt.Sprintf. */
export function sprintf(format: string, a: GoValue[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;
  let reordered = false;
  let goodArgNum = true;

  const argNumber = (i: number): { argNum: number; i: number; found: boolean } => {
    if (format.length <= i || format[i] !== '[') return { argNum, i, found: false };
    reordered = true;
    // parseArgNumber
    let index = 0;
    let wid = 1;
    let ok = false;
    const f = format.slice(i);
    if (f.length >= 3) {
      for (let j = 1; j < f.length; j++) {
        if (f[j] === ']') {
          const r = parseNum(f, 1, j);
          if (!r.ok || r.next !== j) {
            index = 0;
            wid = j + 1;
            ok = false;
          } else {
            index = r.num - 1;
            wid = j + 1;
            ok = true;
          }
          break;
        }
      }
    }
    if (ok && index >= 0 && index < a.length) return { argNum: index, i: i + wid, found: true };
    goodArgNum = false;
    return { argNum, i: i + wid, found: ok };
  };

  let i = 0;
  formatLoop: while (i < end) {
    goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    p.clearFlags();
    simple: for (; i < end; i++) {
      const c = format[i]!;
      switch (c) {
        case '#':
          p.sharp = true;
          break;
        case '0':
          p.zero = !p.minus;
          break;
        case '+':
          p.plus = true;
          break;
        case '-':
          p.minus = true;
          p.zero = false;
          break;
        case ' ':
          p.space = true;
          break;
        default:
          if (c >= 'a' && c <= 'z' && argNum < a.length) {
            if (c === 'v') {
              p.sharpV = p.sharp;
              p.sharp = false;
              p.plusV = p.plus;
              p.plus = false;
            }
            p.printArg(a[argNum]!, c, 0);
            argNum++;
            i++;
            continue formatLoop;
          }
          break simple;
      }
    }
    let r = argNumber(i);
    argNum = r.argNum;
    i = r.i;
    afterIndex = r.found;
    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg(a, argNum);
      p.wid = w.num;
      p.widPresent = w.isInt;
      argNum = w.next;
      if (!p.widPresent) p.buf += '%!(BADWIDTH)';
      if (p.wid < 0) {
        p.wid = -p.wid;
        p.minus = true;
        p.zero = false;
      }
      afterIndex = false;
    } else {
      const n = parseNum(format, i, end);
      p.wid = n.num;
      p.widPresent = n.ok;
      i = n.next;
      if (afterIndex && p.widPresent) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      r = argNumber(i);
      argNum = r.argNum;
      i = r.i;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const w = intFromArg(a, argNum);
        p.prec = w.num;
        p.precPresent = w.isInt;
        argNum = w.next;
        if (p.prec < 0) {
          p.prec = 0;
          p.precPresent = false;
        }
        if (!p.precPresent) p.buf += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const n = parseNum(format, i, end);
        p.prec = n.num;
        p.precPresent = n.ok;
        i = n.next;
        if (!p.precPresent) {
          p.prec = 0;
          p.precPresent = true;
        }
      }
    }
    if (!afterIndex) {
      r = argNumber(i);
      argNum = r.argNum;
      i = r.i;
      afterIndex = r.found;
    }
    if (i >= end) {
      p.buf += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') p.buf += '%';
    else if (!goodArgNum) p.buf += '%!' + verb + '(BADINDEX)';
    else if (argNum >= a.length) p.buf += '%!' + verb + '(MISSING)';
    else {
      if (verb === 'v') {
        p.sharpV = p.sharp;
        p.sharp = false;
        p.plusV = p.plus;
        p.plus = false;
      }
      p.printArg(a[argNum]!, verb, 0);
      argNum++;
    }
  }
  if (!reordered && argNum < a.length) {
    p.clearFlags();
    p.buf += '%!(EXTRA ';
    a.slice(argNum).forEach((arg, k) => {
      if (k > 0) p.buf += ', ';
      if (arg === null) p.buf += '<nil>';
      else {
        p.buf += typeName(arg) + '=';
        p.printArg(arg, 'v', 0);
      }
    });
    p.buf += ')';
  }
  return p.buf;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(a: GoValue[]): string {
  const p = new Printer();
  let prevString = false;
  a.forEach((arg, k) => {
    const isString = typeof arg === 'string';
    if (k > 0 && !isString && !prevString) p.buf += ' ';
    p.printArg(arg, 'v', 0);
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln. */
export function sprintln(a: GoValue[]): string {
  const p = new Printer();
  a.forEach((arg, k) => {
    if (k > 0) p.buf += ' ';
    p.printArg(arg, 'v', 0);
  });
  return p.buf + '\n';
}

/** fmt.Sprint of one value: how `{{ . }}` prints. */
export function formatValue(v: GoValue): string {
  return sprint([v]);
}
