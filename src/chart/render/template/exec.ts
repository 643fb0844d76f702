/**
 * Executes parsed templates as Go's text/template does (exec.go): the same value
 * rules, the same evaluation order and the same error texts and positions.
 */

import { GoObject, MAP_TYPE, SLICE_TYPE, type FuncMap, type GoFunc, type GoValue } from './types.js';
import { errorContext, nodeString, type ArgNode, type BranchNode, type CommandNode, type FieldNode, type ChainNode, type IdentifierNode, type ListNode, type Node, type NumberNode, type PipeNode, type TemplateNode, type VariableNode } from './nodes.js';
import type { Tree } from './parse.js';
import { BUILTINS, type ParamType } from './builtins.js';
import { formatValue, isMap, sortedKeys, typeName } from './fmt.js';
import { quoteGo } from './quote.js';
import { GoComplex } from './complex.js';
import { isFunc, toGo, truth, type Val } from './values.js';

export type MissingKey = 'zero' | 'error' | 'default';

/** Go's maxExecDepth for nested {{template}} calls. */
export const MAX_EXEC_DEPTH = 100000;

/** An execution error with Go's full message. */
export class ExecError extends Error {}

export interface ExecEnv {
  lookup(name: string): Tree | undefined;
  funcs: FuncMap;
  missingKey: MissingKey;
}

/** A value with whether Go holds it in an interface{} (map values, slice elements), which shows in some errors. */
interface Boxed {
  v: Val;
  iface: boolean;
}

interface Variable {
  name: string;
  value: Boxed;
}

const MISSING: unique symbol = Symbol('missingVal');
/** callArgs' answer for and/or, which produce their value without a call. */
const SHORT_CIRCUIT: unique symbol = Symbol('shortCircuit');
type Final = Val | typeof MISSING;

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

/** Runs template `tree` (named `name`) on `data`; returns the output. */
export function executeTree(env: ExecEnv, tree: Tree, data: GoValue): string {
  const out: string[] = [];
  // reflect.ValueOf(nil) is the invalid value, not a nil interface.
  const dot: Boxed = { v: data === null ? undefined : data, iface: false };
  const s = new State(env, tree.name, 0, out, [{ name: '$', value: dot }]);
  // A RangeError (JS stack exhausted) is left to the caller: TemplateSet.execute knows
  // whether it runs nested inside an include.
  s.walkList(dot, tree.root);
  return out.join('');
}

class State {
  node: Node | null = null;

  constructor(
    private readonly env: ExecEnv,
    private readonly name: string,
    private readonly depth: number,
    private readonly out: string[],
    private vars: Variable[],
  ) {}

  private at(n: Node): void {
    this.node = n;
  }

  errorf(msg: string): never {
    if (this.node === null) throw new ExecError(`template: ${this.name}: ${msg}`);
    const { location, context } = errorContext(this.node);
    throw new ExecError(`template: ${location}: executing ${quoteGo(this.name)} at <${context}>: ${msg}`);
  }

