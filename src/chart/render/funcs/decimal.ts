/**
 * The slice of shopspring/decimal that sprig's addf/subf/mulf/divf use: exact decimal
 * arithmetic on the shortest decimal form of each float64, division rounded half away
 * from zero to 16 places, then back to the nearest float64.
 */
import { TemplateFuncError } from '../template/types.js';

/** value = coef × 10^exp */
export interface Decimal {
  coef: bigint;
  exp: number;
}

const DIVISION_PRECISION = 16;

export function decimalFromFloat(f: number): Decimal {
  if (!Number.isFinite(f)) throw new TemplateFuncError(`Cannot create a Decimal from ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`);
  if (f === 0) return { coef: 0n, exp: 0 };
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(f.toExponential())!;
  const frac = m[3] ?? '';
  return { coef: BigInt(m[1]! + m[2]! + frac), exp: Number(m[4]) - frac.length };
}

export function decimalToFloat(d: Decimal): number {
  return Number(`${d.coef}e${d.exp}`);
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const e = Math.min(a.exp, b.exp);
  return [a.coef * 10n ** BigInt(a.exp - e), b.coef * 10n ** BigInt(b.exp - e), e];
}

export function addDec(a: Decimal, b: Decimal): Decimal {
  const [x, y, e] = align(a, b);
  return { coef: x + y, exp: e };
}
export function subDec(a: Decimal, b: Decimal): Decimal {
  const [x, y, e] = align(a, b);
  return { coef: x - y, exp: e };
}
export function mulDec(a: Decimal, b: Decimal): Decimal {
  return { coef: a.coef * b.coef, exp: a.exp + b.exp };
}
export function divDec(a: Decimal, b: Decimal): Decimal {
  if (b.coef === 0n) throw new TemplateFuncError('decimal division by 0');
  // q = round(a/b × 10^16) × 10^-16, half away from zero
  const k = a.exp - b.exp + DIVISION_PRECISION;
  let num = a.coef;
  let den = b.coef;
  if (k >= 0) num *= 10n ** BigInt(k);
  else den *= 10n ** BigInt(-k);
  let q = num / den;
  const r = num - q * den;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  if (2n * abs(r) >= abs(den)) q += (num < 0n) !== (den < 0n) ? -1n : 1n;
  return { coef: q, exp: -DIVISION_PRECISION };
}
