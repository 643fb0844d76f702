/**
 * Runtime values inside the executor. `undefined` is Go's invalid reflect.Value (the
 * result of a pipeline that gave nil); `null` is a nil interface{} value (a map entry
 * that is nil or missing under missingkey=zero, a nil slice element). Go treats the
 * two differently in a few places (field access on nil, len), so the engine keeps both.
 */

import { GoObject, type GoFunc, type GoValue } from './types.js';
import { isMap } from './fmt.js';
import { GoComplex } from './complex.js';

export type Val = GoValue | undefined | GoFunc;

export function isFunc(v: Val): v is GoFunc {
  return typeof v === 'function';
}

/** Go's isTrue: the truth of a value in if/with/and/or/not. */
export function truth(v: Val): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'function':
      return true;
  }
  if (v instanceof Uint8Array) return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoComplex) return v.re !== 0 || v.im !== 0;
  if (v instanceof GoObject) return true;
  return Object.keys(v).length > 0;
}

/** The value a Go function receives: nil for both kinds of nothing. */
export function toGo(v: Val): GoValue {
  if (v === undefined || typeof v === 'function') return null;
  return v;
}

export { isMap };
