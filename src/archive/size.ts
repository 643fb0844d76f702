import { AirlockError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * Parses a size as users type it for `--split-size`: `4096`, `700M`, `1.5G`, `4G`.
 * Units are binary (K = 1024), an optional trailing `B` or `iB` is accepted, case
 * does not matter. The result is a whole number of bytes >= 1.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  const bad = (why: string): AirlockError =>
    new AirlockError('USAGE', `size ${JSON.stringify(text)} ${why}`, {
      hint: 'give a number of bytes, or a number with a binary unit K, M, G or T, for example 700M, 1.5G or 4G',
    });
  if (!match) throw bad('is not a size');
  const number = Number(match[1]);
  const unit = UNITS[(match[2] ?? '').toUpperCase()] ?? 1;
  const bytes = number * unit;
  if (!Number.isFinite(bytes) || bytes > Number.MAX_SAFE_INTEGER) throw bad('is too large');
  if (!Number.isInteger(bytes)) {
    // 1.5G is a whole number of bytes, 1.5 (bytes) is not; rounding down a unit
    // multiple like 0.3K (307.2) is what users mean.
    if (unit === 1) throw bad('is not a whole number of bytes');
  }
  const whole = Math.floor(bytes);
  if (whole < 1) throw bad('must be at least one byte');
  return whole;
}
