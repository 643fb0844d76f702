/**
 * Typed parameters. Sprig's functions have Go signatures (`func(count int, str string)`),
 * and text/template refuses an argument whose type is not assignable: a float64 from
 * values.yaml passed to `repeat` fails with "wrong type for value; expected int; got float64".
 * The engine checks that itself from each function's `params` (signatures.ts); these
 * checks hold the same contract for code that calls the functions directly.
 */
import { GoObject, TemplateFuncError, type GoFunc, type GoMap, type GoValue } from '../template/types.js';
import { goTypeName, isGoMap } from './gofmt.js';

/**
 * A parameter type mismatch, detected before the call: Go reports it without the
 * "error calling NAME:" prefix (`executing "x" at <repeat .n "a">: wrong type for value; ...`).
 * The engine can tell it apart by class to print Go's form.
 */
export class ArgTypeError extends TemplateFuncError {
  readonly argTypeError = true;
}

function wrongType(expected: string, v: GoValue | undefined): never {
  if (v === null || v === undefined) throw new ArgTypeError(`invalid value; expected ${expected}`);
  throw new ArgTypeError(`wrong type for value; expected ${expected}; got ${goTypeName(v)}`);
}

export function argString(v: GoValue | undefined): string {
  if (typeof v === 'string') return v;
  return wrongType('string', v);
}

/** An `int` parameter: only Go integers are assignable (template literals arrive as bigint). */
export function argInt(v: GoValue | undefined): bigint {
  if (typeof v === 'bigint') return v;
  return wrongType('int', v);
}

export function argIntNum(v: GoValue | undefined): number {
  return Number(argInt(v));
}

export function argBool(v: GoValue | undefined): boolean {
  if (typeof v === 'boolean') return v;
  return wrongType('bool', v);
}

/** A `map[string]interface{}` parameter: nil becomes a nil (empty, read-only) map. */
export function argMap(v: GoValue | undefined): GoMap | null {
  if (v === null || v === undefined) return null;
  if (isGoMap(v)) return v;
  return wrongType('map[string]interface {}', v);
}

export function argTime(v: GoValue | undefined): GoObject {
  if (v instanceof GoObject && v.goType === 'time.Time') return v;
  return wrongType('time.Time', v);
}

/** Go's message for a panic from a nil map write. */
export const NIL_MAP_WRITE = 'assignment to entry in nil map';

/** Build a GoFunc with its arity for the engine's argument-count check. */
export function fn(arity: number, f: (...args: GoValue[]) => GoValue, variadic = false): GoFunc {
  const g = ((...args: GoValue[]) => f(...args)) as GoFunc;
  g.arity = arity;
  g.variadic = variadic;
  return g;
}

/** A function with a variadic tail: `arity` fixed parameters, then any number. */
export function vfn(arity: number, f: (...args: GoValue[]) => GoValue): GoFunc {
  return fn(arity, f, true);
}
