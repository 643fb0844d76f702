/**
 * Go's text/template for airlock: a set of named templates sharing functions, as
 * Helm builds one per chart render. See types.ts for the value model.
 */

import type { FuncMap, GoValue } from './types.js';
import { BUILTINS } from './builtins.js';
import { ExecError, executeTree, type MissingKey } from './exec.js';
import { ParseError, isEmptyTree, parseTrees, type Tree } from './parse.js';
import { TemplateError } from './errors.js';
import { quoteGo } from './quote.js';

export { TemplateError } from './errors.js';
export type { TemplateErrorKind } from './errors.js';
export type { MissingKey } from './exec.js';
export { sprint, sprintf, sprintln, formatValue, typeName } from './fmt.js';
export { formatFloat } from './ftoa.js';
export { quoteGo } from './quote.js';
export { htmlEscape, jsEscape, queryEscape } from './builtins.js';
export * from './types.js';

export interface TemplateSetOptions {
  /** Template functions (sprig + Helm); builtins (and, eq, printf…) are always there and can be overridden. */
  funcs?: FuncMap;
  /** Go's missingkey option: 'zero' (Helm's default), 'error' (helm --strict), 'default'. */
  missingKey?: MissingKey;
}

/** How many execute() calls are on the stack (nested through include/tpl). */
let activeExecutions = 0;

/** Go's *template.Template as Helm uses it: one namespace of templates and one function map. */
export class TemplateSet {
  private trees = new Map<string, Tree>();
  private readonly funcs: FuncMap;
  private readonly missingKey: MissingKey;

  constructor(opts: TemplateSetOptions = {}) {
    this.funcs = opts.funcs ?? {};
    this.missingKey = opts.missingKey ?? 'zero';
  }

  /**
   * Parses `text` as template `name`, adding it and every `define`/`block` it contains.
   * A later definition replaces an earlier one, except that an empty body never
   * replaces a non-empty one (Go's rule). Throws TemplateError (kind 'parse').
   */
  parse(name: string, text: string): void {
    let parsed: Map<string, Tree>;
    try {
      parsed = parseTrees(name, text, (f) => Object.hasOwn(this.funcs, f) || Object.hasOwn(BUILTINS, f));
    } catch (e) {
      if (e instanceof ParseError) throw new TemplateError('parse', e.message);
      throw e;
    }
    for (const [n, tree] of parsed) {
      const old = this.trees.get(n);
      if (old !== undefined && isEmptyTree(tree.root)) continue;
      this.trees.set(n, tree);
    }
  }

  /** Executes template `name` on `data`; throws TemplateError (kind 'exec') with Go's text. */
  execute(name: string, data: GoValue): string {
    const tree = this.trees.get(name);
    if (tree === undefined) {
      throw new TemplateError('exec', `template: no template ${quoteGo(name)} associated with template "gotpl"`);
    }
    activeExecutions++;
    try {
      return executeTree({ lookup: (n) => this.trees.get(n), funcs: this.funcs, missingKey: this.missingKey }, tree, data);
    } catch (e) {
      if (e instanceof ExecError) throw new TemplateError('exec', e.message);
      // JS runs out of stack long before Go's limits. Inside a nested execution (an
      // `include` calling back into execute) the RangeError is passed on, so the
      // function that recursed can report it as Helm does; at the outermost level it
      // becomes Go's depth error.
      if (e instanceof RangeError && activeExecutions === 1) {
        throw new TemplateError('exec', `template: ${name}: exceeded maximum template depth (100000)`);
      }
      throw e;
    } finally {
      activeExecutions--;
    }
  }

  /** A copy sharing the parsed trees and functions; parsing into it leaves this set unchanged (Helm's `tpl`). */
  clone(): TemplateSet {
    const copy = new TemplateSet({ funcs: this.funcs, missingKey: this.missingKey });
    copy.trees = new Map(this.trees); // parsed trees are never modified, so sharing them is safe
    return copy;
  }

  has(name: string): boolean {
    return this.trees.has(name);
  }

  names(): string[] {
    return [...this.trees.keys()];
  }
}
