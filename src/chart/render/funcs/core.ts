/** Sprig's defaults, reflection, JSON, conversion and integer/float math functions. */
import { createHash } from 'node:crypto';
import { TemplateFuncError, type FuncMap, type GoValue } from '../template/types.js';
import { argBool, argInt, argString, fn, vfn } from './args.js';
import { deepEqual, empty, parseGoInt, toFloat64, toInt64 } from './cast.js';
import { formatV, goKindName, goTypeName } from './gofmt.js';
import { marshalJSON, parseJSON } from './json.js';
import { typedSlice } from './strings.js';
import { addDec, decimalFromFloat, decimalToFloat, divDec, mulDec, subDec, type Decimal } from './decimal.js';

const I64_MIN = -(1n << 63n);

function untilStep(start: bigint, stop: bigint, step: bigint): bigint[] {
  const v: bigint[] = [];
  if (stop < start) {
    if (step >= 0n) return v;
    for (let i = start; i > stop; i += step) v.push(i);
    return v;
  }
  if (step <= 0n) return v;
  for (let i = start; i < stop; i += step) v.push(i);
  return v;
}

function seq(ps: bigint[]): string {
  const join = (a: bigint[]) => a.join(' ');
  switch (ps.length) {
    case 0:
      return '';
    case 1: {
      const end = ps[0]!;
      const inc = end < 1n ? -1n : 1n;
      return join(untilStep(1n, end + inc, inc));
    }
    case 2: {
      const [start, end] = [ps[0]!, ps[1]!];
      const step = end < start ? -1n : 1n;
      return join(untilStep(start, end + step, step));
    }
    case 3: {
      const [start, step, end] = [ps[0]!, ps[1]!, ps[2]!];
      let inc = 1n;
      if (end < start) {
        inc = -1n;
        if (step > 0n) return '';
      }
      return join(untilStep(start, end + inc, step));
    }
    default:
      return '';
  }
}

/** sprig's round: float arithmetic exactly as Go does it. */
function round(a: GoValue, p: bigint, rOpt: GoValue[]): number {
  const roundOn = rOpt.length > 0 ? toFloat64(rOpt[0]) : 0.5;
  const val = toFloat64(a);
  const pow = Math.pow(10, Number(p));
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  const r = frac >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

function decimalOp(a: GoValue, rest: GoValue[], op: (x: Decimal, y: Decimal) => Decimal): number {
  let acc = decimalFromFloat(toFloat64(a));
  for (const x of rest) acc = op(acc, decimalFromFloat(toFloat64(x)));
  return decimalToFloat(acc);
}

function i64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** Go's math.Max / math.Min (NaN wins; +0 beats -0 in Max). */
function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? b : a;
  return a > b ? a : b;
}
function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? a : b;
  return a < b ? a : b;
}

function intDiv(a: bigint, b: bigint, mod: boolean): bigint {
  if (b === 0n) throw new TemplateFuncError('runtime error: integer divide by zero');
  if (a === I64_MIN && b === -1n) return mod ? 0n : I64_MIN;
  return mod ? a % b : a / b;
}

function toDecimal(v: GoValue): bigint {
  const s = formatV(v);
  if (!/^[+-]?[0-7]+$/.test(s)) return 0n;
  return parseGoInt(s.replace(/^([+-]?)/, '$10o')) ?? 0n;
}

