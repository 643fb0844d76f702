/** The remaining sprig areas, gathered: paths, random strings, and the option-dependent ones. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FuncMap, GoValue } from '../template/types.js';
import { argInt, argIntNum, argString, fn } from './args.js';
import { TemplateFuncError } from '../template/types.js';

export interface FuncOptions {
  /** Uniform random in [0, 1): makes rand*, uuidv4, shuffle and generated keys' serials repeatable. */
  random?: () => number;
  /** The clock for now/ago/date defaults. */
  now?: () => Date;
}

/** path.Clean (slash-separated, as Go's path package). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(seg);
  }
  const out = (rooted ? '/' : '') + parts.join('/');
  return out === '' ? '.' : out;
}

function basePath(p: string): string {
  if (p === '') return '.';
  p = p.replace(/\/+$/, '');
  if (p === '') return '/';
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

function dirPath(p: string): string {
  const i = p.lastIndexOf('/');
  return cleanPath(p.slice(0, i + 1));
}

function extPath(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}


const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NUM = '0123456789';

export function extraFuncs(options: FuncOptions): FuncMap {
  const rnd = options.random;
  const randInt = (n: number): number => {
    if (rnd) return Math.floor(rnd() * n);
    const b = randomBytes(6).readUIntBE(0, 6);
    return Math.floor((b / 2 ** 48) * n);
  };
  /** goutils.CryptoRandom: count characters from the set (ASCII printable for randAscii). */
  const randFrom = (count: bigint, set: string): string => {
    // goutils refuses a negative count with an error, which sprig turns into ""
    if (count < 0n) return '';
    let s = '';
    for (let i = 0n; i < count; i++) s += set[randInt(set.length)];
    return s;
  };
  let ascii = '';
  for (let c = 32; c <= 126; c++) ascii += String.fromCharCode(c);
  return {
    base: fn(1, (p) => basePath(argString(p))),
    dir: fn(1, (p) => dirPath(argString(p))),
    clean: fn(1, (p) => cleanPath(argString(p))),
    ext: fn(1, (p) => extPath(argString(p))),
    isAbs: fn(1, (p) => argString(p).startsWith('/')),
    // Helm runs on Linux here: filepath is path with '/' separators
    osBase: fn(1, (p) => basePath(argString(p))),
    osDir: fn(1, (p) => dirPath(argString(p))),
    osClean: fn(1, (p) => cleanPath(argString(p))),
    osExt: fn(1, (p) => extPath(argString(p))),
    osIsAbs: fn(1, (p) => argString(p).startsWith('/')),

    randAlphaNum: fn(1, (c) => randFrom(argInt(c), ALPHA + NUM)),
    randAlpha: fn(1, (c) => randFrom(argInt(c), ALPHA)),
    randNumeric: fn(1, (c) => randFrom(argInt(c), NUM)),
    randAscii: fn(1, (c) => randFrom(argInt(c), ascii)),
    randInt: fn(2, (a, b) => {
      const min = argIntNum(a);
      const max = argIntNum(b);
      if (max - min <= 0) throw new TemplateFuncError('invalid argument to Intn');
      return BigInt(randInt(max - min) + min);
    }),
    uuidv4: fn(0, () => {
      if (!rnd) return randomUUID();
      const b = Buffer.alloc(16);
      for (let i = 0; i < 16; i++) b[i] = randInt(256);
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }),
    shuffle: fn(1, (s) => {
      const runes = [...argString(s)];
      for (let i = runes.length - 1; i > 0; i--) {
        const j = randInt(i + 1);
        [runes[i], runes[j]] = [runes[j]!, runes[i]!];
      }
      return runes.join('');
    }),
  } satisfies Record<string, (...a: GoValue[]) => GoValue>;
}
