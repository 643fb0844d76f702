/**
 * images and values from the rendered chart: every pattern public charts use to name
 * an image, each in a chart built here, rendered by the real renderer; the overlay is
 * checked by rendering with it (values() proves it itself, and this test renders again).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { writeBundle, type BundleRoot } from '../src/bundle/write.js';
import { imagesInManifests } from '../src/chart/manifest-images.js';
import { openRenderSession } from '../src/chart/session.js';
import { openLayout } from '../src/layout/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PublicKey } from '../src/sign/index.js';
import { images } from '../src/workflows/images.js';
import { values } from '../src/workflows/values.js';
import { packageChart, stageChart, type ChartSpec } from './helpers/charts.js';
import { makeBlob, makeImage, writeToTarget } from './helpers/images.js';

const REGISTRY = 'registry.internal:5000/vendor';
let dir: string;
let pub: PublicKey;
let key: ReturnType<typeof parsePrivateKey>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-chart-values-'));
  const pair = await generateKeyPair();
  key = parsePrivateKey(pair.privateKeyPem, 'v.key');
  pub = parsePublicKey(pair.publicKeyPem, 'v.pub');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** A signed bundle holding the chart and these images (by normalized name). */
async function bundleOf(chart: ChartSpec, imageNames: string[]): Promise<{ bundle: string; tgz: string; digests: Map<string, string> }> {
  const out = join(dir, `b${++n}`);
  const staging = await openLayout(join(out, 'staging'), { create: true });
  const tgz = await packageChart(chart, out);
  const roots: BundleRoot[] = [];
  const digests = new Map<string, string>();
  for (const name of imageNames) {
    const root = await writeToTarget(staging, makeImage({ layers: [makeBlob(name, 300)], label: name }));
    digests.set(name, root.digest);
    roots.push({ kind: 'image', source: name, name, root });
  }
  const staged = await stageChart(staging, tgz);
  roots.push({ kind: 'chart', source: tgz, name: `charts/${staged.name}:${staged.version}`, root: staged.root, chart: { name: staged.name, version: staged.version } });
  const bundle = join(out, 'bundle.tar');
  await writeBundle(staging, roots, { output: bundle, key, spec: {}, epoch: 1_700_000_000 });
  return { bundle, tgz, digests };
}

/** Renders the chart with the overlay (and switches) and returns every image reference. */
async function renderedWith(tgz: string, overlay: string, extra: Record<string, unknown> = {}): Promise<string[]> {
  const session = await openRenderSession(tgz);
  const r = await session.render(extra, parseYaml(overlay) as Record<string, unknown>);
  return imagesInManifests(r.manifests).uses.map((u) => u.reference).sort();
}

