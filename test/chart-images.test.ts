import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { parseTargetRegistry } from '../src/bundle/mapping.js';
import { planPush } from '../src/bundle/push.js';
import { openSignedBundle } from '../src/bundle/read.js';
import { writeBundle, type BundleRoot } from '../src/bundle/write.js';
import { main } from '../src/cli/main.js';
import { checkBundleCharts, checkImages, describeMissing } from '../src/workflows/check.js';
import { resolveChart } from '../src/chart/components.js';
import { findImages, listChartImages, type ChartImages, type ImageFinding } from '../src/chart/images.js';
import { loadChart, loadChartPath } from '../src/chart/load.js';
import { readChartArchive } from '../src/chart/chart-files.js';
import { bundleInventory, openChartInput, readBundleCharts } from '../src/workflows/sources.js';
import { buildOverlay } from '../src/workflows/overlay.js';
import { coalesce, formatPath, parseValuesYaml, type Values } from '../src/chart/values-tree.js';
import { openLayout } from '../src/layout/index.js';
import { RegistryPool } from '../src/registry/index.js';
import { generateKeyPair, parsePrivateKey } from '../src/sign/index.js';
import { forgeTar } from './helpers/archives.js';
import { packageChart, stageChart, writeChartDir, type ChartSpec } from './helpers/charts.js';
import { makeBlob, makeImage, makeMultiArch, writeToTarget, type Built } from './helpers/images.js';
import { gzipSync } from 'node:zlib';

const registry = inject('registry');
const TARGET = 'registry.internal:5000/vendor';

let dir: string;
let shopTgz: string;
let shopDir: string;
let fullBundle: string;
let partialBundle: string;
let signedBundle: string;
let pubKeyPath: string;

const runner = makeImage({ layers: [makeBlob('helm-runner', 1000)], label: 'runner' });
const worker = makeMultiArch('helm-worker', { layerSize: 500 });
const workerChild = worker.manifests[0]!.descriptor.digest;

const bundleImages: Record<string, Built> = {
  'docker.io/library/nginx:1.27': makeImage({ layers: [makeBlob('helm-nginx', 800)], label: 'nginx' }),
  'ghcr.io/org/web:1.0': makeImage({ layers: [makeBlob('helm-web', 800)], label: 'web' }),
  'ghcr.io/org/init:1.0': makeImage({ layers: [makeBlob('helm-init', 800)], label: 'init' }),
  'ghcr.io/org/op:v1': makeImage({ layers: [makeBlob('helm-op', 800)], label: 'op' }),
  [`quay.io/org/runner@${runner.descriptor.digest}`]: runner,
  'docker.io/library/busybox:1.30': makeImage({ layers: [makeBlob('helm-busybox', 800)], label: 'busybox' }),
  'ghcr.io/org/worker:2.5': worker,
  'ghcr.io/org/migrate:2.0': makeImage({ layers: [makeBlob('helm-migrate', 800)], label: 'migrate' }),
  'docker.io/prom/exporter:v0.1': makeImage({ layers: [makeBlob('helm-exporter', 800)], label: 'exporter' }),
  'docker.io/library/alpine:3.19': makeImage({ layers: [makeBlob('helm-alpine', 800)], label: 'alpine' }),
  'ghcr.io/org/registry-api:v1': makeImage({ layers: [makeBlob('helm-registry-api', 800)], label: 'registry-api' }),
};

const web: ChartSpec = {
  name: 'web',
  version: '0.1.0',
  appVersion: '1.0',
  values: [
    'image:',
    '  registry: ghcr.io',
    '  repository: org/web',
    '  tag: "1.0"',
    '  pullPolicy: IfNotPresent',
    'initImage:',
    '  repository: ghcr.io/org/init',
    '  tag: ""',
    'imagePullSecrets: []',
    'replicaCount: 1',
    '',
  ].join('\n'),
  templates: {
    'deployment.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
      '        - name: init',
      '          image: "{{ .Values.initImage.repository }}:{{ .Values.initImage.tag | default .Chart.AppVersion }}"',
      '',
    ].join('\n'),
  },
};

