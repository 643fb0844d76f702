import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openVerifiedBundle } from '../src/bundle/verified.js';
import { freePort } from '../src/demo/registry.js';
import { writeBundle, type BundleRoot } from '../src/bundle/write.js';
import { openLayout } from '../src/layout/index.js';
import { MediaType } from '../src/oci/media-types.js';
import { parseRange } from '../src/serve/range.js';
import { paginate, route } from '../src/serve/routes.js';
import { isLoopback, parseListen } from '../src/serve/listen.js';
import { loadTls, serve, serveBundle, type RequestEvent, type RunningServer } from '../src/serve/server.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PrivateKey, type PublicKey } from '../src/sign/index.js';
import { rawManifest, skopeo, skopeoCopy } from './harness/skopeo.js';
import { makeCa, makeServerCert } from './harness/tls.js';
import { makeZip, tarEntries } from './helpers/archives.js';
import { rejected } from './helpers/errors.js';
import { httpRequest } from './helpers/http.js';
import { descriptorOf, makeBlob, makeChart, makeImage, makeMultiArch, sha256, writeToTarget, type Built } from './helpers/images.js';

const registry = inject('registry');
const run = promisify(execFile);
const bin = new URL('../bin/airlock', import.meta.url).pathname;
let dir: string;
let packer: { priv: PrivateKey; pub: PublicKey; pem: string };
let bundlePath: string;
let server: RunningServer & { signers: unknown };
let host: string;
const log: RequestEvent[] = [];

const big = makeBlob('serve-big', 700_000);
const ociMulti = makeMultiArch('serve-oci', { layerSize: 300_000 });
const dockerMulti = makeMultiArch('serve-docker', { docker: true, layerSize: 20_000 });
const dockerSingle = makeImage({ layers: [big, makeBlob('serve-ds', 5000)], docker: true, label: 'docker-single' });
const ociSingle = makeImage({ layers: [makeBlob('serve-os', 9000)], label: 'oci-single' });
const chart = makeChart('demo', '1.2.3');

/** An image podman can really unpack: a gzip tar layer, its diff_id the sha256 of the tar. */
function realImage(): Built {
  const work = execFileSync('mktemp', ['-d']).toString().trim();
  execFileSync('sh', ['-c', `echo hello from the bundle > ${work}/hello.txt`]);
  const tar = execFileSync('tar', ['--mtime=@0', '--owner=0', '--group=0', '-C', work, '-c', 'hello.txt']);
  execFileSync('rm', ['-rf', work]);
  const layer = gzipSync(tar);
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello.txt'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
  const config = descriptorOf(configBytes, MediaType.OciConfig);
  const layerDesc = descriptorOf(layer, MediaType.OciLayerGzip);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layerDesc] }));
  return {
    manifest,
    descriptor: descriptorOf(manifest, MediaType.OciManifest, { platform: { os: 'linux', architecture: 'amd64' } }),
    blobs: new Map([
      [config.digest, { descriptor: config, bytes: configBytes }],
      [layerDesc.digest, { descriptor: layerDesc, bytes: layer }],
    ]),
    manifests: [],
  };
}
const real = realImage();

/** Source name → what the server serves under the default (nested) mapping. */
const images: { name: string; built: Built; served: string; kind?: 'chart' }[] = [
  { name: 'ghcr.io/org/app:v1', built: ociMulti, served: 'org/app:v1' },
  { name: 'docker.io/library/nginx:1.27', built: dockerMulti, served: 'library/nginx:1.27' },
  { name: 'quay.io/org/tool:2', built: dockerSingle, served: 'org/tool:2' },
  { name: 'ghcr.io/org/single:3', built: ociSingle, served: 'org/single:3' },
  { name: 'ghcr.io/org/real:v1', built: real, served: 'org/real:v1' },
  { name: 'ghcr.io/org/charts/demo:1.2.3', built: chart, served: 'org/charts/demo:1.2.3', kind: 'chart' },
];

async function keyPair(name: string) {
  const pair = await generateKeyPair();
  return { priv: parsePrivateKey(pair.privateKeyPem, `${name}.key`), pub: parsePublicKey(pair.publicKeyPem, `${name}.pub`), pem: pair.publicKeyPem };
}

