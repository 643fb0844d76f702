import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderChart, parseSet, parseYaml, type RenderChartOptions } from '../src/chart/render/index.js';
import { IgnoreRules } from '../src/chart/render/helmignore.js';
import { isCompatibleRange } from '../src/chart/render/semver.js';
import { forgeTar, tempDir } from './helpers/archives.js';
import { rejected } from './helpers/errors.js';
import { chartFiles, chartTgz, chartYaml } from './helpers/render-charts.js';

function render(files: Record<string, string | Uint8Array>, options: Omit<RenderChartOptions, 'chart'> = {}) {
  return renderChart({ chart: { files: chartFiles(files), origin: 'test' }, ...options });
}

/** The documents of an output by source, content only. */
function bySource(output: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const doc of output.split(/^---\n/m).filter((d) => d.trim() !== '')) {
    const m = /^# Source: (.+)\n([\s\S]*)$/.exec(doc);
    if (!m) continue;
    (out[m[1]!] ??= []).push(m[2]!.trimEnd());
  }
  return out;
}

const umbrella = (): Record<string, string | Uint8Array> => ({
  'Chart.yaml': chartYaml(
    'shop',
    `appVersion: "2.1"
dependencies:
  - name: web
    version: "~1.0.0"
    repository: file://charts/web
  - name: db
    version: "1.x"
    alias: database
  - name: search
    version: 0.1.0
    condition: search.enabled,global.search
  - name: extras
    version: 0.1.0
    tags: [extras]
  - name: common
    version: 1.0.0
  - name: exporter
    version: 1.0.0
    import-values:
      - data
      - child: config
        parent: imported
`,
  ),
  'values.yaml': `global:
  region: eu
  registry: reg.example
web:
  replicas: 3
database:
  size: 10Gi
tags:
  extras: false
imported:
  mine: parent-wins
greeting: "hello {{ .Release.Name }}"
`,
  'templates/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "common.name" . }}
data:
  greeting: {{ tpl .Values.greeting . | quote }}
  port: {{ .Values.port | quote }}
  importedMine: {{ .Values.imported.mine }}
  importedTheirs: {{ .Values.imported.theirs }}
  chart: {{ .Chart.Name }}-{{ .Chart.AppVersion }}
  kube: {{ .Capabilities.KubeVersion.Version }}
  apps: {{ .Capabilities.APIVersions.Has "apps/v1" | quote }}
`,
  'templates/_helpers.tpl': '{{- define "web.label" -}}parent-label{{- end -}}',
  'templates/NOTES.txt': 'Installed {{ .Release.Name }}.',
  'charts/web/Chart.yaml': chartYaml('web', '', '1.0.3'),
  'charts/web/values.yaml': 'replicas: 1\nimage: nginx\n',
  'charts/web/templates/_helpers.tpl': '{{- define "web.label" -}}child-label{{- end -}}',
  'charts/web/templates/svc.yaml': `apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    l: {{ include "web.label" . }}
spec:
  replicas: {{ .Values.replicas }}
  region: {{ .Values.global.region }}
  template: {{ .Template.Name }}
  base: {{ .Template.BasePath }}
`,
  'charts/db-1.2.0.tgz': chartTgz('db', {
    'Chart.yaml': chartYaml('db', '', '1.2.0'),
    'values.yaml': 'size: 1Gi\nglobal:\n  region: us\n  own: db\n',
    'templates/pvc.yaml': 'kind: PersistentVolumeClaim\nname: {{ .Chart.Name }}\nsize: {{ .Values.size }}\nregion: {{ .Values.global.region }}\nown: {{ .Values.global.own }}\n',
  }),
  'charts/search/Chart.yaml': chartYaml('search', '', '0.1.0'),
  'charts/search/values.yaml': 'enabled: false\n',
  'charts/search/templates/deploy.yaml': 'kind: Deployment\nname: search\n',
  'charts/extras/Chart.yaml': chartYaml('extras', '', '0.1.0'),
  'charts/extras/templates/deploy.yaml': 'kind: Deployment\nname: extras\n',
  'charts/common/Chart.yaml': chartYaml('common', 'type: library\n'),
  'charts/common/templates/_names.tpl': '{{- define "common.name" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}',
  'charts/common/templates/ignored.yaml': 'kind: ConfigMap\nname: never-rendered\n',
  'charts/exporter/Chart.yaml': chartYaml('exporter'),
  'charts/exporter/values.yaml': 'exports:\n  data:\n    port: 8080\nconfig:\n  mine: child\n  theirs: child-theirs\n',
});

describe('airlock template: an umbrella chart', () => {
  it('renders parent and subcharts with Helm scopes, aliases, conditions, tags, library and import-values', async () => {
    const r = await render(umbrella(), { releaseName: 'rel' });
    const docs = bySource(r.output);
    expect(Object.keys(docs).sort()).toEqual(['shop/charts/database/templates/pvc.yaml', 'shop/charts/web/templates/svc.yaml', 'shop/templates/cm.yaml']);
    const cm = docs['shop/templates/cm.yaml']![0]!;
    expect(cm).toContain('name: rel-shop');
    expect(cm).toContain('greeting: "hello rel"');
    expect(cm).toContain('port: "8080"');
    expect(cm).toContain('importedMine: parent-wins');
    expect(cm).toContain('importedTheirs: child-theirs');
    expect(cm).toContain('chart: shop-2.1');
    expect(cm).toContain('kube: v1.36.0');
    expect(cm).toContain('apps: "true"');
    const svc = docs['shop/charts/web/templates/svc.yaml']![0]!;
    expect(svc).toContain('l: parent-label'); // the parent's define wins
    expect(svc).toContain('replicas: 3');
    expect(svc).toContain('region: eu');
    expect(svc).toContain('template: shop/charts/web/templates/svc.yaml');
    expect(svc).toContain('base: shop/charts/web/templates');
    const pvc = docs['shop/charts/database/templates/pvc.yaml']![0]!;
    expect(pvc).toContain('name: database');
    expect(pvc).toContain('size: 10Gi');
    expect(pvc).toContain('region: eu'); // the parent's global wins
    expect(pvc).toContain('own: db');
    expect(r.notes).toBe('Installed rel.');
    expect(r.output).not.toContain('Installed');
    // Install order: PersistentVolumeClaim, ConfigMap… by kind
    expect(r.documents.map((d) => d.kind)).toEqual(['ConfigMap', 'PersistentVolumeClaim', 'Service']);
  });

  it('turns a subchart on through its condition and a tag through --set', async () => {
    const r = await render(umbrella(), { set: ['search.enabled=true,tags.extras=true'] });
    expect(Object.keys(bySource(r.output))).toEqual(expect.arrayContaining(['shop/charts/search/templates/deploy.yaml', 'shop/charts/extras/templates/deploy.yaml']));
  });

  it('applies -f files, --set and --set-string in Helm order; null deletes a default', async () => {
    const dir = await tempDir('airlock-render-');
    try {
      const f = join(dir.path, 'v.yaml');
      await writeFile(f, 'web:\n  replicas: 5\n  image: null\n');
      const r = await render(umbrella(), { valuesFiles: [f], set: ['web.replicas=7'], setString: ['database.size=20'] });
      expect(r.values.web).toMatchObject({ replicas: 7n });
      expect(Object.hasOwn(r.values.web as object, 'image')).toBe(false);
      expect(r.values.database).toMatchObject({ size: '20' });
    } finally {
      await dir.cleanup();
    }
  });

  it('reads an apiVersion v1 chart with requirements.yaml', async () => {
    const r = await render({
      'Chart.yaml': 'apiVersion: v1\nname: old\nversion: 0.1.0\n',
      'requirements.yaml': 'dependencies:\n  - name: sub\n    version: 0.1.0\n    condition: sub.enabled\n',
      'values.yaml': 'sub:\n  enabled: false\n',
      'templates/a.yaml': 'kind: A\nreq: {{ .Files.Get "requirements.yaml" | len }}\n',
      'charts/sub/Chart.yaml': 'name: sub\nversion: 0.1.0\n',
      'charts/sub/templates/b.yaml': 'kind: B\n',
    });
    expect(Object.keys(bySource(r.output))).toEqual(['old/templates/a.yaml']);
    expect(r.output).toContain('req: 74'); // v1 keeps requirements.yaml among its files
    const on = await render(
      {
        'Chart.yaml': 'apiVersion: v1\nname: old\nversion: 0.1.0\n',
        'requirements.yaml': 'dependencies:\n  - name: sub\n    version: 0.1.0\n    condition: sub.enabled\n',
        'charts/sub/Chart.yaml': 'name: sub\nversion: 0.1.0\n',
        'charts/sub/templates/b.yaml': 'kind: B\napi: {{ .Chart.APIVersion }}\n',
      },
      { set: ['sub.enabled=true'] },
    );
    expect(bySource(on.output)['old/charts/sub/templates/b.yaml']).toEqual(['kind: B\napi: v1']);
  });

  it('prints only the templates asked for with --show-only', async () => {
    const r = await render(umbrella(), { showOnly: ['charts/web/templates/svc.yaml'] });
    expect(r.output.startsWith('---\n# Source: shop/charts/web/templates/svc.yaml\n')).toBe(true);
    expect(Object.keys(bySource(r.output))).toEqual(['shop/charts/web/templates/svc.yaml']);
    const err = await rejected(render(umbrella(), { showOnly: ['templates/nope.yaml'] }), 'USAGE');
    expect(err.message).toBe('could not find template templates/nope.yaml in chart');
  });

  it('names a dependency that is missing from charts/ and says to run helm dependency build', async () => {
    const files = umbrella();
    delete files['charts/search/Chart.yaml'];
    delete files['charts/search/values.yaml'];
    delete files['charts/search/templates/deploy.yaml'];
    const err = await rejected(render(files), 'USAGE');
    expect(err.message).toContain('found in Chart.yaml, but missing in charts/ directory: search');
    expect(err.message).toContain('helm dependency build');
  });
});

describe('airlock template: repeatable output', () => {
  it('makes random functions repeatable with a seed', async () => {
    const files = { 'Chart.yaml': chartYaml('c'), 'templates/s.yaml': 'a: {{ randAlphaNum 12 }}\nb: {{ uuidv4 }}\n' };
    const one = await render(files, { deterministic: 'seed-1' });
    const two = await render(files, { deterministic: 'seed-1' });
    const other = await render(files, { deterministic: 'seed-2' });
    expect(one.output).toBe(two.output);
    expect(one.output).not.toBe(other.output);
    expect(one.output).toMatch(/^---\n# Source: c\/templates\/s.yaml\na: [A-Za-z0-9]{12}\nb: [0-9a-f-]{36}\n$/);
  });
});

describe('airlock template: failures say what Helm says', () => {
  it('reports required', async () => {
    const err = await rejected(render({ 'Chart.yaml': chartYaml('c'), 'templates/x.yaml': 'a: {{ required "set foo please" .Values.foo }}' }), 'USAGE');
    expect(err.message).toBe('execution error at (c/templates/x.yaml:1:6): set foo please');
  });

  it('counts a fail in NOTES.txt', async () => {
    const err = await rejected(render({ 'Chart.yaml': chartYaml('c'), 'templates/NOTES.txt': '{{ fail "no notes for you" }}', 'templates/x.yaml': 'a: 1' }), 'USAGE');
    expect(err.message).toBe('execution error at (c/templates/NOTES.txt:1:3): no notes for you');
  });

  it('checks values.schema.json', async () => {
    const schema = JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['name'], properties: { replicas: { type: 'integer', minimum: 1 } } });
    const err = await rejected(render({ 'Chart.yaml': chartYaml('c'), 'values.schema.json': schema, 'values.yaml': 'replicas: 0\n', 'templates/x.yaml': 'a: 1' }), 'USAGE');
    expect(err.message).toBe("values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '': missing property 'name'\n- at '/replicas': minimum: got 0, want 1\n");
  });

  it('prints failures inside contains indented, as Helm\'s validator does (draft 2020-12)', async () => {
    const schema = JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { data: { type: 'array', contains: { type: 'string' } } }, required: ['data', 'more'] });
    const err = await rejected(render({ 'Chart.yaml': chartYaml('c'), 'values.schema.json': schema, 'values.yaml': 'data: [12]\n' }), 'USAGE');
    expect(err.message).toBe(
      "values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '': missing property 'more'\n- at '/data': no items match contains schema\n  - at '/data/0': got number, want string\n",
    );
  });

  it('stops a template that includes itself forever', async () => {
    const err = await rejected(render({ 'Chart.yaml': chartYaml('c'), 'templates/_loop.tpl': '{{ define "loop" }}{{ include "loop" . }}{{ end }}', 'templates/x.yaml': 'a: {{ include "loop" . }}' }), 'USAGE');
    expect(err.message).toBe('execution error in (c/templates/x.yaml): rendering template has a nested reference name: loop: unable to execute template');
  });

  it('refuses a library chart on its own', async () => {
    const err = await rejected(render({ 'Chart.yaml': chartYaml('lib', 'type: library\n'), 'templates/_x.tpl': '' }), 'USAGE');
    expect(err.message).toBe('library charts are not installable');
  });
});

describe('airlock template: .Files', () => {
  it('gives Get, Glob, AsConfig and Lines', async () => {
    const r = await render({
      'Chart.yaml': chartYaml('c'),
      'files/a.conf': 'x=1\n',
      'files/b.conf': 'y=2\nz=3\n',
      'files/skip.txt': 'no',
      'templates/cm.yaml': `get: {{ .Files.Get "files/a.conf" | quote }}
missing: {{ .Files.Get "nope" | quote }}
lines: {{ len (.Files.Lines "files/b.conf") }}
conf:
{{ (.Files.Glob "files/*.conf").AsConfig | indent 2 }}
each:
{{- range $path, $_ := .Files.Glob "files/*.conf" }}
- {{ $path }}: {{ $.Files.Get $path | trim | quote }}
{{- end }}
`,
    });
    expect(bySource(r.output)['c/templates/cm.yaml']![0]).toBe(`get: "x=1\\n"
missing: ""
lines: 2
conf:
  a.conf: |
    x=1
  b.conf: |
    y=2
    z=3
each:
- files/a.conf: "x=1"
- files/b.conf: "y=2\\nz=3"`);
  });
});

describe('values: YAML and --set as Helm reads them', () => {
  it('reads YAML 1.1 plain scalars as yaml.v2 does, every number a float64', () => {
    expect(parseYaml('a: yes\nb: 0755\nc: 1_000\nd: 1e3\ne: "1"\nf: 8080:80\ng: ~\nh: 0x1F\n1: x\ny: z\n', { where: 't' })).toEqual({
      a: true, b: 493, c: 1000, d: 1000, e: '1', f: '8080:80', g: null, h: 31, '1': 'x', true: 'z',
    });
  });

  it('parses --set like strvals', () => {
    const d = {};
    parseSet('a.b[1].c=x,d=y,e=12,f=012,g=null,h=TRUE,l={1,b},esc=a\\,b', d);
    expect(d).toEqual({ a: { b: [null, { c: 'x' }] }, d: 'y', e: 12n, f: '012', g: null, h: true, l: [1n, 'b'], esc: 'a,b' });
    expect(() => parseSet('a', {})).toThrow('failed parsing --set data: key "a" has no value');
    expect(() => parseSet('name1.=name2', {})).toThrow('failed parsing --set data: key map "name1" has no value');
    expect(() => parseSet('illegal[0]name.foo=bar', {})).toThrow("failed parsing --set data: unexpected data at end of array index: ['n' 'a' 'm' 'e']");
    const s = {};
    parseSet('nested[1][1]=1,k=v=w', s, true);
    expect(s).toEqual({ nested: [null, [null, '1']], k: 'v=w' });
  });

  it('applies --set-json, --set-file and --set-literal in Helm\'s order', async () => {
    const dir = await tempDir('airlock-render-');
    try {
      const f = join(dir.path, 'ca.pem');
      await writeFile(f, 'line1\nline2\n');
      const r = await render(
        { 'Chart.yaml': chartYaml('c'), 'values.yaml': 'a: 0\n' },
        { setJson: ['j=[1,{"k":"v"}],n='], set: ['a=1,j[0]=2'], setFile: [`ca=${f}`], setLiteral: ['lit=x,y\\z', 'a=last'] },
      );
      expect(r.values).toEqual({ a: 'last', j: [2n, { k: 'v' }], n: null, ca: 'line1\nline2\n', lit: 'x,y\\z' });
      const bad = await rejected(render({ 'Chart.yaml': chartYaml('c') }, { setJson: ['a={oops'] }), 'USAGE');
      expect(bad.message).toBe('failed parsing --set-json data a={oops');
    } finally {
      await dir.cleanup();
    }
  });

  it('stops a YAML alias bomb', async () => {
    let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    for (let i = 1; i < 10; i++) {
      const p = String.fromCharCode(96 + i);
      bomb += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${p}`).join(',')}]\n`;
    }
    const started = Date.now();
    const err = await rejected(render({ 'Chart.yaml': chartYaml('c'), 'values.yaml': bomb, 'templates/x.yaml': 'a: 1' }), 'ARCHIVE_INVALID');
    expect(err.message).toBe('test: cannot load values.yaml: document contains excessive aliasing (more than 250000 nodes once aliases are expanded)');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a 50 MB values file quickly', async () => {
    const dir = await tempDir('airlock-render-');
    try {
      const f = join(dir.path, 'huge.yaml');
      await writeFile(f, `a: "${'x'.repeat(50 * 1024 * 1024)}"\n`);
      const started = Date.now();
      const err = await rejected(render({ 'Chart.yaml': chartYaml('c') }, { valuesFiles: [f] }), 'SIZE_LIMIT');
      expect(err.message).toBe(`values file ${f} is ${50 * 1024 * 1024 + 6} bytes, more than the 20971520-byte limit`);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await dir.cleanup();
    }
  });
});

describe('loading charts safely', () => {
  it('refuses ../ paths in a .tgz', async () => {
    const dir = await tempDir('airlock-render-');
    try {
      const tgz = join(dir.path, 'evil.tgz');
      await writeFile(tgz, chartTgz('evil', { 'Chart.yaml': chartYaml('evil'), 'templates/x.yaml': 'a: 1' }, [{ path: 'evil/../../etc/x', data: 'boo' }]));
      const err = await rejected(renderChart({ chart: tgz }), 'PATH_UNSAFE');
      expect(err.message).toContain('chart illegally references parent directory');
    } finally {
      await dir.cleanup();
    }
  });

  it('says plainly that a chart inside a bundle cannot be rendered yet', async () => {
    const dir = await tempDir('airlock-render-');
    try {
      const tar = join(dir.path, 'bundle.tar');
      await writeFile(tar, forgeTar([{ path: 'airlock.json', data: '{}' }, { path: 'blobs/sha256/00', data: 'x' }]));
      const err = await rejected(renderChart({ chart: tar }), 'USAGE');
      expect(err.message).toBe(`${tar} is not a chart archive: it has no top-level */Chart.yaml (rendering a chart inside an airlock bundle is not supported yet)`);
      const oci = await rejected(renderChart({ chart: 'oci://registry.example/charts/app' }), 'USAGE');
      expect(oci.message).toBe('oci://registry.example/charts/app: rendering a chart from a registry or repository is not supported yet');
    } finally {
      await dir.cleanup();
    }
  });

  it('follows a symlink inside the chart folder as Helm does, and refuses one that leads out', async () => {
    const dir = await tempDir('airlock-render-');
    try {
      const chart = join(dir.path, 'c');
      await mkdir(join(chart, 'templates'), { recursive: true });
      await mkdir(join(chart, 'files'));
      await writeFile(join(chart, 'Chart.yaml'), chartYaml('c'));
      await writeFile(join(chart, 'files', 'real.txt'), 'real');
      await writeFile(join(chart, 'templates', 'x.yaml'), 'a: {{ .Files.Get "files/link.txt" }}\n');
      await writeFile(join(chart, '.helmignore'), '*.bak\n');
      await writeFile(join(chart, 'files', 'old.bak'), 'ignored');
      await symlink(join(chart, 'files', 'real.txt'), join(chart, 'files', 'link.txt'));
      const r = await renderChart({ chart });
      expect(r.output).toBe('---\n# Source: c/templates/x.yaml\na: real\n');
      expect(r.warnings).toEqual(['found symbolic link in path: files/link.txt; contents of linked file included and used']);

      await writeFile(join(dir.path, 'secret'), 'secret');
      await symlink(join(dir.path, 'secret'), join(chart, 'files', 'out.txt'));
      const err = await rejected(renderChart({ chart }), 'PATH_UNSAFE');
      expect(err.message).toBe(`${chart}: files/out.txt is a symbolic link to ${join(dir.path, 'secret')}, outside the chart folder`);
    } finally {
      await dir.cleanup();
    }
  });

  it('reads .helmignore as Helm does', () => {
    const rules = IgnoreRules.parse('# comment\n*.bak\n/top.txt\nsecret/\ndocs/*.md\n');
    rules.addDefaults();
    expect(rules.ignore('a/b.bak', false)).toBe(true);
    expect(rules.ignore('top.txt', false)).toBe(true);
    expect(rules.ignore('sub/top.txt', false)).toBe(false);
    expect(rules.ignore('secret', true)).toBe(true);
    expect(rules.ignore('docs/a.md', false)).toBe(true);
    expect(rules.ignore('templates/.hidden', false)).toBe(true);
    expect(rules.ignore('templates/x.yaml', false)).toBe(false);
  });

  it('matches dependency versions as Masterminds semver does', () => {
    expect(isCompatibleRange('~1.2.0', '1.2.9')).toBe(true);
    expect(isCompatibleRange('~1.2.0', '1.3.0')).toBe(false);
    expect(isCompatibleRange('^0.2.3', '0.2.9')).toBe(true);
    expect(isCompatibleRange('>= 1.19.0-0', 'v1.36.0')).toBe(true);
    expect(isCompatibleRange('1.x', '1.0.0-rc1')).toBe(false);
    expect(isCompatibleRange('', '3.1.0')).toBe(false); // Masterminds v3.5 refuses an empty constraint
  });
});

describe('airlock template (command)', () => {
  it('prints helm template output for a chart folder, and JSON with --json', async () => {
    const dir = await tempDir('airlock-render-');
    try {
      const chart = join(dir.path, 'app');
      await mkdir(join(chart, 'templates'), { recursive: true });
      await mkdir(join(chart, 'crds'));
      await writeFile(join(chart, 'Chart.yaml'), chartYaml('app'));
      await writeFile(join(chart, 'values.yaml'), 'big: 1000000\n');
      await writeFile(join(chart, 'crds', 'crd.yaml'), 'kind: CustomResourceDefinition\n');
      await writeFile(join(chart, 'templates', 'a.yaml'), 'kind: Service\nn: {{ .Values.big }}\nns: {{ .Release.Namespace }}\n---\n# only a comment\n---\n\n');
      await writeFile(join(chart, 'templates', 'b.yaml'), 'kind: Namespace\nv: {{ .Capabilities.KubeVersion.Minor }}\n');
      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: () => undefined, tty: false };
      const { templateCommand } = await import('../src/cli/commands/template.js');
      await templateCommand(chart, { namespace: 'prod', kubeVersion: '1.30', includeCrds: true }, io);
      expect(lines.join('\n')).toBe(
        '---\n# Source: app/crds/crd.yaml\nkind: CustomResourceDefinition\n\n' +
          '---\n# Source: app/templates/b.yaml\nkind: Namespace\nv: 30\n' +
          '---\n# Source: app/templates/a.yaml\nkind: Service\nn: 1e+06\nns: prod\n' +
          '---\n# Source: app/templates/a.yaml\n# only a comment',
      );
      lines.length = 0;
      await templateCommand(chart, { json: true }, io);
      const json = JSON.parse(lines[0]!) as { ok: boolean; documents: { source: string; kind: string }[]; values: unknown };
      expect(json.ok).toBe(true);
      expect(json.documents.map((d) => d.kind)).toEqual(['Namespace', 'Service', '']);
      expect(json.values).toEqual({ big: 1000000 });
    } finally {
      await dir.cleanup();
    }
  });
});

describe('engine semantics Helm tests for', () => {
  async function engine(templates: Record<string, string>, values = ''): Promise<Record<string, string>> {
    const { loadChart } = await import('../src/chart/render/load.js');
    const { renderTemplates, renderTop } = await import('../src/chart/render/render.js');
    const { capabilities } = await import('../src/chart/render/capabilities.js');
    const { coalesceChart } = await import('../src/chart/render/coalesce.js');
    const { chart } = await loadChart({ files: chartFiles({ 'Chart.yaml': chartYaml('t'), 'values.yaml': values, ...templates }) });
    const v = coalesceChart(chart, {}, false, () => undefined);
    return Object.fromEntries(renderTemplates(chart, renderTop(v, { name: 'r', namespace: 'd', revision: 1, isInstall: true, isUpgrade: false }, capabilities({})), {}));
  }

  it('keeps a define made inside tpl out of the outer templates', async () => {
    const out = await engine(
      {
        'templates/_p.tpl': '{{define "partial"}}original{{end}}',
        'templates/p': 'before: {{include "partial" .}} {{tpl .Values.text .}} after: {{include "partial" .}}',
      },
      `text: '{{define "partial"}}redefined{{end}}tpl: {{include "partial" .}}'\n`,
    );
    expect(out['t/templates/p']).toBe('before: original tpl: redefined after: original');
  });

  it('allows the same define to be included thousands of times', async () => {
    const out = await engine({ 'templates/q': '{{include "o" . }}'.repeat(4000), 'templates/_f': '{{define "o"}}x{{end}}' });
    expect(out['t/templates/q']).toBe('x'.repeat(4000));
  });

  it('gives .Template to tpl, and required/fail messages as Helm cuts them', async () => {
    const out = await engine({ 'templates/n': '{{tpl "{{ .Template.Name }} {{ .Template.BasePath }}" .}}' });
    expect(out['t/templates/n']).toBe('t/templates/n t/templates');
    const colons = await rejected(engine({ 'templates/x': '{{required ":this: message: has: colons:" .Values.foo}}' }), 'USAGE');
    expect(colons.message).toBe('execution error at (t/templates/x:1:2): :this: message: has: colons:');
    const lines = await rejected(engine({ 'templates/x': '{{fail "something is wrong\\nlinebreak"}}' }), 'USAGE');
    expect(lines.message).toBe('execution error at (t/templates/x:1:2): something is wrong\nlinebreak');
    const parse = await rejected(engine({ 'templates/x': '{{foo}}' }), 'USAGE');
    expect(parse.message).toBe('parse error at (t/templates/x:1): function "foo" not defined');
  });
});

describe('coalescing as Helm coalesce tests', () => {
  it('layers user values, chart defaults and globals over three levels, deleting nulls', async () => {
    const { loadChart } = await import('../src/chart/render/load.js');
    const { coalesceChart } = await import('../src/chart/render/coalesce.js');
    const { chart } = await loadChart({
      files: chartFiles({
        'Chart.yaml': chartYaml('moby'),
        'values.yaml': `back: exists
