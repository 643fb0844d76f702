/**
 * Runs corpus files through TemplateSet and prints one JSON result per case, in the
 * oracle's format, for the random differential runs of run.sh (not a vitest test).
 */
import { readFileSync } from 'node:fs';
import { TemplateSet, type GoValue } from '../../../src/chart/render/template/index.js';
import { engineHooks, helmFuncMap } from '../../../src/chart/render/funcs/index.js';

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
    let set: TemplateSet | undefined;
    // include and tpl wired as the renderer wires them (funcs/hooks.ts).
    set = new TemplateSet({ funcs: helmFuncMap(engineHooks(() => set!)), missingKey: 'zero' });
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
