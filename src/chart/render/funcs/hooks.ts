/**
 * Helm's include/tpl wiring over any template set with Go's Template surface
 * (parse/execute/clone), for the renderer to pass to helmFuncMap:
 *   - `tpl` parses its text into a clone of the set under the root's name ("gotpl"),
 *     and while that clone executes, `include` (and nested `tpl`) resolve against it,
 *     as Helm re-binds them (so a `define` inside tpl text can be included);
 *   - errors are wrapped with Helm's texts ("cannot parse template %q: …",
 *     "error during tpl function execution for %q: …"); a RangeError (JS's stack ran out)
 *     is passed on unchanged, so the engine reports it as Go's depth limit.
 * The renderer, the differential test and the fuzz runner all wire the engine through here.
 */
import { TemplateFuncError, type GoValue } from '../template/types.js';
import { quoteGo } from './gofmt.js';
import type { HelmHooks } from './helm.js';

export interface EngineSet {
  parse(name: string, text: string): void;
  execute(name: string, data: GoValue): string;
  clone(): EngineSet;
}

/** `root` may be a getter: the set is usually made after the functions it needs, so after the hooks. */
export function engineHooks(root: EngineSet | (() => EngineSet), rootName = 'gotpl'): HelmHooks {
  const stack: EngineSet[] = [];
  const top = (): EngineSet => stack[stack.length - 1] ?? (typeof root === 'function' ? root() : root);
  const wrap = (prefix: string, e: unknown): Error => new TemplateFuncError(`${prefix}: ${e instanceof Error ? e.message : String(e)}`);
  return {
    include: (name, data) => top().execute(name, data),
    tpl: (text, data) => {
      const clone = top().clone();
      try {
        clone.parse(rootName, text);
      } catch (e) {
        throw wrap(`cannot parse template ${quoteGo(text)}`, e);
      }
      stack.push(clone);
      try {
        return clone.execute(rootName, data);
      } catch (e) {
        if (e instanceof RangeError) throw e;
        throw wrap(`error during tpl function execution for ${quoteGo(text)}`, e);
      } finally {
        stack.pop();
      }
    },
  };
}