export const coreFuncs: FuncMap = {
  // sprig's own smoke-test function, reachable from templates too
  hello: fn(0, () => 'Hello!'),
  // defaults.go
  default: vfn(1, (d, ...given) => (given.length === 0 || empty(given[0]) ? d : (given[0] ?? null))),
  empty: fn(1, (v) => empty(v)),
  coalesce: vfn(0, (...vs) => vs.find((v) => !empty(v)) ?? null),
  all: vfn(0, (...vs) => vs.every((v) => !empty(v))),
  any: vfn(0, (...vs) => vs.some((v) => !empty(v))),
  ternary: fn(3, (vt, vf, v) => (argBool(v) ? vt : vf)),
  toJson: fn(1, (v) => {
    try {
      return marshalJSON(v);
    } catch {
      return '';
    }
  }),
  mustToJson: fn(1, (v) => marshalJSON(v)),
  toPrettyJson: fn(1, (v) => {
    try {
      return marshalJSON(v, { indent: '  ' });
    } catch {
      return '';
    }
  }),
  mustToPrettyJson: fn(1, (v) => marshalJSON(v, { indent: '  ' })),
  toRawJson: fn(1, (v) => marshalJSON(v, { escapeHTML: false })),
  mustToRawJson: fn(1, (v) => marshalJSON(v, { escapeHTML: false })),
  mustFromJson: fn(1, (s) => parseJSON(argString(s))),

  // reflect.go
  typeOf: fn(1, (v) => goTypeName(v)),
  typeIs: fn(2, (t, v) => argString(t) === goTypeName(v)),
  typeIsLike: fn(2, (t, v) => {
    const target = argString(t);
    const name = goTypeName(v);
    return target === name || '*' + target === name;
  }),
  kindOf: fn(1, (v) => goKindName(v)),
  kindIs: fn(2, (t, v) => argString(t) === goKindName(v)),
  deepEqual: fn(2, (a, b) => deepEqual(a, b)),

  // conversions
  int64: fn(1, (v) => toInt64(v)),
  int: fn(1, (v) => toInt64(v)),
  float64: fn(1, (v) => toFloat64(v)),
  toDecimal: fn(1, (v) => toDecimal(v)),
  seq: vfn(0, (...ps) => seq(ps.map((p) => argInt(p)))),
  until: fn(1, (c) => {
    const count = argInt(c);
    return typedSlice(untilStep(0n, count, count < 0n ? -1n : 1n), '[]int');
  }),
  untilStep: fn(3, (a, b, c) => typedSlice(untilStep(argInt(a), argInt(b), argInt(c)), '[]int')),

  // integer math (int64)
  add1: fn(1, (i) => i64(toInt64(i) + 1n)),
  add: vfn(0, (...xs) => xs.reduce<bigint>((a, b) => i64(a + toInt64(b)), 0n)),
  sub: fn(2, (a, b) => i64(toInt64(a) - toInt64(b))),
  div: fn(2, (a, b) => intDiv(toInt64(a), toInt64(b), false)),
  mod: fn(2, (a, b) => intDiv(toInt64(a), toInt64(b), true)),
  mul: vfn(1, (a, ...xs) => xs.reduce<bigint>((acc, b) => i64(acc * toInt64(b)), toInt64(a))),
  max: vfn(1, (a, ...xs) => xs.reduce<bigint>((m, b) => (toInt64(b) > m ? toInt64(b) : m), toInt64(a))),
  biggest: vfn(1, (a, ...xs) => xs.reduce<bigint>((m, b) => (toInt64(b) > m ? toInt64(b) : m), toInt64(a))),
  min: vfn(1, (a, ...xs) => xs.reduce<bigint>((m, b) => (toInt64(b) < m ? toInt64(b) : m), toInt64(a))),

  // float math: the *f functions go through shopspring/decimal
  add1f: fn(1, (i) => decimalOp(i, [1n], addDec)),
  addf: vfn(0, (...xs) => decimalOp(0, xs, addDec)),
  subf: vfn(1, (a, ...xs) => decimalOp(a, xs, subDec)),
  mulf: vfn(1, (a, ...xs) => decimalOp(a, xs, mulDec)),
  divf: vfn(1, (a, ...xs) => decimalOp(a, xs, divDec)),
  maxf: vfn(1, (a, ...xs) => xs.reduce<number>((m, b) => goMax(m, toFloat64(b)), toFloat64(a))),
  minf: vfn(1, (a, ...xs) => xs.reduce<number>((m, b) => goMin(m, toFloat64(b)), toFloat64(a))),
  ceil: fn(1, (a) => Math.ceil(toFloat64(a))),
  floor: fn(1, (a) => Math.floor(toFloat64(a))),
  round: vfn(2, (a, p, ...r) => round(a, argInt(p), r)),

  // encoding
  b64enc: fn(1, (s) => Buffer.from(argString(s), 'utf8').toString('base64')),
  b64dec: fn(1, (s) => b64dec(argString(s))),
  b32enc: fn(1, (s) => base32Encode(Buffer.from(argString(s), 'utf8'))),
  b32dec: fn(1, (s) => b32dec(argString(s))),
  sha1sum: fn(1, (s) => createHash('sha1').update(argString(s), 'utf8').digest('hex')),
  sha256sum: fn(1, (s) => createHash('sha256').update(argString(s), 'utf8').digest('hex')),
  sha512sum: fn(1, (s) => createHash('sha512').update(argString(s), 'utf8').digest('hex')),
  adler32sum: fn(1, (s) => adler32(Buffer.from(argString(s), 'utf8')).toString()),
};

