/**
 * The value model shared by the template engine (template/), the function library
 * (funcs/) and the chart renderer (render/). Go's text/template is dynamically typed
 * over Go kinds, and Helm's output depends on those kinds (`printf "%d"` of a float64
 * prints `%!d(float64=3)`, values parsed from YAML are float64, sprig's `add` gives
 * int64). So every Go kind that reaches a template has exactly one JS form:
 *
 * | Go                                   | JS                                              |
 * |--------------------------------------|-------------------------------------------------|
 * | nil (untyped, or nil interface)      | `null` (`undefined` is never stored; treat as nil) |
 * | bool                                 | `boolean`                                       |
 * | string                               | `string`                                        |
 * | float64 (and float32)                | `number`                                        |
 * | int, int64, uint8… (any integer)     | `bigint`, kept within int64 by BigInt.asIntN(64) |
 * | []byte                               | `Uint8Array`                                    |
 * | []interface{}, []string, …           | `GoValue[]` (element kind tag optional: see SLICE_TYPE) |
 * | map[string]interface{} / map[string]string | plain object (`GoMap`), keys iterate sorted where Go sorts |
 * | struct or pointer to struct with methods (.Chart, .Release, .Capabilities, .Files, semver.Version, time.Time) | an instance of `GoObject` |
 *
 * Fields of a map that are absent are "missing keys" (Helm: missingkey=zero, giving
 * nil, printed `<no value>` and then erased by Helm). Fields of a GoObject that are
 * absent are execution errors, as on a Go struct.
 */
export type GoValue = null | boolean | string | number | bigint | Uint8Array | GoValue[] | GoMap | GoObject;

export interface GoMap {
  [key: string]: GoValue;
}

/** Optional Go type name of a slice (`[]string`), for typeOf/printf %T; absent means `[]interface {}`. */
export const SLICE_TYPE: unique symbol = Symbol('airlock.go.sliceType');
/** Optional Go type name of a map (`map[string]string`); absent means `map[string]interface {}`. */
export const MAP_TYPE: unique symbol = Symbol('airlock.go.mapType');

/**
 * A Go struct (or pointer to one): named fields and methods. `field(name)` returns
 * undefined when the struct has no such field or method (an execution error in Go:
 * "can't evaluate field X in type T"). A method is returned as a GoFunc and is
 * called by the engine with the arguments of the command, as Go calls methods.
 */
export abstract class GoObject {
  /** Go type name for printf %T and errors: `*chart.Metadata`, `semver.Version`. */
  abstract readonly goType: string;
  abstract field(name: string): GoValue | GoFunc | undefined;
  /** How `{{ . }}` / printf %v prints it, as Go's fmt would (structs print `{a b}`, time.Time its String()). */
  abstract format(): string;
}

/**
 * A template function (sprig, Helm, or a method). Arguments arrive already
 * evaluated; throwing a `TemplateFuncError` (or any Error) stops execution with
 * Go's message form `error calling NAME: MESSAGE`.
 * `variadic`/`arity` let the engine report Go's "wrong number of args" errors.
 */
export interface GoFunc {
  (this: void, ...args: GoValue[]): GoValue;
  /** Number of fixed parameters; the engine checks counts as Go's reflect call would. */
  arity?: number;
  /** Whether the last parameter is variadic (`...interface{}`). */
  variadic?: boolean;
  /** Go types of the parameters (see GoParamType); when set, it defines the arity. */
  params?: readonly GoParamType[];
}

export type FuncMap = Record<string, GoFunc>;

/** An error raised by a function, rendered by the engine as Go does: `error calling NAME: MESSAGE`. */
export class TemplateFuncError extends Error {}

/**
 * The engine's surface, as the renderer uses it (implemented in template/):
 *
 *   const set = new TemplateSet({ funcs, missingKey: 'zero' });
 *   set.parse('mychart/templates/deployment.yaml', text); // defines the file and its `define`s;
 *                                                        // a later define of the same name replaces the earlier, as in Go
 *   set.execute('mychart/templates/deployment.yaml', data): string
 *   set.clone()                                          // for `tpl`, which parses into a copy
 *
 * Helm's `include`, `tpl` and `required` need the set at call time; funcs/ builds them
 * from a callback `(name, data) => string` the renderer passes in, so template/ never
 * imports funcs/ and funcs/ never imports render/.
 * Errors are thrown as `TemplateError` with Go's text, `template: NAME:LINE:COL: ...`.
 */

/**
 * Go type of one parameter of a GoFunc, so the engine converts constant arguments and
 * reports type errors as Go's reflect call does (`expected string; found 3`,
 * `wrong type for value; expected int; got float64`, `can't handle "x" for arg of type
 * map[string]interface {}`). 'any' and 'interface {}' take anything (the function
 * checks its arguments itself). Integer kinds accept any bigint (the value model does
 * not tell int from int64).
 */
export type GoParamType =
  | 'any'
  | 'interface {}'
  | 'string'
  | 'bool'
  | 'int'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float64'
  | 'float32'
  | 'map[string]interface {}'
  | '[]interface {}'
  | '[]string';

/**
 * Optional signature of a GoFunc (set as a property on the function): `params` lists
 * the Go types of its parameters (with `variadic`, the last entry is the element type
 * of the `...` parameter). When present it defines the arity.
 */
export interface GoFuncSignature {
  params?: readonly GoParamType[];
}