bottom: exists
front: exists
left: exists
name: moby
nested: {boat: true}
override: bad
right: exists
scope: moby
top: nope
global: {nested2: {l0: moby}}
pequod: {boat: maybe, ahab: {boat: maybe, nested: {boat: maybe}}}
`,
        'charts/pequod/Chart.yaml': chartYaml('pequod'),
        'charts/pequod/values.yaml': 'name: pequod\nscope: pequod\nglobal: {nested2: {l1: pequod}}\nboat: false\nahab: {boat: false, nested: {boat: false}}\n',
        'charts/pequod/charts/ahab/Chart.yaml': chartYaml('ahab'),
        'charts/pequod/charts/ahab/values.yaml':
          'global: {nested: {foo: bar, foo2: bar2}, nested2: {l2: ahab}}\nscope: ahab\nname: ahab\nboat: true\nnested: {foo: false, boat: true}\nobject: {foo: bar}\n',
        'charts/spouter/Chart.yaml': chartYaml('spouter'),
        'charts/spouter/values.yaml': 'scope: spouter\nglobal: {nested2: {l1: spouter}}\n',
      }),
    });
    const user = parseYaml(
      `top: yup
bottom: null
right: Null
left: NULL
front: ~
back: ""
nested:
  boat: null
global:
  name: Ishmael
  subject: Queequeg
  nested:
    boat: true