/**
 * base64.StdEncoding.DecodeString, with Go's CorruptInputError text returned as the result
 * (sprig does that). Go decodes quantum by quantum and reports the offset of the first bad
 * byte, or the start of an incomplete final quantum; \r and \n are skipped.
 */
function b64dec(s: string): string {
  const bytes = [...s];
  let si = 0;
  const out: string[] = [];
  const bad = (off: number) => `illegal base64 data at input byte ${off}`;
  for (;;) {
    const q: string[] = [];
    let j = 0;
    while (j < 4) {
      if (si === bytes.length) {
        if (j === 0) return Buffer.from(out.join(''), 'base64').toString('utf8');
        return bad(si - j);
      }
      const c = bytes[si]!;
      si++;
      if (c === '\n' || c === '\r') continue;
      if (c === '=') {
        // padding: only in positions 2 or 3 of the last quantum
        if (j === 0 || j === 1) return bad(si - 1);
        if (j === 2) {
          while (si < bytes.length && (bytes[si] === '\n' || bytes[si] === '\r')) si++;
          if (si === bytes.length) return bad(bytes.length);
          if (bytes[si] !== '=') return bad(si - 1);
          si++;
        }
        while (si < bytes.length && (bytes[si] === '\n' || bytes[si] === '\r')) si++;
        if (si < bytes.length) return bad(si);
        out.push(q.join('') + '='.repeat(4 - j));
        return Buffer.from(out.join(''), 'base64').toString('utf8');
      }
      if (!/[A-Za-z0-9+/]/.test(c)) return bad(si - 1);
      q.push(c);
      j++;
    }
    out.push(q.join(''));
  }
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32Encode(b: Buffer): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of b) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * base32.StdEncoding.DecodeString: newlines are stripped first (offsets count without
 * them), then Go's quantum decoder with its padding rules; sprig returns the error text.
 */
function b32dec(s: string): string {
  const src = s.replace(/[\r\n]/g, '');
  const olen = src.length;
  const bad = (off: number) => `illegal base32 data at input byte ${off}`;
  const out: number[] = [];
  let pos = 0;
  let end = false;
  while (pos < src.length && !end) {
    const dbuf: number[] = [];
    let dlen = 8;
    for (let j = 0; j < 8; ) {
      if (pos >= src.length) return bad(olen - (src.length - pos) - j);
      const c = src[pos++]!;
      const left = src.length - pos;
      if (c === '=' && j >= 2 && left < 8) {
        if (left + j < 8 - 1) return bad(olen);
        for (let k = 0; k < 8 - 1 - j; k++) if (left > k && src[pos + k] !== '=') return bad(olen - left + k - 1);
        dlen = j;
        end = true;
        if (dlen === 1 || dlen === 3 || dlen === 6) return bad(olen - left - 1);
        break;
      }
      const v = B32.indexOf(c);
      if (v < 0) return bad(olen - left - 1);
      dbuf[j++] = v;
    }
    // pack the 5-bit groups of this quantum
    let bits = 0n;
    for (let k = 0; k < 8; k++) bits = (bits << 5n) | BigInt(dbuf[k] ?? 0);
    const bytes = [Number((bits >> 32n) & 0xffn), Number((bits >> 24n) & 0xffn), Number((bits >> 16n) & 0xffn), Number((bits >> 8n) & 0xffn), Number(bits & 0xffn)];
    const n = { 8: 5, 7: 4, 5: 3, 4: 2, 2: 1 }[dlen] ?? 0;
    out.push(...bytes.slice(0, n));
  }
  return Buffer.from(out).toString('utf8');
}

function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

