import { describe, expect, it } from 'vitest';
import { imagesInManifests } from '../src/chart/manifest-images.js';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox
      containers:
        - name: app
          image: "registry.k8s.io/ingress-nginx/controller:v1.13.0@sha256:${'a'.repeat(64)}"
          args:
            - --acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.18.2
            - --log-level=info
            - --engine-image
            - longhornio/longhorn-engine:v1.9.1
            - --url=https://example.com/path:8080
          env:
            - name: HELPER_IMAGE
              value: ghcr.io/org/helper:2
            - name: MODE
              value: fast
`;

const cronjob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: ghcr.io/org/job:1
`;

const prometheus = `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: k8s
spec:
  image: quay.io/prometheus/prometheus:v3.5.0
  containers:
    - name: config-reloader
      image: quay.io/prometheus-operator/prometheus-config-reloader:v0.84.0
`;

describe('images in rendered manifests', () => {
  it('finds container, init container, nested pod template, CR image fields, arguments and env', () => {
    const { uses, problems } = imagesInManifests([
      { source: 'app/templates/deployment.yaml', content: deployment },
      { source: 'app/templates/cronjob.yaml', content: cronjob },
      { source: 'app/templates/prometheus.yaml', content: `${prometheus}---\n# empty\n` },
    ]);
    expect(problems).toEqual([]);
    expect(uses.map((u) => [u.reference, u.object, u.container ?? '', u.field, u.via])).toEqual([
      ['docker.io/library/busybox:latest', 'Deployment/web', 'init', 'spec.template.spec.initContainers[0].image', 'container'],
      [`registry.k8s.io/ingress-nginx/controller:v1.13.0@sha256:${'a'.repeat(64)}`, 'Deployment/web', 'app', 'spec.template.spec.containers[0].image', 'container'],
      ['quay.io/jetstack/cert-manager-acmesolver:v1.18.2', 'Deployment/web', 'app', 'spec.template.spec.containers[0].args[0]', 'argument'],
      ['docker.io/longhornio/longhorn-engine:v1.9.1', 'Deployment/web', 'app', 'spec.template.spec.containers[0].args[3]', 'argument'],
      ['ghcr.io/org/helper:2', 'Deployment/web', 'app', 'spec.template.spec.containers[0].env[0].value', 'env'],
      ['ghcr.io/org/job:1', 'CronJob/nightly', 'job', 'spec.jobTemplate.spec.template.spec.containers[0].image', 'container'],
      ['quay.io/prometheus/prometheus:v3.5.0', 'Prometheus/k8s', '', 'spec.image', 'image-field'],
      ['quay.io/prometheus-operator/prometheus-config-reloader:v0.84.0', 'Prometheus/k8s', 'config-reloader', 'spec.containers[0].image', 'container'],
    ]);
    expect(uses.every((u) => u.template.startsWith('app/templates/'))).toBe(true);
  });

  it('reports a document that is not YAML, naming the template, and goes on', () => {
    const { uses, problems } = imagesInManifests([
      { source: 'app/templates/bad.yaml', content: 'a: [1, 2\n' },
      { source: 'app/templates/cronjob.yaml', content: cronjob },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^app\/templates\/bad\.yaml: /);
    expect(uses.map((u) => u.reference)).toEqual(['ghcr.io/org/job:1']);
  });
});
