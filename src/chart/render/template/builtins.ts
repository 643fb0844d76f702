/** Go's predefined template functions (text/template funcs.go), except and/or which the executor short-circuits. */

import { GoObject, type GoParamType, type GoValue } from './types.js';
import { isMap, sprint, sprintf, sprintln, typeName } from './fmt.js';
import { isFunc, toGo, truth, type Val } from './values.js';
import { isPrint } from './quote.js';
import { GoComplex } from './complex.js';

/** An error a builtin returns; the executor reports it as `error calling NAME: MSG`. */
export class BuiltinError extends Error {}

/** Go parameter types the executor converts arguments to, as reflect does; 'value' is reflect.Value (builtins). */
export type ParamType = GoParamType | 'value';

export interface Builtin {
  /** Fixed parameters; with variadic, the last entry is the element type of the `...` parameter. */
  params: ParamType[];
  variadic: boolean;
  fn: (args: Val[]) => Val;
}

const err = (msg: string): never => {
  throw new BuiltinError(msg);
};

/** Go's basicKind for comparisons. */
type Kind = 'invalid' | 'bool' | 'int' | 'float' | 'complex' | 'string' | 'other';
function kindOf(v: Val): Kind {
  if (v === undefined || v === null) return 'invalid';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  return v instanceof GoComplex ? 'complex' : 'other';
}

/** reflect Kind name for "non-comparable types" comparisons of non-basic values. */
function reflectKind(v: Val): string {
  if (v === undefined) return 'invalid';
  if (v === null) return 'interface';
  if (typeof v === 'function') return 'func';
  if (v instanceof Uint8Array || Array.isArray(v)) return 'slice';
  if (v instanceof GoObject) return 'struct';
  return 'map';
}

function show(v: Val): string {
  return sprint([toGo(v)]);
}

function showS(v: Val): string {
  return sprintf('%s', [toGo(v)]);
}

/** Go 1.25 names both types (Helm's Go; Go 1.19 said only "incompatible types for comparison"). */
function incompatible(a: Val, b: Val): never {
  return err(`incompatible types for comparison: ${typeName(toGo(a))} and ${typeName(toGo(b))}`);
}

function eq(args: Val[]): Val {
  const [a1, ...rest] = args;
  if (rest.length === 0) err('missing argument for comparison');
  const k1 = kindOf(a1);
  for (const a of rest) {
    const k2 = kindOf(a);
    let t = false;
    if (k1 !== k2) {
      if (a1 !== undefined && a1 !== null && a !== undefined && a !== null) incompatible(a1, a);
    } else if (k1 === 'invalid' || k1 === 'other') {
      const n1 = a1 === undefined || a1 === null;
      const n2 = a === undefined || a === null;
      if (!n1 && !n2 && reflectKind(a1) !== reflectKind(a)) {
        err(`non-comparable types ${showS(a1)}: ${typeName(toGo(a1))}, ${typeName(toGo(a))}: ${show(a)}`);
      }
      if (n1 || n2) t = n1 === n2;
      else if (a instanceof GoObject) t = a1 === a;
      else err(`non-comparable type ${showS(a)}: ${typeName(toGo(a))}`);
    } else if (k1 === 'complex') {
      t = (a1 as GoComplex).re === (a as GoComplex).re && (a1 as GoComplex).im === (a as GoComplex).im;
    } else {
      t = a1 === a;
    }
    if (t) return true;
  }
  return false;
}

function lt(a: Val, b: Val): boolean {
  const k1 = kindOf(a);
  if (k1 === 'invalid' || k1 === 'other') err('invalid type for comparison');
  const k2 = kindOf(b);
  if (k2 === 'invalid' || k2 === 'other') err('invalid type for comparison');
  if (k1 !== k2) incompatible(a, b);
  if (k1 === 'bool' || k1 === 'complex') err('invalid type for comparison');
  return (a as number | bigint | string) < (b as number | bigint | string);
}

function le(a: Val, b: Val): boolean {
  return lt(a, b) || (eq([a, b]) as boolean);
}

function indexArg(v: Val, cap: number): number {
  const x = v === null ? undefined : v;
  if (x === undefined) return err('cannot index slice/array with nil');
  if (typeof x !== 'bigint') return err(`cannot index slice/array with type ${typeName(toGo(x))}`);
  if (x < 0n || x > BigInt(cap)) err(`index out of range: ${x}`);
  return Number(x);
}