let roots: BundleRoot[];
async function writeTestBundle(output: string, options: { key?: PrivateKey | null; splitSize?: number } = {}) {
  const staging = await openLayout(join(dir, 'staging'), { create: true });
  roots ??= await Promise.all(
    images.map(async (i) => ({
      kind: i.kind ?? 'image',
      source: i.name,
      name: i.name,
      root: await writeToTarget(staging, i.built),
      ...(i.kind === 'chart' ? { chart: { name: 'demo', version: '1.2.3' } } : {}),
    })),
  );
  const key = options.key === undefined ? packer.priv : options.key;
  return writeBundle(staging, roots, { output, ...(key ? { key } : {}), spec: {}, epoch: 1_700_000_000, ...(options.splitSize ? { splitSize: options.splitSize } : {}) });
}

const v2 = (path: string) => `${server.url}/v2/${path}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-serve-'));
  packer = await keyPair('packer');
  bundlePath = join(dir, 'bundle.tar');
  await writeFile(join(dir, 'cli.pub'), packer.pem);
  await writeTestBundle(bundlePath);
  server = await serveBundle(bundlePath, { keys: [packer.pub] }, { listen: '127.0.0.1:0' });
  server.events.on('request', (e) => log.push(e));
  host = server.url.slice('http://'.length);
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the pieces', () => {
  it('reads single byte ranges and ignores what it does not handle', () => {
    expect(parseRange('bytes=100-199', 1000)).toEqual({ start: 100, end: 199 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-10', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
    expect(parseRange('bytes=5-1', 1000)).toBeUndefined();
  });
  it('routes the distribution API paths, names with slashes included', () => {
    expect(route('/v2/')).toEqual({ kind: 'base' });
    expect(route('/v2/_catalog')).toEqual({ kind: 'catalog' });
    expect(route('/v2/a/blobs/tags/list')).toEqual({ kind: 'tags', name: 'a/blobs' });
    expect(route('/v2/a/b/manifests/v1')).toEqual({ kind: 'manifest', name: 'a/b', reference: 'v1' });
    expect(route('/v2/a/blobs/blobs/sha256%3Aab')).toEqual({ kind: 'blob', name: 'a/blobs', digest: 'sha256:ab' });
    expect(route('/v2/a/referrers/sha256:ab')).toEqual({ kind: 'referrers', name: 'a', digest: 'sha256:ab' });
    expect(route('/v3/x')).toBeUndefined();
  });
  it('pages sorted lists after `last`', () => {
    expect(paginate(['a', 'b', 'c'], 2, undefined)).toEqual({ page: ['a', 'b'], more: true });
    expect(paginate(['a', 'b', 'c'], 2, 'b')).toEqual({ page: ['c'], more: false });
    expect(paginate(['a', 'b', 'c'], undefined, 'a')).toEqual({ page: ['b', 'c'], more: false });
  });
  it('listens on loopback unless told otherwise', () => {
    expect(parseListen('5000')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('0.0.0.0:5000')).toEqual({ host: '0.0.0.0', port: 5000 });
    expect(() => parseListen('host:99999')).toThrow(/HOST:PORT/);
    expect([isLoopback('127.0.0.1'), isLoopback('::1'), isLoopback('0.0.0.0'), isLoopback('10.0.0.1')]).toEqual([true, true, false, false]);
  });
});

describe('serving a signed bundle', () => {
  it('hashed every byte before it listened, and serves the names push would create', async () => {
    expect(server.contents.files).toBeGreaterThan(10);
    expect(server.repositories).toEqual(['library/nginx', 'org/app', 'org/charts/demo', 'org/real', 'org/single', 'org/tool']);
    const base = await httpRequest(v2(''));
    expect(base.status).toBe(200);
    expect(base.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('skopeo copies every image, OCI and Docker schema2, multi-arch included, with identical digests', async () => {
    for (const image of images) {
      const ref = `docker://${host}/${image.served}`;
      expect((await rawManifest(ref)).equals(image.built.manifest)).toBe(true);
      // skopeo 1.9's oci: layout takes OCI types only (it would convert, changing the digest): Docker images go to dir:.
      const docker = image.built.descriptor.mediaType.includes('docker');
      const out = join(dir, `copy-${image.served.replace(/[/:]/g, '-')}`);
      await skopeoCopy(ref, docker ? `dir:${out}` : `oci:${out}:x`, ['--preserve-digests']);
      if (docker) {
        expect(sha256(await readFile(join(out, 'manifest.json')))).toBe(image.built.descriptor.digest);
      } else {
        const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
        expect(index.manifests[0]!.digest).toBe(image.built.descriptor.digest);
      }
      for (const child of image.built.manifests) {
        const stored = docker ? join(out, `${child.descriptor.digest.slice(7)}.manifest.json`) : join(out, 'blobs', 'sha256', child.descriptor.digest.slice(7));
        expect(sha256(await readFile(stored))).toBe(child.descriptor.digest);
      }
    }
  });

  it('skopeo inspect reads an image through the registry API', async () => {
    const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', `docker://${host}/org/app:v1`])).toString()) as { Digest: string; Architecture: string; Layers: string[] };
    expect(info.Digest).toBe(ociMulti.descriptor.digest);
    expect(info.Architecture).toBe('amd64');
    expect(info.Layers).toHaveLength(2);
  });

  it('serves manifests by tag and digest, GET and HEAD, with their exact bytes, type and digest', async () => {
    for (const method of ['GET', 'HEAD']) {
      for (const ref of ['1.27', dockerMulti.descriptor.digest]) {
        const reply = await httpRequest(v2(`library/nginx/manifests/${ref}`), { method });
        expect(reply.status).toBe(200);
        expect(reply.headers['content-type']).toBe(MediaType.DockerManifestList);
        expect(reply.headers['docker-content-digest']).toBe(dockerMulti.descriptor.digest);
        expect(reply.headers['content-length']).toBe(String(dockerMulti.manifest.length));
        expect(reply.body.equals(method === 'GET' ? dockerMulti.manifest : Buffer.alloc(0))).toBe(true);
      }
    }
    const child = dockerMulti.manifests[1]!;
    const byDigest = await httpRequest(v2(`library/nginx/manifests/${child.descriptor.digest}`));
    expect(byDigest.headers['content-type']).toBe(MediaType.DockerManifest);
    expect(byDigest.body.equals(child.manifest)).toBe(true);
  });

  it('serves a chart with the media types Helm expects', async () => {
    const manifest = await httpRequest(v2('org/charts/demo/manifests/1.2.3'), { headers: { Accept: MediaType.OciManifest } });
    expect(manifest.headers['content-type']).toBe(MediaType.OciManifest);
    const doc = JSON.parse(manifest.body.toString()) as { config: { mediaType: string; digest: string }; layers: { mediaType: string; digest: string }[] };
    expect(doc.config.mediaType).toBe(MediaType.HelmConfig);
    expect(doc.layers.map((l) => l.mediaType)).toEqual([MediaType.HelmChart]);
    for (const d of [doc.config, doc.layers[0]!]) {
      const blob = await httpRequest(v2(`org/charts/demo/blobs/${d.digest}`));
      expect(blob.status).toBe(200);
      expect(sha256(blob.body)).toBe(d.digest);
    }
  });

  it('answers a single Range with 206 and exactly those bytes, and 416 past the end', async () => {
    const digest = sha256(big);
    const part = await httpRequest(v2(`org/tool/blobs/${digest}`), { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${big.length}`);
    expect(part.body.equals(big.subarray(100, 200))).toBe(true);
    const tail = await httpRequest(v2(`org/tool/blobs/${digest}`), { headers: { Range: `bytes=${big.length - 5}-` } });
    expect(tail.body.equals(big.subarray(big.length - 5))).toBe(true);
    const past = await httpRequest(v2(`org/tool/blobs/${digest}`), { headers: { Range: `bytes=${big.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${big.length}`);
    const head = await httpRequest(v2(`org/tool/blobs/${digest}`), { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.headers['docker-content-digest']]).toEqual([200, String(big.length), digest]);
  });

  it('answers unknown names, manifests and blobs with the spec error codes, and scopes blobs to their repository', async () => {
    const err = async (path: string) => {
      const reply = await httpRequest(v2(path));
      return [reply.status, (JSON.parse(reply.body.toString()) as { errors: { code: string }[] }).errors[0]!.code];
    };
    expect(await err('nope/manifests/v1')).toEqual([404, 'NAME_UNKNOWN']);
    expect(await err('org/app/manifests/v2')).toEqual([404, 'MANIFEST_UNKNOWN']);
    expect(await err(`org/app/manifests/sha256:${'0'.repeat(64)}`)).toEqual([404, 'MANIFEST_UNKNOWN']);
    expect(await err(`org/app/blobs/sha256:${'0'.repeat(64)}`)).toEqual([404, 'BLOB_UNKNOWN']);
    // The big layer is in the bundle, but only org/tool's image uses it.
    expect(await err(`org/app/blobs/${sha256(big)}`)).toEqual([404, 'BLOB_UNKNOWN']);
    expect(await err('org/app/blobs/sha256:xyz')).toEqual([400, 'DIGEST_INVALID']);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const reply = await httpRequest(v2('org/app/blobs/uploads/'), { method });
      expect(reply.status).toBe(405);
      expect(reply.body.toString()).toContain('UNSUPPORTED');
    }
  });

  it('survives a request line that is no URL', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 (4|5)\d\d/);
    expect((await httpRequest(v2(''))).status).toBe(200);
  });

  it('lists tags and the catalog with n/last pagination and a Link to the next page', async () => {
    const first = await httpRequest(v2('_catalog?n=2'));
    expect(JSON.parse(first.body.toString())).toEqual({ repositories: ['library/nginx', 'org/app'] });
    expect(first.headers.link).toBe('</v2/_catalog?n=2&last=org%2Fapp>; rel="next"');
    const next = await httpRequest(`${server.url}${(first.headers.link as string).slice(1, (first.headers.link as string).indexOf('>'))}`);
    expect(JSON.parse(next.body.toString())).toEqual({ repositories: ['org/charts/demo', 'org/real'] });
    const tags = await httpRequest(v2('org/app/tags/list'));
    expect(JSON.parse(tags.body.toString())).toEqual({ name: 'org/app', tags: ['v1'] });
    expect(tags.headers.link).toBeUndefined();
    expect((await httpRequest(v2('_catalog?n=x'))).status).toBe(400);
  });

  it('answers the referrers API with an empty OCI index', async () => {
    const reply = await httpRequest(v2(`org/app/referrers/${ociMulti.descriptor.digest}`));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(MediaType.OciIndex);
    expect(JSON.parse(reply.body.toString())).toEqual({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
  });

  it('refuses a push from skopeo (405 UNSUPPORTED) and nothing changes', async () => {
    const before = sha256(await readFile(bundlePath));
    const layout = join(dir, 'push-src');
    await writeToTarget(await openLayout(layout, { create: true }), ociSingle, 'x');
    const failed = await skopeoCopy(`oci:${layout}:x`, `docker://${host}/org/new:v1`).then(() => undefined, (e: Error) => e);
    expect(failed?.message).toMatch(/405|UNSUPPORTED|not supported/i);
    expect(sha256(await readFile(bundlePath))).toBe(before);
    expect((await httpRequest(v2('org/new/tags/list'))).status).toBe(404);
    expect(log.some((e) => e.method !== 'GET' && e.method !== 'HEAD' && e.status === 405)).toBe(true);
  });

  it('completes 16 parallel pulls of the same blob', async () => {
    const digest = sha256(big);
    const replies = await Promise.all(Array.from({ length: 16 }, () => httpRequest(v2(`org/tool/blobs/${digest}`))));
    for (const r of replies) expect([r.status, r.complete, sha256(r.body)]).toEqual([200, true, digest]);
  });

  it('logs one event per request: method, path, status, bytes, ms', async () => {
    const digest = sha256(big);
    await httpRequest(v2(`org/tool/blobs/${digest}`));
    const e = log.findLast((x) => x.path === `/v2/org/tool/blobs/${digest}`)!;
    expect(e).toMatchObject({ method: 'GET', status: 200, bytes: big.length, complete: true, remote: '127.0.0.1' });
    expect(e.ms).toBeGreaterThanOrEqual(0);
  });
});

describe('serving from other forms and names', () => {
  it('serves from split parts in place', async () => {
    const written = await writeTestBundle(join(dir, 'split.tar'), { splitSize: 256 * 1024 });
    expect(written.files.length).toBeGreaterThan(3);
    const parts = await serveBundle(written.files[0]!, { keys: [packer.pub] }, { listen: '127.0.0.1:0' });
    try {
      const out = join(dir, 'from-parts');
      await skopeoCopy(`docker://${parts.url.slice(7)}/org/app:v1`, `oci:${out}:x`, ['--preserve-digests']);
      expect((JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] }).manifests[0]!.digest).toBe(ociMulti.descriptor.digest);
    } finally {
      await parts.close();
    }
  });

  it('serves from an extracted folder and a zip, and refuses a gzip bundle it cannot read in place', async () => {
    const folder = join(dir, 'folder');
    execFileSync('mkdir', ['-p', folder]);
    execFileSync('tar', ['-xf', bundlePath, '-C', folder]);
    const running = await serveBundle(folder, { keys: [packer.pub] }, { listen: '127.0.0.1:0' });
    try {
      expect((await rawManifest(`docker://${running.url.slice(7)}/org/app:v1`)).equals(ociMulti.manifest)).toBe(true);
    } finally {
      await running.close();
    }
    // A zip re-made on a laptop, one folder down: read in place too (deflated entries inflate as they stream).
    const zip = join(dir, 'bundle.zip');
    const bytes = await readFile(bundlePath);
    await makeZip(zip, (await tarEntries(bundlePath)).map((e) => ({ name: `platform/${e.path}`, data: bytes.subarray(e.offset!, e.offset! + e.size) })));
    const zipped = await serveBundle(zip, { keys: [packer.pub] }, { listen: '127.0.0.1:0' });
    try {
      const blob = await httpRequest(`${zipped.url}/v2/org/tool/blobs/${sha256(big)}`, { headers: { Range: 'bytes=100-199' } });
      expect([blob.status, blob.body.equals(big.subarray(100, 200))]).toEqual([206, true]);
    } finally {
      await zipped.close();
    }
    const gz = join(dir, 'bundle.tar.gz');
    await writeFile(gz, gzipSync(await readFile(bundlePath)));
    await rejected(serveBundle(gz, { keys: [packer.pub] }, { listen: '127.0.0.1:0' }), 'USAGE');
  });

  it('takes a prefix and --keep-source-host names; containerd\'s ?ns= finds the source host', async () => {
    const verified = await openVerifiedBundle(bundlePath, { keys: [packer.pub] });
    const named = await serve(verified, { listen: '127.0.0.1:0', mapping: 'keep-source-host' });
    const prefixed = await serve(verified, { listen: '127.0.0.1:0', prefix: 'mirror', mapping: 'flatten' });
    try {
      expect(named.repositories).toContain('docker.io/library/nginx');
      expect((await rawManifest(`docker://${named.url.slice(7)}/docker.io/library/nginx:1.27`)).equals(dockerMulti.manifest)).toBe(true);
      expect((await httpRequest(`${named.url}/v2/library/nginx/manifests/1.27?ns=docker.io`)).status).toBe(200);
      expect(prefixed.repositories).toEqual(['mirror/app', 'mirror/demo', 'mirror/nginx', 'mirror/real', 'mirror/single', 'mirror/tool']);
      await rejected(serve(verified, { listen: '127.0.0.1:0', prefix: 'Bad' }), 'REF_INVALID');
    } finally {
      await named.close();
      await prefixed.close();
      await verified.close();
    }
  });
});

