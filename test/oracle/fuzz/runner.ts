/**
 * Runs corpus files through TemplateSet and prints one JSON result per case, in the
 * oracle's format, for the random differential runs of run.sh (not a vitest test).
 */
import { readFileSync } from 'node:fs';
import { TemplateSet, quoteGo, type GoValue } from '../../../src/chart/render/template/index.js';
import { helmFuncMap } from '../../../src/chart/render/funcs/index.js';

interface Case {
  name: string;
  template: string;
  data?: GoValue;
  templates?: Record<string, string>;
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

for (const path of process.argv.slice(2)) {
  const cases = JSON.parse(readFileSync(path, 'utf8')) as Case[];
  for (const c of cases) {
    let current: TemplateSet;
    const hooks = {
      include: (name: string, data: GoValue): string => current.execute(name, data),
      tpl: (text: string, data: GoValue): string => {
        const parent = current;
        const clone = parent.clone();
        try {
          clone.parse('gotpl', text);
        } catch (e) {
          throw new Error(`cannot parse template ${quoteGo(text)}: ${msg(e)}`);
        }
        current = clone;
        try {
          return clone.execute('gotpl', data);
        } catch (e) {
          throw new Error(`error during tpl function execution for ${quoteGo(text)}: ${msg(e)}`);
        } finally {
          current = parent;
        }
      },
    };
    const set = new TemplateSet({ funcs: helmFuncMap(hooks), missingKey: 'zero' });
    current = set;
    const r: { file: string; name: string; output?: string; error?: string } = { file: path, name: c.name };
    try {
      for (const n of Object.keys(c.templates ?? {}).sort()) set.parse(n, c.templates![n]!);
      set.parse('t', c.template);
      r.output = set.execute('t', c.data ?? null).replaceAll('<no value>', '');
    } catch (e) {
      r.error = msg(e);
    }
    process.stdout.write(JSON.stringify(r) + '\n');
  }
}