pequod:
  boat: null
  global:
    name: Stinky
    harpooner: Tashtego
    nested:
      boat: false
      sail: true
      foo2: null
  ahab:
    scope: whale
    boat: null
    nested:
      foo: true
      boat: null
    object: null
`,
      { where: 'user' },
    ) as Record<string, never>;
    const before = JSON.stringify(user);
    const v = coalesceChart(chart, user, false, () => undefined);
    const at = (path: string): unknown => path.split('.').reduce<unknown>((m, k) => (m !== null && typeof m === 'object' && Object.hasOwn(m, k) ? (m as Record<string, unknown>)[k] : undefined), v);
    const expected: Record<string, unknown> = {
      top: 'yup', back: '', name: 'moby', 'global.name': 'Ishmael', 'global.subject': 'Queequeg', 'global.harpooner': undefined,
      'pequod.name': 'pequod', 'pequod.ahab.name': 'ahab', 'pequod.ahab.scope': 'whale', 'pequod.ahab.nested.foo': true,
      'pequod.ahab.global.name': 'Ishmael', 'pequod.ahab.global.nested.foo': 'bar', 'pequod.ahab.global.nested.foo2': undefined,
      'pequod.ahab.global.subject': 'Queequeg', 'pequod.ahab.global.harpooner': 'Tashtego', 'pequod.global.name': 'Ishmael',
      'pequod.global.nested.foo': undefined, 'pequod.global.subject': 'Queequeg', 'spouter.global.name': 'Ishmael', 'spouter.global.harpooner': undefined,
      'global.nested.boat': true, 'pequod.global.nested.boat': true, 'spouter.global.nested.boat': true, 'pequod.global.nested.sail': true, 'spouter.global.nested.sail': undefined,
      'global.nested2.l0': 'moby', 'global.nested2.l1': undefined, 'global.nested2.l2': undefined, 'pequod.global.nested2.l0': 'moby', 'pequod.global.nested2.l1': 'pequod',
      'pequod.global.nested2.l2': undefined, 'pequod.ahab.global.nested2.l0': 'moby', 'pequod.ahab.global.nested2.l1': 'pequod', 'pequod.ahab.global.nested2.l2': 'ahab',
      'spouter.global.nested2.l0': 'moby', 'spouter.global.nested2.l1': 'spouter', 'spouter.global.nested2.l2': undefined,
    };
    for (const [path, want] of Object.entries(expected)) expect([path, at(path)]).toEqual([path, want]);
    for (const gone of ['bottom', 'right', 'left', 'front', 'nested.boat', 'pequod.boat', 'pequod.ahab.boat', 'pequod.ahab.nested.boat', 'pequod.ahab.object']) {
      expect([gone, at(gone)]).toEqual([gone, undefined]);
    }
    expect(JSON.stringify(user)).toBe(before); // the caller's values are not changed
  });
});
