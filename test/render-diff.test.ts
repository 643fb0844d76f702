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
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHooks, helmFuncMap } from '../src/chart/render/funcs/index.js';
import { GoObject, TemplateError, TemplateSet, type FuncMap, type GoFunc, type GoValue } from '../src/chart/render/template/index.js';

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
  for (const f of readdirSync(ORACLE_DIR).sort()) {
    if (f.endsWith('.go') || f.endsWith('.sh')) h.update(f).update(readFileSync(join(ORACLE_DIR, f)));
  }
  const dir = join('/tmp', `airlock-oracle-${h.digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'oracle');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    // Built under a private name and renamed, so concurrent test files never run a half-written binary.
    const tmp = `${bin}.${process.pid}`;
    execFileSync(join(ORACLE_DIR, 'build.sh'), [tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tmp, bin);
  }
  return bin;
}

/**
 * Renders one case with the TypeScript engine as the oracle does with Go, wired with
 * Helm's include and tpl exactly as the renderer wires them (funcs/hooks.ts).
 */
function renderTs(c: Case): Result {
  let set: TemplateSet | undefined;
  set = new TemplateSet({ funcs: helmFuncMap(engineHooks(() => set!)), missingKey: 'zero' });
  try {
    for (const n of Object.keys(c.templates ?? {}).sort()) set.parse(n, c.templates![n]!);
    set.parse(MAIN, c.template);
    return { output: set.execute(MAIN, c.data ?? null).replaceAll('<no value>', '') };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * `template: NAME:LINE[:COL]:` and the text after the last `: ` (the error's class),
 * compared for every case; engine-*.json cases must match Go's error text entirely.
 */
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
            // The engine's own cases hold its errors to Go's whole text.
            if (file.startsWith('engine-')) expect(ts.error, `error text${report}`).toBe(want.error);
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

/** What the Go oracle cannot show: the TemplateSet API, strict mode, Go structs. */
describe('TemplateSet API', () => {
  class Meta extends GoObject {
    readonly goType = '*chart.Metadata';
    field(name: string): GoValue | GoFunc | undefined {
      if (name === 'Name') return 'demo';
      if (name === 'Version') return '1.2.3';
      if (name === 'Join') {
        const join: GoFunc = (a, b) => `${String(a)}-${String(b)}`;
        join.params = ['string', 'string'];
        return join;
      }
      return undefined;
    }
    format(): string {
      return '{demo 1.2.3}';
    }
  }

  it('names, has, clone isolation, later define wins', () => {
    const set = new TemplateSet();
    set.parse('a.tpl', '{{ define "x" }}one{{ end }}');
    set.parse('main', '{{ template "x" }}');
    const clone = set.clone();
    clone.parse('b.tpl', '{{ define "x" }}two{{ end }}');
    expect(set.execute('main', null)).toBe('one');
    expect(clone.execute('main', null)).toBe('two');
    expect(set.has('x') && set.has('a.tpl') && !set.has('b.tpl')).toBe(true);
    expect(clone.names().sort()).toEqual(['a.tpl', 'b.tpl', 'main', 'x']);
  });

  it('throws TemplateError with kind and Go text', () => {
    const set = new TemplateSet();
    expect(() => set.parse('p', '{{ nosuch }}')).toThrow(TemplateError);
    try {
      set.parse('p', 'a\n{{ if }}');
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect((e as TemplateError).kind).toBe('parse');
      expect((e as TemplateError).message).toBe('template: p:2: missing value for if');
    }
    set.parse('q', '{{ .a.b }}');
    expect(() => set.execute('q', {})).toThrow('template: q:1:5: executing "q" at <.a.b>: nil pointer evaluating interface {}.b');
    expect(() => set.execute('nope', {})).toThrow('template: no template "nope" associated with template "gotpl"');
  });

  it("missingKey 'error' (helm --strict)", () => {
    const set = new TemplateSet({ missingKey: 'error' });
    set.parse('s', '{{ .a }}');
    expect(() => set.execute('s', {})).toThrow('template: s:1:3: executing "s" at <.a>: map has no entry for key "a"');
    expect(set.execute('s', { a: null })).toBe('<no value>');
  });

  it('Go structs: fields, methods with typed parameters, printing', () => {
    const set = new TemplateSet();
    set.parse('o', '{{ .Chart.Name }} {{ .Chart.Join "a" "b" }} {{ .Chart }} {{ printf "%T" .Chart }}');
    expect(set.execute('o', { Chart: new Meta() })).toBe('demo a-b {demo 1.2.3} *chart.Metadata');
    set.parse('bad', '{{ .Chart.Nope }}');
    expect(() => set.execute('bad', { Chart: new Meta() })).toThrow("can't evaluate field Nope in type *chart.Metadata");
    set.parse('arg', '{{ .Chart.Join 1 "b" }}');
    expect(() => set.execute('arg', { Chart: new Meta() })).toThrow('at <1>: expected string; found 1');
  });

  it('renders a large template quickly', () => {
    const set = new TemplateSet();
    set.parse('big', '{{ range .items }}- name: {{ .name }}\n  port: {{ .port }}\n{{ end }}'.repeat(20));
    const items = Array.from({ length: 500 }, (_, i) => ({ name: `item${i}`, port: 8000 + i }));
    const t0 = performance.now();
    const out = set.execute('big', { items });
    expect(out.length).toBeGreaterThan(250_000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