const metrics: ChartSpec & { asFolder: true } = {
  name: 'metrics',
  version: '0.3.0',
  asFolder: true,
  values: 'image:\n  repository: prom/exporter\n  tag: v0.1\nimagePullSecrets:\n  - name: existing\n',
};

const ops: ChartSpec = {
  name: 'ops',
  version: '0.2.0',
  dependencies: [{ name: 'metrics' }],
  values: [
    'enabled: true',
    'operator:',
    '  image: ghcr.io/org/op:v1',
    `toolhiveRunnerImage: quay.io/org/runner@${runner.descriptor.digest}`,
    'sidecar:',
    '  image:',
    '    repository: busybox',
    '    tag: 1.30',
    'worker:',
    `  image: ghcr.io/org/worker@${workerChild}`,
    'jobs:',
    '  - name: migrate',
    '    image: ghcr.io/org/migrate:2.0',
    '    args: ["--all"]',
    'extra:',
    '  image: "{{ .Values.global.registry }}/org/extra:1"',
    'registryServer:',
    '  image:',
    '    registryServerUrl: ghcr.io/org/registry-api:v1',
    'defaultImagePullSecrets: []',
    'docs:',
    '  url: example.com/docs:8080',
    '  repository: https://github.com/org/ops',
    '  link: https://ghcr.io/org/op:v1',
    '',
  ].join('\n'),
  templates: {
    'job.yaml': 'apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - name: wait\n          image: docker.io/library/alpine:3.19 # pinned on purpose\n',
    'deploy.yaml': 'spec:\n  containers:\n    - image: {{ .Values.operator.image | quote }}\n',
  },
  subcharts: [metrics],
};

const shop: ChartSpec = {
  name: 'shop',
  version: '1.0.0',
  appVersion: '1.0.0',
  dependencies: [
    { name: 'web', alias: 'frontend', condition: 'frontend.enabled' },
    { name: 'web', alias: 'admin', condition: 'admin.enabled' },
    { name: 'ops', condition: 'ops.enabled' },
  ],
  values: [
    'global:',
    '  imagePullSecrets: []',
    'proxy:',
    '  image: nginx:1.27',
    'frontend:',
    '  enabled: true',
    'admin:',
    '  enabled: false',
    'imagePullSecrets: []',
    '',
  ].join('\n'),
  subcharts: [web, ops],
};

/** What the chart names, by place: values path or [component] template:line. */
function byPlace(images: ChartImages): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of images.findings) {
    const place = f.where === 'template' ? `[${f.component}] ${f.path}` : f.path;
    out[place] = f.reference ?? `COMPUTED ${f.written}`;
  }
  return out;
}

const EXPECTED: Record<string, string> = {
  'proxy.image': 'docker.io/library/nginx:1.27',
  'frontend.image': 'ghcr.io/org/web:1.0',
  'frontend.initImage': 'COMPUTED ghcr.io/org/init',
  'admin.image': 'ghcr.io/org/web:1.0',
  'admin.initImage': 'COMPUTED ghcr.io/org/init',
  'ops.operator.image': 'ghcr.io/org/op:v1',
  'ops.toolhiveRunnerImage': `quay.io/org/runner@${runner.descriptor.digest}`,
  'ops.sidecar.image': 'docker.io/library/busybox:1.30',
  'ops.worker.image': `ghcr.io/org/worker@${workerChild}`,
  'ops.jobs[0].image': 'ghcr.io/org/migrate:2.0',
  'ops.extra.image': 'COMPUTED {{ .Values.global.registry }}/org/extra:1',
  'ops.registryServer.image.registryServerUrl': 'ghcr.io/org/registry-api:v1',
  'ops.metrics.image': 'docker.io/prom/exporter:v0.1',
  '[ops] templates/job.yaml:8': 'docker.io/library/alpine:3.19',
};