const deployment = (name: string, image: string, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  template:
    spec:
      containers:
        - name: ${name}
          image: ${image}
${extra}`;

describe('values: the overlay, proven by rendering', () => {
  it('registry + repository + tag, with a chart-wide empty registry key (bitnami), and its refusal of substituted images', async () => {
    const chart: ChartSpec = {
      name: 'bits',
      version: '1.0.0',
      values: 'global:\n  imageRegistry: ""\n  security:\n    allowInsecureImages: false\nimage:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 8.2.1\nmetrics:\n  image:\n    registry: docker.io\n    repository: bitnami/redis-exporter\n    tag: "1.76"\n',
      templates: {
        '_helpers.tpl': '{{- define "img" -}}{{- $r := default .img.registry .global.imageRegistry -}}{{ $r }}/{{ .img.repository }}:{{ .img.tag }}{{- end -}}',
        'a.yaml': deployment('redis', '{{ include "img" (dict "img" .Values.image "global" .Values.global) }}'),
        'b.yaml': deployment('exporter', '{{ include "img" (dict "img" .Values.metrics.image "global" .Values.global) }}'),
        'NOTES.txt': '{{- if and (not .Values.global.security.allowInsecureImages) (or (ne .Values.image.registry "docker.io") (ne .Values.global.imageRegistry "")) }}{{ fail "Original containers have been substituted; set global.security.allowInsecureImages" }}{{ end }}',
      },
    };
    const { bundle, tgz } = await bundleOf(chart, ['docker.io/bitnami/redis:8.2.1', 'docker.io/bitnami/redis-exporter:1.76']);
    const r = await values(bundle, { registry: REGISTRY, policy: { keys: [pub] } });
    // One chart-wide key moves both images, and the chart's own switch lets the names through.
    expect(r.entries.map((e) => [e.path, e.value])).toEqual([
      ['global.imageRegistry', REGISTRY],
      ['global.security.allowInsecureImages', true],
    ]);
    expect(r.text).toContain('# moves docker.io/bitnami/redis-exporter:1.76, docker.io/bitnami/redis:8.2.1');
    expect(await renderedWith(tgz, r.text)).toEqual([`${REGISTRY}/bitnami/redis-exporter:1.76`, `${REGISTRY}/bitnami/redis:8.2.1`]);
    expect(r.proof).toEqual({ deployed: 2, off: 0, registry: REGISTRY });
  });

  it('registry + image + tag + digest (ingress-nginx) and its chroot variant, leaving tag and digest pins alone', async () => {
    const digestOf = (await bundleOf({ name: 'probe', version: '1.0.0', templates: {} }, ['registry.k8s.io/ingress-nginx/controller:v1.13.0'])).digests.get('registry.k8s.io/ingress-nginx/controller:v1.13.0')!;
    const chart: ChartSpec = {
      name: 'ingress',
      version: '1.0.0',
      values: `controller:\n  image:\n    registry: registry.k8s.io\n    image: ingress-nginx/controller\n    tag: v1.13.0\n    digest: "${digestOf}"\n`,
      templates: {
        'c.yaml': deployment('controller', '"{{ .Values.controller.image.registry }}/{{ .Values.controller.image.image }}:{{ .Values.controller.image.tag }}@{{ .Values.controller.image.digest }}"'),
        // The chroot variant: the same keys, a literal suffix on the name, no digest pin.
        'chroot.yaml': deployment('chroot', '"{{ .Values.controller.image.registry }}/{{ .Values.controller.image.image }}-chroot:{{ .Values.controller.image.tag }}"'),
      },
    };
    const { bundle, tgz, digests } = await bundleOf(chart, ['registry.k8s.io/ingress-nginx/controller:v1.13.0', 'registry.k8s.io/ingress-nginx/controller-chroot:v1.13.0']);
    expect(digests.get('registry.k8s.io/ingress-nginx/controller:v1.13.0')).toBe(digestOf);
    const r = await values(bundle, { registry: REGISTRY, policy: { keys: [pub] } });
    expect(r.entries.map((e) => [e.path, e.value])).toEqual([['controller.image.registry', REGISTRY]]);
    expect(await renderedWith(tgz, r.text)).toEqual([`${REGISTRY}/ingress-nginx/controller-chroot:v1.13.0`, `${REGISTRY}/ingress-nginx/controller:v1.13.0@${digestOf}`]);
  });

  it('imageRegistry + imageNamespace + name with an empty repository (cert-manager), images in arguments, and helper-computed tags', async () => {
    const chart: ChartSpec = {
      name: 'certs',
      version: '1.0.0',
      appVersion: 'v1.21.1',
      values: 'imageRegistry: quay.io\nimageNamespace: jetstack\nimage:\n  repository: ""\n  name: cert-manager-controller\nacmesolver:\n  image:\n    repository: ""\n    name: cert-manager-acmesolver\nexporter:\n  image: quay.io/prometheus/node-exporter\n  tag: v1.9.1\n  distroless: true\n',
      templates: {
        '_h.tpl': '{{- define "ref" -}}{{- if .i.repository -}}{{ .i.repository }}{{- else -}}{{ .r.imageRegistry }}/{{ .r.imageNamespace }}/{{ .i.name }}{{- end -}}:{{ .r.tag | default .tag }}{{- end -}}',
        'c.yaml': deployment('controller', '"{{ include "ref" (dict "i" .Values.image "r" .Values "tag" .Chart.AppVersion) }}"', '          args:\n            - --acme-http01-solver-image={{ include "ref" (dict "i" .Values.acmesolver.image "r" .Values "tag" .Chart.AppVersion) }}\n'),
        'n.yaml': deployment('exporter', '"{{ .Values.exporter.image }}:{{ .Values.exporter.tag }}{{ if .Values.exporter.distroless }}-distroless{{ end }}"'),
      },
    };
    const names = ['quay.io/jetstack/cert-manager-controller:v1.21.1', 'quay.io/jetstack/cert-manager-acmesolver:v1.21.1', 'quay.io/prometheus/node-exporter:v1.9.1-distroless'];
    const { bundle, tgz } = await bundleOf(chart, names);
    const listed = await images(tgz, { why: true });
    expect(listed.images.map((i) => [i.reference, i.deployed, i.found[0]!.via])).toEqual([
      ['quay.io/jetstack/cert-manager-acmesolver:v1.21.1', true, 'argument'],
      ['quay.io/jetstack/cert-manager-controller:v1.21.1', true, 'container'],
      ['quay.io/prometheus/node-exporter:v1.9.1-distroless', true, 'container'],
    ]);
    expect(listed.images[1]!.found[0]!.valuesKeys).toEqual(['imageRegistry', 'imageNamespace', 'image.name']);
    const r = await values(bundle, { registry: REGISTRY, policy: { keys: [pub] } });
    expect(r.entries.map((e) => [e.path, e.value]).sort()).toEqual([
      ['exporter.image', `${REGISTRY}/prometheus/node-exporter`],
      ['imageRegistry', REGISTRY],
    ]);
    expect(await renderedWith(tgz, r.text)).toEqual(names.map((x) => x.replace(/^quay\.io/, REGISTRY)).sort());
  });

  it('a whole string, images behind switches that are off repointed too, and pull secrets in the shape each key takes', async () => {
    const chart: ChartSpec = {
      name: 'shop',
      version: '1.0.0',
      values: 'web:\n  image: ghcr.io/org/web:1.0\nimagePullSecrets: []\nmetrics:\n  enabled: false\n  image: ghcr.io/org/metrics:2\n  pullSecrets: []\n',
      templates: {
        'w.yaml': deployment('web', '{{ .Values.web.image }}', '      imagePullSecrets: {{ toYaml .Values.imagePullSecrets | nindent 8 }}\n'),
        'm.yaml': '{{- if .Values.metrics.enabled }}\n' + deployment('metrics', '{{ .Values.metrics.image }}', '      imagePullSecrets:\n{{- range .Values.metrics.pullSecrets }}\n        - name: {{ . }}\n{{- end }}\n') + '{{- end }}\n',
      },
    };
    const { bundle, tgz } = await bundleOf(chart, ['ghcr.io/org/web:1.0', 'ghcr.io/org/metrics:2']);
    const listed = await images(bundle);
    expect(listed.images.map((i) => [i.reference, i.deployed, i.switch ?? '', i.inBundle])).toEqual([
      ['ghcr.io/org/web:1.0', true, '', true],
      ['ghcr.io/org/metrics:2', false, 'metrics.enabled', true],
    ]);
    expect(listed.missing).toBe(0);
    const r = await values(bundle, { registry: REGISTRY, policy: { keys: [pub] }, pullSecrets: ['regcred'] });
    const overlay = parseYaml(r.text) as Record<string, any>;
    expect(overlay.web.image).toBe(`${REGISTRY}/org/web:1.0`);
    expect(overlay.metrics.image).toBe(`${REGISTRY}/org/metrics:2`);
    expect(overlay.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(overlay.metrics.pullSecrets).toEqual(['regcred']);
    expect(r.proof).toEqual({ deployed: 1, off: 1, registry: REGISTRY });
    expect(await renderedWith(tgz, r.text, { metrics: { enabled: true } })).toEqual([`${REGISTRY}/org/metrics:2`, `${REGISTRY}/org/web:1.0`]);
  });

  it('refuses, naming the image, template, object and values keys, when a deployed image is not in the bundle; nothing is written', async () => {
    const chart: ChartSpec = { name: 'gap', version: '1.0.0', values: 'a: ghcr.io/org/a:1\nb: ghcr.io/org/b:1\n', templates: { 'a.yaml': deployment('a', '{{ .Values.a }}'), 'b.yaml': deployment('b', '{{ .Values.b }}') } };
    const { bundle } = await bundleOf(chart, ['ghcr.io/org/a:1']);
    await expect(values(bundle, { registry: REGISTRY, policy: { keys: [pub] } })).rejects.toMatchObject({
      code: 'CHART_IMAGES',
      message: expect.stringContaining('ghcr.io/org/b:1 (gap/templates/b.yaml: Deployment/b, container b; values b): the bundle does not hold it'),
    });
    const listed = await images(bundle);
    expect(listed.missing).toBe(1);
  });

  it('refuses an overlay the chart\'s values.schema.json rejects, with the schema\'s words', async () => {
    const chart: ChartSpec = {
      name: 'strict',
      version: '1.0.0',
      values: 'registry: ghcr.io\nname: org/app\n',
      templates: { 'a.yaml': deployment('a', '{{ .Values.registry }}/{{ .Values.name }}:1') },
      // A schema that allows only public registries: the overlay's registry breaks it.
      files: { 'values.schema.json': JSON.stringify({ type: 'object', properties: { registry: { type: 'string', enum: ['ghcr.io', 'quay.io'] } } }) },
    };
    const { bundle } = await bundleOf(chart, ['ghcr.io/org/app:1']);
    await expect(values(bundle, { registry: REGISTRY, policy: { keys: [pub] } })).rejects.toMatchObject({
      message: expect.stringMatching(/values don't meet the specifications of the schema[\s\S]*registry/),
    });
  });
});

describe('images: what the release would pull', () => {
  it('names a dependency that is not vendored, never guessing', async () => {
    const tgz = await packageChart({ name: 'umbrella', version: '1.0.0', dependencies: [{ name: 'db', version: '1.0.0' }], templates: {} }, join(dir, 'u'));
    await expect(images(tgz)).rejects.toMatchObject({ message: expect.stringMatching(/db/) });
  });
});