describe('refusing', () => {
  async function nothingListens(port: number): Promise<boolean> {
    return httpRequest(`http://127.0.0.1:${port}/v2/`).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  }

  it('refuses an unsigned bundle without allowUnsigned, and a wrong key; nothing listens then', async () => {
    const unsigned = join(dir, 'unsigned.tar');
    await writeTestBundle(unsigned, { key: null });
    const port = await freePort();
    await rejected(serveBundle(unsigned, { keys: [packer.pub] }, { listen: `127.0.0.1:${port}` }), 'SIGNATURE_MISSING');
    expect(await nothingListens(port)).toBe(true);
    const other = await keyPair('other');
    await rejected(serveBundle(bundlePath, { keys: [other.pub] }, { listen: `127.0.0.1:${port}` }), 'SIGNATURE_INVALID');
    expect(await nothingListens(port)).toBe(true);
    const allowed = await serveBundle(unsigned, { keys: [], allowUnsigned: true }, { listen: `127.0.0.1:${port}` });
    expect((await httpRequest(`http://127.0.0.1:${port}/v2/`)).status).toBe(200);
    await allowed.close();
  });

  it('refuses a bundle altered before serving (every byte is hashed first)', async () => {
    const altered = join(dir, 'altered.tar');
    await copyFile(bundlePath, altered);
    await flipByteOf(altered, sha256(big), 1000);
    const port = await freePort();
    await rejected(serveBundle(altered, { keys: [packer.pub] }, { listen: `127.0.0.1:${port}` }), 'INTEGRITY');
    expect(await nothingListens(port)).toBe(true);
  });

  it('cuts a blob transfer when the bundle changed underneath: never wrong bytes in a complete 200', async () => {
    const tampered = join(dir, 'tampered.tar');
    await copyFile(bundlePath, tampered);
    const running = await serveBundle(tampered, { keys: [packer.pub] }, { listen: '127.0.0.1:0' });
    const events: RequestEvent[] = [];
    running.events.on('request', (e) => events.push(e));
    try {
      const digest = sha256(big);
      const url = `${running.url}/v2/org/tool/blobs/${digest}`;
      expect(sha256((await httpRequest(url)).body)).toBe(digest);
      for (const at of [10, big.length - 3]) {
        await flipByteOf(tampered, digest, at);
        for (const headers of [{}, { Range: 'bytes=0-99' }] as Record<string, string>[]) {
          // Cut before the headers went out (a range held whole until the end) or in the middle of the body.
          const reply = await httpRequest(url, { headers }).catch((e: Error) => e);
          if (reply instanceof Error) expect(reply.message).toMatch(/socket hang up|ECONNRESET/);
          else expect([reply.complete, reply.body.length < Number(reply.headers['content-length'])]).toEqual([false, true]);
        }
        await flipByteOf(tampered, digest, at);
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(events.filter((e) => e.error?.includes('digest')).length).toBe(4);
      expect(sha256((await httpRequest(url)).body)).toBe(digest);
    } finally {
      await running.close();
    }
  });
});

describe('running and stopping like a server', () => {
  it('lets a running transfer finish on close, refuses new connections, and cuts what outlasts the grace period', async () => {
    // Larger than loopback's socket buffers, so a client that stops reading really holds the transfer open.
    const huge = Buffer.alloc(32 * 1024 * 1024, 7);
    const image = makeImage({ layers: [huge], label: 'huge' });
    const staging = await openLayout(join(dir, 'staging-huge'), { create: true });
    const path = join(dir, 'huge.tar');
    await writeBundle(staging, [{ kind: 'image', source: 'ghcr.io/org/huge:1', name: 'ghcr.io/org/huge:1', root: await writeToTarget(staging, image) }], { output: path, key: packer.priv, spec: {}, epoch: 0 });
    const pausedPull = (url: string, whenPaused: () => Promise<unknown>) =>
      new Promise<{ complete: boolean; body: Buffer }>((resolve) => {
        request(url, { agent: false }, (res) => {
          res.pause();
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('close', () => resolve({ complete: res.complete, body: Buffer.concat(chunks) }));
          void whenPaused().then(() => res.resume());
        }).on('error', () => resolve({ complete: false, body: Buffer.alloc(0) })).end();
      });
    const blobPath = `/v2/org/huge/blobs/${sha256(huge)}`;

    const running = await serveBundle(path, { keys: [packer.pub] }, { listen: '127.0.0.1:0' });
    let closing: Promise<void> | undefined;
    const got = await pausedPull(`${running.url}${blobPath}`, async () => {
      closing = running.close(10_000);
      await new Promise((r) => setTimeout(r, 300));
      await expect(httpRequest(`${running.url}/v2/`)).rejects.toThrow(/ECONNREFUSED/);
    });
    expect([got.complete, sha256(got.body)]).toEqual([true, sha256(huge)]);
    await closing;

    const stuck = await serveBundle(path, { keys: [packer.pub] }, { listen: '127.0.0.1:0' });
    const started = Date.now();
    const cut = await pausedPull(`${stuck.url}${blobPath}`, () => stuck.close(200));
    expect(cut.complete).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('serves https with --tls-cert/--tls-key', async () => {
    const ca = await makeCa(dir);
    const cert = await makeServerCert(dir, ca);
    const secure = await serveBundle(bundlePath, { keys: [packer.pub] }, { listen: '127.0.0.1:0', tls: await loadTls(cert.certFile, cert.keyFile) });
    try {
      expect(secure.url).toMatch(/^https:/);
      const status = await new Promise<number>((resolve, reject) => {
        httpsGet(`${secure.url}/v2/org/app/tags/list`, { ca: readFileSync(ca.certFile) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      await secure.close();
    }
  });

  it('podman pulls an image from it (where podman can run here)', async (ctx) => {
    const store = await mkdtemp(join(tmpdir(), 'airlock-podman-'));
    const podman = (...args: string[]) =>
      run('podman', ['--root', join(store, 'root'), '--runroot', join(store, 'run'), '--storage-driver', 'vfs', ...args], { timeout: 60_000 }).then((r) => r.stdout.trim());
    try {
      // The control: the same image through docker-registry. If podman cannot pull that, this sandbox cannot run it.
      await skopeoCopy(`docker://${host}/org/real:v1`, `docker://${registry}/serve-podman/real:v1`, ['--preserve-digests']);
      const control = await podman('pull', '--quiet', '--tls-verify=false', `${registry}/serve-podman/real:v1`).catch((e: Error) => e);
      if (control instanceof Error) {
        const reason = `podman cannot pull here even from docker-registry: ${control.message.split('\n').slice(-3).join(' ')}`;
        process.stdout.write(`skipped: ${reason}\n`);
        ctx.skip(reason);
      }
      await podman('pull', '--quiet', '--tls-verify=false', `${host}/org/real:v1`);
      expect(await podman('image', 'inspect', '--format', '{{.Digest}}', `${host}/org/real:v1`)).toBe(real.descriptor.digest);
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });

  it('the CLI: serve --ready-file, a request, one log line, SIGTERM, exit 0', async () => {
    const pub = join(dir, 'cli.pub');
    const ready = join(dir, 'ready');
    const child = spawn(process.execPath, [bin, 'serve', bundlePath, '--key', pub, '--listen', '127.0.0.1:0', '--ready-file', ready, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let url = '';
    for (let i = 0; i < 200 && url === ''; i++) {
      url = await readFile(ready, 'utf8').then((t) => t.trim(), () => '');
      if (url === '') await new Promise((r) => setTimeout(r, 50));
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tags = await httpRequest(`${url}/v2/org/app/tags/list`);
    expect(JSON.parse(tags.body.toString())).toEqual({ name: 'org/app', tags: ['v1'] });
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const line = JSON.parse(stdout.trim().split('\n')[0]!) as RequestEvent;
    expect(line).toMatchObject({ method: 'GET', path: '/v2/org/app/tags/list', status: 200, complete: true });
    expect(stderr).toContain('serving 6 repositories');
    expect(stderr).toContain('stopping on SIGTERM');
  });

  it('is part of the library API, by the package name', async () => {
    const lib = await import('airlock');
    expect([typeof lib.serve, typeof lib.serveBundle, typeof lib.loadTls]).toEqual(['function', 'function', 'function']);
  });

  it('the CLI refuses to serve without a key (exit 2), and on a port in use (exit 9)', async () => {
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, 'serve', bundlePath, ...args], (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
      });
    const noKey = await cli();
    expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringContaining('no key given')]);
    const taken = await cli('--key', join(dir, 'cli.pub'), '--listen', host);
    expect([taken.code, taken.stderr]).toEqual([9, expect.stringContaining('the port is in use')]);
  });
});

/** Flips one byte of a blob inside a bundle tar, in place. */
async function flipByteOf(path: string, digest: string, at: number): Promise<void> {
  const entry = (await tarEntries(path)).find((e) => e.path === `blobs/sha256/${digest.slice(7)}`)!;
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, entry.offset! + at);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, entry.offset! + at);
  } finally {
    await handle.close();
  }
}