async function buildBundle(output: string, names: string[], key?: ReturnType<typeof parsePrivateKey>): Promise<string> {
  const staging = await openLayout(await mkdtemp(join(dir, 'staging-')), { create: true });
  const roots: BundleRoot[] = [];
  for (const name of names) roots.push({ kind: 'image', source: name, name, root: await writeToTarget(staging, bundleImages[name]!) });
  const chart = await stageChart(staging, shopTgz);
  const chartName = `ghcr.io/org/charts/shop:${chart.version}`;
  roots.push({ kind: 'chart', source: `oci://${chartName}`, name: chartName, root: chart.root, chart: { name: chart.name, version: chart.version } });
  await writeBundle(staging, roots, { output, spec: {}, epoch: 1_700_000_000, ...(key ? { key } : {}) });
  return output;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-helm-'));
  shopTgz = await packageChart(shop, join(dir, 'pkg'));
  shopDir = await writeChartDir(join(dir, 'src'), shop);
  const all = Object.keys(bundleImages);
  fullBundle = await buildBundle(join(dir, 'full.tar'), all);
  partialBundle = await buildBundle(join(dir, 'partial.tar'), all.filter((n) => !n.includes('migrate')));
  const pair = await generateKeyPair();
  pubKeyPath = join(dir, 'vendor.pub');
  await writeFile(pubKeyPath, pair.publicKeyPem);
  signedBundle = await buildBundle(join(dir, 'signed.tar'), all, parsePrivateKey(pair.privateKeyPem, 'vendor.key'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('finding a chart\'s images', () => {
  it('lists every image of an umbrella chart and its subcharts, with the values path or template it was found in', async () => {
    const images = listChartImages(await loadChartPath(shopTgz));
    expect(byPlace(images)).toEqual(EXPECTED);
    const find = (path: string) => images.findings.find((f) => f.path === path)!;
    expect(find('frontend.image')).toMatchObject({ shape: 'registry+repository', chart: { name: 'web', alias: 'frontend' } });
    expect(find('frontend.image').disabled).toBeUndefined();
    expect(find('admin.image').disabled).toBe('condition admin.enabled is false');
    expect(find('ops.sidecar.image')).toMatchObject({ shape: 'repository', fields: { repository: 'busybox', tag: '1.30' } });
    expect(find('ops.operator.image').shape).toBe('string');
    expect(find('frontend.initImage').guesses).toEqual(['ghcr.io/org/init:1.0', 'ghcr.io/org/init:v1.0']);
    expect(images.components.map((c) => [c.path, c.name])).toEqual([
      ['', 'shop'],
      ['frontend', 'web'],
      ['admin', 'web'],
      ['ops', 'ops'],
      ['ops.metrics', 'metrics'],
    ]);
    // image: lines that read values are counted, not listed: two in web (once per alias) and one in ops.
    expect(images.templated).toBe(5);
    expect(images.problems).toEqual([]);
  });

  it('reads a chart folder the same way as its archive', async () => {
    expect(byPlace(listChartImages(await loadChartPath(shopDir)))).toEqual(EXPECTED);
  });

  it('applies --values files first: their images are found, and their values switch subcharts on', async () => {
    const user: Values = parseValuesYaml('admin:\n  enabled: true\nfrontend:\n  sidecarImage: ghcr.io/org/op:v1\nops:\n  operator:\n    image: ghcr.io/org/op:v2\n', 'mine.yaml');
    const images = listChartImages(await loadChartPath(shopTgz), [user]);
    const places = byPlace(images);
    expect(places['frontend.sidecarImage']).toBe('ghcr.io/org/op:v1');
    expect(places['ops.operator.image']).toBe('ghcr.io/org/op:v2');
    expect(images.findings.find((f) => f.path === 'admin.image')!.disabled).toBeUndefined();
  });

  it('reads an oci:// chart from a registry', async () => {
    const pool = new RegistryPool();
    try {
      const repo = `helm-images-${process.pid}/charts/shop`;
      const target = pool.repository({ registry, repository: repo });
      const staged = await stageChart(target, shopTgz);
      await target.tag(staged.root, '1.0.0');
      const opened = await openChartInput(`oci://${registry}/${repo}`, { version: '1.0.0', openRepository: (ref) => pool.repository(ref) });
      expect(opened.kind).toBe('chart');
      if (opened.kind === 'chart') expect(byPlace(listChartImages(opened.chart))).toEqual(EXPECTED);
      const r = await cli('images', `oci://${registry}/${repo}`, '--chart-version', '1.0.0', '--json');
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { charts: ChartImages[] }).charts[0]!.findings).toHaveLength(Object.keys(EXPECTED).length);
      const wrong = await cli('images', `oci://${registry}/${repo}`, '--chart-version', '9.9.9', '--json');
      expect(wrong.code).not.toBe(0);
    } finally {
      pool.close();
    }
  });

  it('reads the chart out of a bundle, offline, and matches each image against the bundle by normalized reference', async () => {
    const bundle = await openSignedBundle(fullBundle);
    try {
      const [c] = await readBundleCharts(bundle);
      const check = checkImages(listChartImages(c!.chart), await bundleInventory(bundle));
      const status = Object.fromEntries(check.findings.map((f) => [f.where === 'template' ? f.path : f.path, f.status]));
      expect(status['proxy.image']).toBe('in-bundle'); // nginx:1.27 == docker.io/library/nginx:1.27
      expect(status['ops.worker.image']).toBe('in-bundle'); // pinned to a platform manifest of the bundled index
      expect(status['ops.toolhiveRunnerImage']).toBe('in-bundle');
      expect(status['frontend.initImage']).toBe('in-bundle'); // no tag: the chart's appVersion
      expect(status['ops.extra.image']).toBe('computed');
      expect(check.missing).toBe(0);
    } finally {
      await bundle.close();
    }
  });
});

describe('pack --check-chart-images', () => {
  it('warns, per chart, about an image the chart names that the bundle lacks', async () => {
    const full = await checkBundleCharts(fullBundle);
    expect(full.missing).toBe(0);
    const partial = await checkBundleCharts(partialBundle);
    expect(partial.missing).toBe(1);
    const missing = partial.charts[0]!.findings.filter((f) => f.status === 'missing');
    expect(missing.map((f) => [f.path, f.reference])).toEqual([['ops.jobs[0].image', 'ghcr.io/org/migrate:2.0']]);
    expect(describeMissing(partial.charts[0]!)).toEqual(['chart shop 1.0.0: ghcr.io/org/migrate:2.0 (ops.jobs[0].image) is not in the bundle']);
  });

  it('says which tag the bundle has when the chart wants another', async () => {
    const bundle = await openSignedBundle(fullBundle);
    try {
      const [c] = await readBundleCharts(bundle);
      const user = parseValuesYaml('ops:\n  operator:\n    image: ghcr.io/org/op:v2\n', 'mine.yaml');
      const check = checkImages(listChartImages(c!.chart, [user]), await bundleInventory(bundle));
      expect(check.findings.find((f) => f.path === 'ops.operator.image')).toMatchObject({ status: 'missing', near: ['ghcr.io/org/op:v1'] });
    } finally {
      await bundle.close();
    }
  });
});

async function overlayFor(bundlePath: string, mapping: 'nested' | 'flatten' = 'nested', user: Values[] = []) {
  const bundle = await openSignedBundle(bundlePath);
  try {
    const [c] = await readBundleCharts(bundle);
    const resolved = resolveChart(c!.chart, user);
    const check = checkImages(findImages(resolved), await bundleInventory(bundle));
    const overlay = buildOverlay(resolved.values, check, { registry: parseTargetRegistry(TARGET), mapping, pullSecrets: ['regcred'] });
    const plan = planPush(bundle, { registry: parseTargetRegistry(TARGET), mapping });
    return { chart: c!.chart, overlay, plan };
  }
  finally {
    await bundle.close();
  }
}

const SOURCE_HOSTS = /ghcr\.io|quay\.io|docker\.io/;

describe('the values overlay', () => {
  it('repoints every image, keeping each key\'s shape, and leaves no reference to the source registries once merged', async () => {
    const { chart, overlay, plan } = await overlayFor(fullBundle);
    const o = overlay.values as Record<string, any>;
    const host = 'registry.internal:5000';
    expect(o.proxy).toEqual({ image: `${host}/vendor/library/nginx:1.27` });
    expect(o.frontend.image).toEqual({ registry: host, repository: 'vendor/org/web' }); // the pair stays a pair, the tag is left alone
    expect(o.frontend.initImage).toEqual({ repository: `${host}/vendor/org/init` }); // no tag: repository only, appVersion still applies
    expect(o.admin.image).toEqual({ registry: host, repository: 'vendor/org/web' }); // disabled, repointed all the same
    expect(o.ops.operator.image).toBe(`${host}/vendor/org/op:v1`);
    expect(o.ops.toolhiveRunnerImage).toBe(`${host}/vendor/org/runner@${runner.descriptor.digest}`); // digest pin stays a pin
    expect(o.ops.sidecar.image).toEqual({ repository: `${host}/vendor/library/busybox` });
    expect(o.ops.worker.image).toBe(`${host}/vendor/org/worker@${workerChild}`);
    expect(o.ops.jobs).toEqual([{ name: 'migrate', image: `${host}/vendor/org/migrate:2.0`, args: ['--all'] }]); // a list is rewritten whole
    expect(o.ops.metrics.image).toEqual({ repository: `${host}/vendor/prom/exporter` });
    expect(o.ops.extra).toBeUndefined();
    expect(o.ops.registryServer.image.registryServerUrl).toBe(`${host}/vendor/org/registry-api:v1`);

    // The same names push writes: every target repository is one push plans.
    const pushed = new Set(plan.items.map((i) => i.repository));
    for (const e of overlay.entries) expect(pushed, e.path).toContain(e.target.replace(/[:@][^/]*$/, ''));

    // helm install -f overrides.yaml: merge it over the chart's values and look again.
    const text = overlay.text;
    expect(parseValuesYaml(text, 'overrides.yaml')).toEqual(overlay.values);
    const after = listChartImages(chart, [parseValuesYaml(text, 'overrides.yaml')]);
    const values = after.findings.filter((f) => f.where === 'values');
    for (const f of values) {
      if (f.path === 'ops.extra.image') continue; // a template expression: left as is, said in the header
      const ref = f.reference ?? f.guesses?.[0];
      expect(ref, f.path).toMatch(new RegExp(`^${host}/vendor/`));
    }
    const merged = coalesce(parseValuesYaml(text, 'overrides.yaml'), resolveChart(chart).values) as Values;
    const { docs: _docs, ...opsRest } = (merged.ops as Values);
    expect(JSON.stringify({ ...merged, ops: opsRest })).not.toMatch(SOURCE_HOSTS);
  });

  it('says in a comment which image each key replaces, and what it left alone', async () => {
    const { overlay } = await overlayFor(fullBundle);
    expect(overlay.text).toContain('# replaces ghcr.io/org/op:v1\n    image: registry.internal:5000/vendor/org/op:v1');
    expect(overlay.text).toContain('# replaces ghcr.io/org/web:1.0\n    registry: registry.internal:5000');
    expect(overlay.text).toContain('# replaces busybox:1.30');
    expect(overlay.text).toContain('no tag in values; assumes the chart\'s appVersion, as ghcr.io/org/init:1.0');
    expect(overlay.text).toMatch(/# COMPUTED: ops\.extra\.image = \{\{ \.Values\.global\.registry \}\}\/org\/extra:1/);
    expect(overlay.text).toMatch(/# TEMPLATE: \[ops\] templates\/job\.yaml:8 = docker\.io\/library\/alpine:3\.19/);
    expect(overlay.skipped.map((s) => [s.reason, s.path])).toEqual([
      ['computed', 'ops.extra.image'],
      ['template', '[ops] templates/job.yaml:8'],
    ]);
  });

  it('adds --pull-secret to every imagePullSecrets list, in the list\'s own style', async () => {
    const { overlay } = await overlayFor(fullBundle);
    const o = overlay.values as Record<string, any>;
    expect(overlay.pullSecrets.sort()).toEqual([
      'admin.imagePullSecrets',
      'frontend.imagePullSecrets',
      'global.imagePullSecrets',
      'imagePullSecrets',
      'ops.defaultImagePullSecrets',
      'ops.metrics.imagePullSecrets',
    ]);
    expect(o.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(o.ops.metrics.imagePullSecrets).toEqual([{ name: 'existing' }, { name: 'regcred' }]);
  });

  it('follows --flatten as push does', async () => {
    const { overlay, plan } = await overlayFor(fullBundle, 'flatten');
    const o = overlay.values as Record<string, any>;
    expect(o.frontend.image).toEqual({ registry: 'registry.internal:5000', repository: 'vendor/web' });
    expect(o.ops.operator.image).toBe('registry.internal:5000/vendor/op:v1');
    const pushed = new Set(plan.items.map((i) => i.repository));
    for (const e of overlay.entries) expect(pushed, e.path).toContain(e.target.replace(/[:@][^/]*$/, ''));
  });

  it('leaves out, with a NOT IN BUNDLE comment, an image the bundle lacks', async () => {
    const { overlay } = await overlayFor(partialBundle);
    expect((overlay.values as Record<string, any>).ops.jobs).toBeUndefined();
    expect(overlay.text).toContain('# NOT IN BUNDLE: ops.jobs[0].image = ghcr.io/org/migrate:2.0');
    expect(overlay.skipped.find((s) => s.reason === 'not-in-bundle')!.path).toBe('ops.jobs[0].image');
  });
});

describe('reading charts safely', () => {
  it('ignores archive entries that climb out of the chart folder, and caps archives', async () => {
    const chart = (text: string) => Buffer.from(text);
    const tar = forgeTar([
      { path: 'evil/Chart.yaml', data: chart('name: evil\nversion: 1.0.0\n') },
      { path: 'evil/values.yaml', data: chart('image: ghcr.io/org/good:1\n') },
      { path: 'evil/templates/../values.yaml', data: chart('image: ghcr.io/org/bad:1\n') },
      { path: 'other/values.yaml', data: chart('image: ghcr.io/org/bad:2\n') },
    ]);
    const loaded = await loadChart(await readChartArchive(gzipSync(tar), 'evil.tgz'));
    expect(byPlace(listChartImages(loaded))).toEqual({ image: 'ghcr.io/org/good:1' });
    await expect(readChartArchive(Buffer.alloc(51 * 1024 * 1024), 'big.tgz')).rejects.toMatchObject({ code: 'SIZE_LIMIT' });
    await expect(readChartArchive(Buffer.from('not a tar at all, not even close'), 'junk.tgz')).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
  });

  it('says when a dependency is not vendored in charts/', async () => {
    const root = await writeChartDir(join(dir, 'lonely'), { name: 'lonely', version: '1.0.0', dependencies: [{ name: 'redis', alias: 'cache' }], values: 'image: busybox\n' });
    const images = listChartImages(await loadChartPath(root));
    expect(images.problems[0]).toMatch(/dependency redis \(alias cache\) is not in charts\//);
    expect(byPlace(images)).toEqual({ image: 'docker.io/library/busybox:latest' });
  });

  it('layers values as helm does', () => {
    expect(coalesce({ a: { b: null, c: 2 }, l: [3] }, { a: { b: 1, d: 4 }, l: [1, 2] })).toEqual({ a: { c: 2, d: 4 }, l: [3] });
    expect(formatPath(['ops', 'jobs', 0, 'image'])).toBe('ops.jobs[0].image');
    expect(formatPath(['annotations', 'a.b/c'])).toBe('annotations["a.b/c"]');
    expect(parseValuesYaml('tag: 1.0\nn: 3\nb: true\n', 'x')).toEqual({ tag: '1.0', n: 3, b: true });
  });
});

/** Runs the CLI in this process, capturing what it prints and the exit code it sets. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    process.exitCode = 0;
    await main(['node', 'airlock', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = 0;
  }
}

describe('the images, values and pack commands', () => {
  afterEach(() => {
    process.exitCode = 0;
  });

  it('airlock images CHART prints each finding with its path and says the list is a cross-check', async () => {
    const r = await cli('images', shopTgz);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ops\.jobs\[0\]\.image\s+ghcr\.io\/org\/migrate:2\.0/);
    expect(r.stdout).toMatch(/\[ops\] templates\/job\.yaml:8\s+docker\.io\/library\/alpine:3\.19\s+literal in a template/);
    expect(r.stdout).toContain('cross-check, not the source of truth');
    const j = await cli('images', shopTgz, '--json');
    const doc = JSON.parse(j.stdout) as { ok: boolean; charts: ChartImages[] };
    expect(doc.ok).toBe(true);
    expect(doc.charts[0]!.findings.map((f: ImageFinding) => f.path)).toContain('ops.metrics.image');
  });

  it('airlock images BUNDLE checks each image against the bundle, offline', async () => {
    const r = await cli('images', partialBundle);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ops\.jobs\[0\]\.image\s+ghcr\.io\/org\/migrate:2\.0\s+NO/);
    expect(r.stderr).toContain('warning: chart shop 1.0.0: ghcr.io/org/migrate:2.0 (ops.jobs[0].image) is not in the bundle');
  });

  it('airlock values BUNDLE verifies the signature, then writes the overlay', async () => {
    const out = join(dir, 'overrides.yaml');
    const mine = join(dir, 'mine.yaml');
    await writeFile(mine, 'frontend:\n  sidecarImage: ghcr.io/org/op:v1\n');
    const r = await cli('values', signedBundle, '--registry', TARGET, '--key', pubKeyPath, '--values', mine, '--pull-secret', 'regcred', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('NOT IN BUNDLE');
    expect(r.stderr).toContain('warning: TEMPLATE [ops] templates/job.yaml:8 = docker.io/library/alpine:3.19');
    expect(r.stdout).toMatch(/signed by: sha256:/);
    expect(r.stdout).toContain(`wrote ${out}`);
    const written = parseValuesYaml(await readFile(out, 'utf8'), out) as Record<string, any>;
    expect(written.frontend.sidecarImage).toBe('registry.internal:5000/vendor/org/op:v1');
    expect(written.frontend.imagePullSecrets).toEqual([{ name: 'regcred' }]);

    const unsigned = await cli('values', fullBundle, '--registry', TARGET, '--key', pubKeyPath, '--json');
    expect(unsigned.code).toBe(3);
    expect(JSON.parse(unsigned.stdout).error.code).toBe('SIGNATURE_MISSING');
  });

  it('airlock values refuses a chart the bundle does not hold, and a --registry that is not one', async () => {
    const r = await cli('values', fullBundle, '--registry', TARGET, '--allow-unsigned', '--chart', 'nope', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toContain('holds no chart nope');
    expect((await cli('values', fullBundle, '--json')).code).toBe(2);
    // Like push: no key, no keyless identity and no --allow-unsigned is refused before the bundle is read.
    const keyless = await cli('values', fullBundle, '--registry', TARGET, '--json');
    expect(keyless.code).toBe(2);
    expect(JSON.parse(keyless.stdout).error.message).toContain('no key given to verify the signature with');
    expect((await cli('values', fullBundle, '--registry', 'justaword', '--json')).code).toBe(2);
  });

  it('airlock values without -o prints the overlay on stdout and the rest on stderr', async () => {
    const r = await cli('values', partialBundle, '--registry', TARGET, '--allow-unsigned');
    expect(r.code).toBe(0);
    const doc = parseValuesYaml(r.stdout, 'stdout') as Record<string, any>;
    expect(doc.ops.operator.image).toBe('registry.internal:5000/vendor/org/op:v1');
    expect(r.stderr).toContain('warning: NOT IN BUNDLE ops.jobs[0].image = ghcr.io/org/migrate:2.0');
  });

  it('airlock pack --check-chart-images warns about each chart image left out, and --strict fails', async () => {
    const out = join(dir, 'chart-only.tar');
    const warn = await cli('pack', '--chart', shopTgz, '--no-sign', '-o', out, '--check-chart-images');
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain('warning: chart shop 1.0.0: ghcr.io/org/migrate:2.0 (ops.jobs[0].image) is not in the bundle');
    expect(warn.stdout).toMatch(/chart shop 1\.0\.0: 14 image reference\(s\) found, 13 not in the bundle, 1 computed/);
    const strict = await cli('pack', '--chart', shopTgz, '--no-sign', '-o', out, '--check-chart-images', '--strict', '--json');
    expect(strict.code).toBe(2);
    const doc = JSON.parse(strict.stdout) as { ok: boolean; chartImages: { missing: number } };
    expect(doc.ok).toBe(false);
    expect(doc.chartImages.missing).toBe(13);
  });
});