function index(args: Val[]): Val {
  let item: Val = args[0] === null ? undefined : args[0];
  if (item === undefined) return err('index of untyped nil');
  for (const raw of args.slice(1)) {
    const idx = raw === null ? undefined : raw;
    if (item === null) err('index of nil pointer');
    if (typeof item === 'string') {
      const bytes: Buffer = Buffer.from(item, 'utf8');
      const x = indexArg(idx, bytes.length);
      if (x === bytes.length) err('reflect: string index out of range');
      item = BigInt(bytes[x]!);
    } else if (item instanceof Uint8Array) {
      const x = indexArg(idx, item.length);
      if (x === item.length) err('reflect: slice index out of range');
      item = BigInt(item[x]!);
    } else if (Array.isArray(item)) {
      const x = indexArg(idx, item.length);
      if (x === item.length) err('reflect: slice index out of range');
      item = item[x] ?? null;
    } else if (isMap(item)) {
      if (idx === undefined) err('value is nil; should be of type string');
      if (typeof idx !== 'string') err(`value has type ${typeName(toGo(idx))}; should be string`);
      item = Object.hasOwn(item, idx as string) ? (item[idx as string] ?? null) : null;
    } else {
      err(`can't index item of type ${typeName(toGo(item as Val))}`);
    }
  }
  return item as Val;
}

function slice(args: Val[]): Val {
  const item = args[0] === null ? undefined : args[0];
  if (item === undefined) return err('slice of untyped nil');
  const idxs = args.slice(1);
  if (idxs.length > 3) err(`too many slice indexes: ${idxs.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (idxs.length === 3) err('cannot 3-index slice a string');
    len = Buffer.byteLength(item, 'utf8');
  } else if (Array.isArray(item) || item instanceof Uint8Array) {
    len = item.length;
  } else {
    return err(`can't slice item of type ${typeName(toGo(item as Val))}`);
  }
  const idx = [0, len, len];
  idxs.forEach((v, i) => (idx[i] = indexArg(v === null ? undefined : v, len)));
  if (idx[0]! > idx[1]!) err(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (idxs.length === 3 && idx[1]! > idx[2]!) err(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return item.slice(idx[0], idx[1]) as GoValue;
}

function length(v: Val): Val {
  if (v === null) return err('len of nil pointer');
  if (v === undefined) return err('reflect: call of reflect.Value.Type on zero Value');
  if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
  if (v instanceof Uint8Array || Array.isArray(v)) return BigInt(v.length);
  if (isMap(v)) return BigInt(Object.keys(v).length);
  return err(`len of type ${typeName(toGo(v))}`);
}

/** evalArgs of Go's html/js/urlquery: one string as is, else fmt.Sprint with nil as <no value>. */
function evalArgs(args: Val[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  const parts: GoValue[] = args.map((a) => (a === null || a === undefined ? '<no value>' : toGo(a)));
  return sprint(parts);
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    c === '\0' ? '\uFFFD' : c === '"' ? '&#34;' : c === "'" ? '&#39;' : c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;',
  );
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80 || isPrint(cp)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go ≥ 1.24's call: the callee's name (its node text) comes first, for the messages. */
function call(args: Val[]): Val {
  const name = args[0] as string;
  const fn = args[1];
  if (fn === undefined || fn === null) return err('call of nil');
  if (!isFunc(fn)) return err(`non-function ${name} of type ${typeName(toGo(fn))}`);
  const rest = args.slice(2);
  if (fn.arity !== undefined) {
    if (fn.variadic && rest.length < fn.arity) err(`wrong number of args for ${name}: got ${rest.length} want at least ${fn.arity}`);
    if (!fn.variadic && rest.length !== fn.arity) err(`wrong number of args for ${name}: got ${rest.length} want ${fn.arity}`);
  }
  return fn(...rest.map(toGo));
}

const s1 = (fn: (args: Val[]) => Val): Builtin => ({ params: ['any'], variadic: true, fn });

export const BUILTINS: Record<string, Builtin> = {
  and: { params: ['value', 'value'], variadic: true, fn: () => undefined },
  or: { params: ['value', 'value'], variadic: true, fn: () => undefined },
  not: { params: ['value'], variadic: false, fn: (a) => !truth(a[0]) },
  call: { params: ['value', 'value'], variadic: true, fn: call },
  html: s1((a) => htmlEscape(evalArgs(a))),
  js: s1((a) => jsEscape(evalArgs(a))),
  urlquery: s1((a) => queryEscape(evalArgs(a))),
  index: { params: ['value', 'value'], variadic: true, fn: index },
  slice: { params: ['value', 'value'], variadic: true, fn: slice },
  len: { params: ['value'], variadic: false, fn: (a) => length(a[0]) },
  print: s1((a) => sprint(a.map(toGo))),
  printf: { params: ['string', 'any'], variadic: true, fn: (a) => sprintf(a[0] as string, a.slice(1).map(toGo)) },
  println: s1((a) => sprintln(a.map(toGo))),
  eq: { params: ['value', 'value'], variadic: true, fn: eq },
  ne: { params: ['value', 'value'], variadic: false, fn: (a) => !eq([a[0], a[1]]) },
  lt: { params: ['value', 'value'], variadic: false, fn: (a) => lt(a[0], a[1]) },
  le: { params: ['value', 'value'], variadic: false, fn: (a) => le(a[0], a[1]) },
  gt: { params: ['value', 'value'], variadic: false, fn: (a) => !le(a[0], a[1]) },
  ge: { params: ['value', 'value'], variadic: false, fn: (a) => !lt(a[0], a[1]) },
};
