import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header, create as createTar } from 'tar';
import { sha256Digest } from '../content/digest.js';
import { verified } from '../content/verify.js';
import { openLayout, type LayoutTarget } from '../layout/index.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Platform } from '../oci/schemas.js';

/**
 * The demo's built-in data, written by `npm run fixtures` into fixtures/: an OCI
 * layout with a multi-arch image and a second image sharing its base layer, and a
 * Helm chart whose values name both. Layers are real gzip tarballs of small files,
 * so the images are well-formed, just tiny.
 */

/** One tar layer holding `files`, with fixed metadata so the bytes never change. */
function layer(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, text] of Object.entries(files).sort()) {
    const body = Buffer.from(text);
    const header = new Header({ path, type: 'File', size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) });
    header.encode();
    blocks.push(header.block!, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  // Made in memory on purpose: fixture layers are a few hundred bytes.
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}

async function put(layout: LayoutTarget, mediaType: string, bytes: Buffer, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
  const desc: Descriptor = { mediaType, digest: sha256Digest(bytes), size: bytes.length, ...extra };
  if (!(await layout.exists(desc))) await layout.push(desc, verified(Readable.from([bytes]), desc, 'fixture'));
  return desc;
}

async function image(layout: LayoutTarget, layers: Buffer[], platform: Platform, label: string): Promise<Descriptor> {
  const layerDescs = await Promise.all(layers.map((l) => put(layout, MediaType.OciLayerGzip, l)));
  // diff_ids are the digests of the uncompressed layers.
  const diffIds = layers.map((l) => `sha256:${createHash('sha256').update(gunzipSync(l)).digest('hex')}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Labels: { 'org.opencontainers.image.title': label }, Cmd: ['/bin/demo'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      created: '2024-01-01T00:00:00Z',
    }),
  );
  const configDesc = await put(layout, MediaType.OciConfig, config);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers: layerDescs }));
  return put(layout, MediaType.OciManifest, manifest, { platform });
}

export const FIXTURE_IMAGES = {
  web: 'demo/web:1.0',
  worker: 'demo/worker:1.0',
} as const;
export const FIXTURE_CHART = { name: 'demo-app', version: '1.0.0' } as const;

export async function writeFixtures(dir: string): Promise<void> {
  await rm(join(dir, 'images'), { recursive: true, force: true });
  const layout = await openLayout(join(dir, 'images'), { create: true });
  const base = layer({ 'etc/os-release': 'NAME="airlock demo base"\n', 'bin/demo': '#!/bin/sh\necho demo\n' });
  const amd64 = image(layout, [base, layer({ 'app/web': 'web for amd64\n' })], { os: 'linux', architecture: 'amd64' }, 'web');
  const arm64 = image(layout, [base, layer({ 'app/web': 'web for arm64\n' })], { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'web');
  const manifests = await Promise.all([amd64, arm64]);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
  const web = await put(layout, MediaType.OciIndex, index);
  await layout.tag(web, FIXTURE_IMAGES.web);
  const worker = await image(layout, [base, layer({ 'app/worker': 'worker\n' })], { os: 'linux', architecture: 'amd64' }, 'worker');
  await layout.tag({ mediaType: worker.mediaType, digest: worker.digest, size: worker.size }, FIXTURE_IMAGES.worker);

  const chartSrc = join(dir, 'chart-src');
  await rm(chartSrc, { recursive: true, force: true });
  const root = join(chartSrc, FIXTURE_CHART.name);
  await mkdir(join(root, 'templates'), { recursive: true });
  await writeFile(join(root, 'Chart.yaml'), `apiVersion: v2\nname: ${FIXTURE_CHART.name}\nversion: ${FIXTURE_CHART.version}\ndescription: airlock demo chart\nappVersion: "1.0"\n`);
  await writeFile(
    join(root, 'values.yaml'),
    'web:\n  image:\n    repository: SOURCE/demo/web\n    tag: "1.0"\nworker:\n  image: SOURCE/demo/worker:1.0\n',
  );
  // Two shapes charts use: repository + tag, and a whole image string.
  await writeFile(
    join(root, 'templates', 'deployment.yaml'),
    [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: "{{ .Values.web.image.repository }}:{{ .Values.web.image.tag }}"\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-worker\nspec:\n  selector:\n    matchLabels:\n      app: worker\n  template:\n    metadata:\n      labels:\n        app: worker\n    spec:\n      containers:\n        - name: worker\n          image: {{ .Values.worker.image }}\n',
    ].join('---\n'),
  );
  await mkdir(join(dir, 'charts'), { recursive: true });
  await createTar(
    { gzip: true, file: join(dir, 'charts', `${FIXTURE_CHART.name}-${FIXTURE_CHART.version}.tgz`), cwd: chartSrc, portable: true, mtime: new Date(0) },
    [FIXTURE_CHART.name],
  );
  await rm(chartSrc, { recursive: true, force: true });
}
