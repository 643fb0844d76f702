/**
 * Differential test of the template engine against real Go: every case of
 * test/render/corpus/*.json is rendered by the Go oracle (text/template + sprig +
 * Helm's functions, test/oracle/) and by TemplateSet with airlock's function map,
 * and the outputs must be equal byte for byte. Cases marked `goDiffers` (the Debian
 * Go 1.19 / sprig 3.2.3 oracle is not what Helm 3.21 runs) compare with `expect`.
 * Go is required: without it this test fails (CI installs it with bin/install-deps).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemplateSet, type FuncMap, type GoValue } from '../src/chart/render/template/index.js';

interface Case {
  name: string;
  template: string;
  data?: GoValue;
  templates?: Record<string, string>;
  goDiffers?: string;
  expect?: string;
  expectError?: string;
}

interface Result {
  output?: string;
  error?: string;
}

const ROOT = join(import.meta.dirname, '..');
const ORACLE_DIR = join(ROOT, 'test/oracle');
const CORPUS_DIR = join(ROOT, 'test/render/corpus');
/** The name the case's own template is parsed under, in both engines (oracle's mainName). */
const MAIN = 't';

function buildOracle(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(ORACLE_DIR).sort()) h.update(f).update(readFileSync(join(ORACLE_DIR, f)));
  const dir = join('/tmp', `airlock-oracle-${h.digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'oracle');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    execFileSync(join(ORACLE_DIR, 'build.sh'), [bin], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return bin;
}

type FuncModule = { helmFuncMap?: (hooks: unknown) => FuncMap };

async function loadFuncs(): Promise<FuncModule> {
  const path = join(ROOT, 'src/chart/render/funcs/index.ts');
  if (!existsSync(path)) return {};
  return (await import('../src/chart/render/funcs/index.js')) as FuncModule;
}

const funcModule = await loadFuncs();

/** Renders one case with the TypeScript engine as the oracle does with Go. */
function renderTs(c: Case): Result {
  let set: TemplateSet;
  const hooks = {
    include: (name: string, data: GoValue): string => set.execute(name, data),
    tpl: (text: string, data: GoValue): string => {
      const clone = set.clone();
      clone.parse('tpl', text);
      return clone.execute('tpl', data);
    },
  };
  const funcs = funcModule.helmFuncMap ? funcModule.helmFuncMap(hooks) : {};
  set = new TemplateSet({ funcs, missingKey: 'zero' });
  try {
    for (const n of Object.keys(c.templates ?? {}).sort()) set.parse(n, c.templates![n]!);
    set.parse(MAIN, c.template);
    return { output: set.execute(MAIN, c.data ?? null).replaceAll('<no value>', '') };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** `template: NAME:LINE[:COL]:` and the text after the last `: ` (the error's class). */
function errorShape(msg: string): { prefix: string; tail: string } {
  const m = /^template: [^:]*:\d+(?::\d+)?:/.exec(msg);
  const i = msg.lastIndexOf(': ');
  return { prefix: m ? m[0] : msg.slice(0, 40), tail: i >= 0 ? msg.slice(i + 2) : msg };
}

const files = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const corpus = files.map((f) => ({ file: f, cases: JSON.parse(readFileSync(join(CORPUS_DIR, f), 'utf8')) as Case[] }));

const oracleBin = buildOracle();
const oracleOut = execFileSync(oracleBin, files.map((f) => join(CORPUS_DIR, f)), { maxBuffer: 64 << 20 }).toString('utf8');
const oracle = new Map<string, Result>();
for (const line of oracleOut.split('\n')) {
  if (line === '') continue;
  const r = JSON.parse(line) as Result & { file: string; name: string };
  oracle.set(`${r.file.split('/').pop()}\0${r.name}`, r);
}

const show = (r: Result): string => (r.error !== undefined ? `ERROR ${r.error}` : JSON.stringify(r.output));

const differs = corpus.reduce((n, f) => n + f.cases.filter((c) => c.goDiffers !== undefined).length, 0);
for (const { file, cases } of corpus) {
  describe(file, () => {
    const seen = new Set<string>();
    for (const c of cases) {
      it(c.name, () => {
        expect(seen.has(c.name), `duplicate case name ${c.name}`).toBe(false);
        seen.add(c.name);
        const ts = renderTs(c);
        let want: Result;
        if (c.goDiffers !== undefined) {
          want = c.expectError !== undefined ? { error: c.expectError } : { output: c.expect ?? '' };
        } else {
          const got = oracle.get(`${file}\0${c.name}`);
          expect(got, 'oracle result').toBeDefined();
          want = got!;
        }
        const report = `\n  case:   ${c.name}\n  go:     ${show(want)}\n  airlock: ${show(ts)}\n`;
        if (c.expectError !== undefined) {
          expect(want.error ?? '', `Go must fail with ${c.expectError}${report}`).toContain(c.expectError);
          expect(ts.error ?? '', `airlock must fail with ${c.expectError}${report}`).toContain(c.expectError);
        }
        if (want.error !== undefined) {
          expect(ts.error, `both must fail${report}`).toBeDefined();
          if (c.goDiffers === undefined) {
            const w = errorShape(want.error);
            const t = errorShape(ts.error!);
            expect(t.prefix, `error position${report}`).toBe(w.prefix);
            expect(t.tail, `error class${report}`).toBe(w.tail);
          }
        } else {
          expect(ts.error, `airlock failed${report}`).toBeUndefined();
          expect(ts.output, `output differs${report}`).toBe(want.output);
        }
      });
    }
  });
}

describe('corpus', () => {
  it('has cases, and reports those judged by `expect` instead of Go', () => {
    const total = corpus.reduce((n, f) => n + f.cases.length, 0);
    expect(total).toBeGreaterThan(0);
    // Printed so the count of cases not checked against Go stays visible.
    console.log(`render-diff: ${total} cases in ${files.length} files; ${differs} judged by "expect" (goDiffers)`);
  });
});