  // ---- variables ----
  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private setVar(name: string, value: Boxed): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i]!;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Boxed): void {
    this.vars[this.vars.length - n]!.value = value;
  }
  private varValue(name: string): Boxed {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i]!;
      if (v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // ---- statements ----
  walk(dot: Boxed, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'comment':
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(dot, node);
        return;
      case 'list':
        this.walkList(dot, node);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'text':
        this.out.push(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  // Lists are walked directly (not through walk) by the control nodes: one stack
  // frame less per nesting level, as JS has far less stack than Go.
  walkList(dot: Boxed, list: ListNode): void {
    const nodes = list.nodes;
    for (let i = 0; i < nodes.length; i++) this.walk(dot, nodes[i]!);
  }

  private walkIfOrWith(dot: Boxed, node: BranchNode): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (truth(val)) {
        this.walkList(node.type === 'with' ? { v: val, iface: false } : dot, node.list);
      } else if (node.elseList) {
        this.walkList(dot, node.elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: Boxed, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const ndecl = r.pipe.decl.length;
      const decl = r.pipe.decl;
      const one = (index: Boxed, elem: Boxed): void => {
        // `range $i, $e := x` declares (the two variables are the top of the stack);
        // `range $i, $e = x` (Go 1.22) assigns existing ones.
        if (r.pipe.isAssign) {
          if (ndecl > 0) this.setVar(decl[0]!.ident[0]!, ndecl > 1 ? index : elem);
          if (ndecl > 1) this.setVar(decl[1]!.ident[0]!, elem);
        } else {
          if (ndecl > 0) this.setTopVar(1, elem);
          if (ndecl > 1) this.setTopVar(2, index);
        }
        try {
          this.walkList(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      if (val instanceof Uint8Array || Array.isArray(val)) {
        if (val.length > 0) {
          const elemIface = !(val instanceof Uint8Array) && (val as { [SLICE_TYPE]?: string })[SLICE_TYPE] === undefined;
          for (let i = 0; i < val.length; i++) {
            const e = val instanceof Uint8Array ? BigInt(val[i]!) : (val[i] ?? null);
            one({ v: BigInt(i), iface: false }, { v: e, iface: elemIface });
          }
          return;
        }
      } else if (typeof val === 'bigint') {
        // Go 1.22: range over an integer.
        if (ndecl > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
        if (val > 0n) {
          for (let i = 0n; i < val; i++) one({ v: i, iface: false }, { v: i, iface: false });
          return;
        }
      } else if (isMap(val)) {
        const keys = sortedKeys(val);
        if (keys.length > 0) {
          const elemIface = (val as { [MAP_TYPE]?: string })[MAP_TYPE] === undefined;
          for (const k of keys) one({ v: k, iface: false }, { v: val[k] ?? null, iface: elemIface });
          return;
        }
      } else if (val !== undefined && val !== null) {
        this.errorf(`range can't iterate over ${formatValue(toGo(val))}`);
      }
      if (r.elseList) this.walkList(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: Boxed, t: TemplateNode): void {
    this.at(t);
    const tree = this.env.lookup(t.name);
    if (tree === undefined) this.errorf(`template ${quoteGo(t.name)} not defined`);
    if (this.depth === MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot: Boxed = { v: this.evalPipeline(dot, t.pipe), iface: false };
    const s = new State(this.env, t.name, this.depth + 1, this.out, [{ name: '$', value: newDot }]);
    try {
      s.walkList(newDot, tree.root);
    } catch (e) {
      // JS runs out of stack long before Go's depth limit: report it as Go would.
      if (e instanceof RangeError) {
        this.at(t);
        this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
      }
      throw e;
    }
  }

  // ---- expressions ----
  evalPipeline(dot: Boxed, pipe: PipeNode | null): Val {
    if (pipe === null) return undefined;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // Go unwraps interface values here: a nil interface becomes "no value".
      if (value === null) value = undefined;
    }
    const v = value === MISSING ? undefined : value;
    for (const d of pipe.decl) {
      const name = d.ident[0]!;
      if (pipe.isAssign) this.setVar(name, { v, iface: false });
      else this.vars.push({ name, value: { v, iface: false } });
    }
    return v;
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: Boxed, cmd: CommandNode, final: Final): Val {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot.v;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  private idealConstant(c: NumberNode): Val {
    this.at(c);
    if (c.isComplex) return new GoComplex(c.re, c.im);
    const hexInt = /^0[xX]/.test(c.text) && !/[pP]/.test(c.text);
    if (c.isFloat && !hexInt && !c.text.startsWith("'") && /[.eEpP]/.test(c.text)) return c.float;
    if (c.isInt) return c.int;
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return undefined;
  }

  private evalFieldNode(dot: Boxed, field: FieldNode, args: ArgNode[] | null, final: Final): Val {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final).v;
  }

  private evalChainNode(dot: Boxed, chain: ChainNode, args: ArgNode[] | null, final: Final): Val {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const recv = this.evalArg(dot, 'value', chain.node);
    return this.evalFieldChain(dot, { v: recv, iface: false }, chain, chain.field, args, final).v;
  }

  private evalVariableNode(dot: Boxed, variable: VariableNode, args: ArgNode[] | null, final: Final): Val {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args ?? [], final);
      return value.v;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final).v;
  }

  private evalFieldChain(dot: Boxed, recv: Boxed, node: Node, ident: string[], args: ArgNode[] | null, final: Final): Boxed {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) recv = this.evalField(dot, ident[i]!, node, null, MISSING, recv);
    return this.evalField(dot, ident[n - 1]!, node, args, final, recv);
  }

  private evalField(dot: Boxed, name: string, node: Node, args: ArgNode[] | null, final: Final, recv: Boxed): Boxed {
    const r = recv.v;
    if (r === undefined) {
      if (this.env.missingKey === 'error') this.errorf(`nil data; no entry for key ${quoteGo(name)}`);
      return { v: undefined, iface: false };
    }
    if (r === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (r instanceof GoObject) {
      const f = r.field(name);
      if (isFunc(f)) return { v: this.evalCall(dot, f, null, node, name, args, final), iface: false };
      if (f !== undefined) {
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return { v: f, iface: false };
      }
      this.errorf(`can't evaluate field ${name} in type ${r.goType}`);
    }
    if (isMap(r)) {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      const mapType = (r as { [MAP_TYPE]?: string })[MAP_TYPE];
      const iface = mapType === undefined || mapType.endsWith('interface {}');
      if (Object.hasOwn(r, name)) return { v: r[name] ?? null, iface };
      switch (this.env.missingKey) {
        case 'error':
          this.errorf(`map has no entry for key ${quoteGo(name)}`);
        // falls through (errorf throws)
        case 'zero':
          return { v: mapType === 'map[string]string' ? '' : null, iface };
        default:
          return { v: undefined, iface: false };
      }
    }
    const typ = recv.iface ? 'interface {}' : typeName(toGo(r));
    this.errorf(`can't evaluate field ${name} in type ${typ}`);
  }

  private evalFunction(dot: Boxed, node: IdentifierNode, cmd: Node, args: ArgNode[] | null, final: Final): Val {
    this.at(node);
    const name = node.ident;
    const user = Object.hasOwn(this.env.funcs, name) ? this.env.funcs[name] : undefined;
    if (user !== undefined) return this.evalCall(dot, user, null, cmd, name, args, final);
    const builtin = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
    if (builtin === undefined) this.errorf(`${quoteGo(name)} is not a defined function`);
    return this.evalCall(dot, null, name, cmd, name, args, final);
  }

  /**
   * Calls a template function (user `fn`, or the builtin named `builtin`) with Go's
   * argument rules. Kept small, with the argument work in callArgs, because this frame
   * stays on the stack during nested includes.
   */
  private evalCall(dot: Boxed, fn: GoFunc | null, builtin: string | null, node: Node, name: string, argNodes: ArgNode[] | null, final: Final): Val {
    const argv = this.callArgs(dot, fn, builtin, name, argNodes, final);
    if (argv === SHORT_CIRCUIT) return this.shortCircuit;
    return this.invoke(fn, builtin, node, name, argv);
  }

  private shortCircuit: Val = undefined;

  /** Evaluates and type-checks the arguments; for and/or, evaluates lazily and leaves the result in shortCircuit. */
  private callArgs(dot: Boxed, fn: GoFunc | null, builtin: string | null, name: string, argNodes: ArgNode[] | null, final: Final): Val[] | typeof SHORT_CIRCUIT {
    const args = argNodes ? argNodes.slice(1) : [];
    const b = builtin !== null ? BUILTINS[builtin]! : null;
    const { params, variadic } = b ?? signature(fn!);
    const numIn = args.length + (final !== MISSING ? 1 : 0);
    let numFixed = args.length;
    if (variadic) {
      numFixed = params.length - 1;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== params.length) {
      this.errorf(`wrong number of args for ${name}: want ${params.length} got ${numIn}`);
    }

    if (b && (name === 'and' || name === 'or')) {
      let v: Val = undefined;
      for (const arg of args) {
        v = this.evalArg(dot, 'value', arg);
        if (truth(v) === (name === 'or')) {
          this.shortCircuit = v;
          return SHORT_CIRCUIT;
        }
      }
      if (final !== MISSING) v = final;
      this.shortCircuit = v;
      return SHORT_CIRCUIT;
    }

    const argv: Val[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, params[i]!, args[i]!));
    if (variadic) {
      const t = params[params.length - 1]!;
      for (; i < args.length; i++) argv.push(this.evalArg(dot, t, args[i]!));
    }
    if (final !== MISSING) {
      let t = params[params.length - 1]!;
      if (variadic && numIn - 1 < numFixed) t = params[numIn - 1]!;
      argv.push(this.validateType(final, t));
    }
    if (b && name === 'call') argv.unshift(args[0] ? nodeString(args[0]) : formatValue(toGo(final === MISSING ? undefined : final)));
    return argv;
  }

  private invoke(fn: GoFunc | null, builtin: string | null, node: Node, name: string, argv: Val[]): Val {
    try {
      if (builtin !== null) return BUILTINS[builtin]!.fn(argv);
      const result = fn!(...argv.map(toGo));
      return result === undefined ? null : result;
    } catch (e) {
      if (e instanceof RangeError || e === BREAK || e === CONTINUE) throw e;
      this.at(node);
      return this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(v: Val, typ: ParamType): Val {
    const cls = paramClass(typ);
    switch (cls) {
      case 'value':
        return v;
      case 'any':
        return v === undefined ? null : v;
    }
    if (v === undefined) {
      if (cls === 'map' || cls === 'slice') return null; // Go: the zero value of a nilable type
      this.errorf(`invalid value; expected ${typ}`);
    }
    let ok: boolean;
    switch (cls) {
      case 'string':
        ok = typeof v === 'string';
        break;
      case 'bool':
        ok = typeof v === 'boolean';
        break;
      case 'int':
      case 'uint':
        ok = typeof v === 'bigint';
        break;
      case 'float':
        ok = typeof v === 'number';
        break;
      case 'map':
        ok = isMap(v) && typeName(v) === typ;
        break;
      case 'slice':
        ok = Array.isArray(v) && typeName(v) === typ;
        break;
    }
    if (!ok) this.errorf(`wrong type for value; expected ${typ}; got ${v === null ? 'interface {}' : typeName(toGo(v))}`);
    return v;
  }

  private evalArg(dot: Boxed, typ: ParamType, n: ArgNode): Val {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot.v, typ);
      case 'nil': {
        const cls = paramClass(typ);
        if (cls === 'value') return undefined;
        if (cls === 'any' || cls === 'map' || cls === 'slice') return null;
        return this.errorf(`cannot assign nil to ${typ}`);
      }
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), typ);
    }
    switch (paramClass(typ)) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'float':
        if (n.type === 'number' && n.isFloat) return n.float;
        return this.errorf(`expected float; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return n.int;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'uint':
        if (n.type === 'number' && n.isUint) return n.uint;
        return this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
      case 'string':
        if (n.type === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'map':
      case 'slice':
        return this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ}`);
    }
    // interface{} and reflect.Value parameters: Go's evalEmptyInterface
    switch (n.type) {
      case 'bool':
        return n.value;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
    }
  }

  private printValue(n: Node, v: Val): void {
    this.at(n);
    if (v === undefined || v === null) {
      this.out.push('<no value>');
      return;
    }
    if (isFunc(v)) this.errorf(`can't print ${nodeString(n)} of type func`);
    this.out.push(formatValue(v));
  }
}

/** Parameter types of a user function from its declared Go signature. */
function signature(fn: GoFunc): { params: readonly ParamType[]; variadic: boolean } {
  if (fn.params !== undefined) return { params: fn.params, variadic: fn.variadic === true };
  if (fn.arity === undefined) return { params: ['any'], variadic: true };
  const n = fn.arity + (fn.variadic ? 1 : 0);
  return { params: new Array<ParamType>(n).fill('any'), variadic: fn.variadic === true };
}

type ParamClass = 'value' | 'any' | 'string' | 'bool' | 'int' | 'uint' | 'float' | 'map' | 'slice';

/** How reflect treats a parameter type when converting arguments. */
function paramClass(t: ParamType): ParamClass {
  if (t === 'value') return 'value';
  if (t === 'any' || t === 'interface {}') return 'any';
  if (t === 'string' || t === 'bool') return t;
  if (t.startsWith('int')) return 'int';
  if (t.startsWith('uint')) return 'uint';
  if (t.startsWith('float')) return 'float';
  if (t.startsWith('map[')) return 'map';
  if (t.startsWith('[]')) return 'slice';
  return 'any';
}

export type { ListNode };
