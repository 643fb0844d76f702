import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pack, type PackEvent, type PackOptions } from '../src/bundle/pack.js';
import { openSignedBundle } from '../src/bundle/read.js';
import { validateSpec } from '../src/bundle/spec.js';
import { verifyContents } from '../src/bundle/verify.js';
import { push } from '../src/bundle/push.js';
import { parseTargetRegistry } from '../src/bundle/mapping.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { fallbackIndex } from './helpers/attached.js';
import { MediaType } from '../src/oci/media-types.js';
import type { Descriptor } from '../src/oci/schemas.js';
import { verify } from '../src/bundle/verify.js';
import { inspect } from '../src/bundle/inspect.js';
import { startFakeReferrers } from './harness/fake-referrers.js';
import { parsePublicKey } from '../src/sign/index.js';
import { rejected } from './helpers/errors.js';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir as mkdirp, writeFile } from 'node:fs/promises';
import { createUrlFetcher, RegistryPool } from '../src/registry/index.js';
import { generateKeyPair, parsePrivateKey, type PrivateKey, type PublicKey } from '../src/sign/index.js';
import { cosignAttestation, cosignSignature, pushArtifact, pushFallbackIndex, referrer, SIGSTORE_BUNDLE, SPDX } from './helpers/attached.js';
import { makeMultiArch, makeImage, makeBlob } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const registry = inject('registry');
const ns = `referrers-${process.pid}`;
const cosignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let dir: string;
let key: PrivateKey;
let pub: PublicKey;
let target: RunningRegistry;
let pool: RegistryPool;
const http = createUrlFetcher({});

const multi = makeMultiArch('ref-multi', { layerSize: 4096 });
const selfish = makeImage({ layers: [makeBlob('ref-selfish', 2048)], label: 'selfish' });
const image = `${registry}/${ns}/app:v1`;
const sbomOf = (i: number) => referrer(multi.manifests[i]!.descriptor, SPDX, `{"spdxVersion":"SPDX-2.3","name":"child-${i}"}`, { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' });
const sig = cosignSignature([{ digest: multi.descriptor.digest, dockerReference: `${registry}/${ns}/app`, key: cosignKey.privateKey }]);
const att = cosignAttestation(multi.descriptor.digest, `${registry}/${ns}/app`);
const bundleRef = referrer(multi.descriptor, SIGSTORE_BUNDLE, '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}', { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' });

function options(output: string, extra: Partial<PackOptions> = {}): PackOptions {
  return { output, key, openRepository: (ref) => pool.repository(ref), fetchUrl: http.fetch, epoch: 1_700_000_000, ...extra };
}

async function manifestOf(path: string) {
  const bundle = await openSignedBundle(path);
  try {
    await verifyContents(bundle);
    return bundle.manifest;
  } finally {
    await bundle.reader.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-referrers-'));
  key = parsePrivateKey((await generateKeyPair()).privateKeyPem, 'k.key');
  pub = key.publicKey;
  target = await startRegistry();
  pool = new RegistryPool({});
  await seedWithSkopeo(registry, [
    { built: multi, repo: `${ns}/app`, tag: 'v1' },
    { built: selfish, repo: `${ns}/selfish`, tag: 'v1' },
  ]);
  const repo = pool.repository({ registry, repository: `${ns}/app` });
  const hex = multi.descriptor.digest.slice(7);
  await pushArtifact(repo, sig, `sha256-${hex}.sig`);
  await pushArtifact(repo, att, `sha256-${hex}.att`);
  await pushArtifact(repo, bundleRef);
  await pushFallbackIndex(repo, multi.descriptor.digest, [bundleRef]);
  for (const i of [0, 1]) {
    await pushArtifact(repo, sbomOf(i));
    await pushFallbackIndex(repo, multi.manifests[i]!.descriptor.digest, [sbomOf(i)]);
  }
  // A registry that answers the fallback tag with the image itself.
  const selfRepo = pool.repository({ registry, repository: `${ns}/selfish` });
  await selfRepo.tag(selfish.descriptor, `sha256-${selfish.descriptor.digest.slice(7)}`);
}, 60_000);

afterAll(async () => {
  pool.close();
  await target?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('pack carries what is attached', () => {
  it('finds cosign tags and fallback-index referrers on the index and each child, and records them', async () => {
    const out = join(dir, 'all.tar');
    await pack(validateSpec({ images: [image] }, 't'), options(out));
    const m = await manifestOf(out);
    const got = (m.attached ?? []).map((a) => [a.kind, a.found, a.platform ?? '', a.subject, a.digest, a.tag ?? '', a.artifactType ?? '']);
    expect(got).toHaveLength(5);
    expect(got).toEqual(
      expect.arrayContaining([
        ['cosign-signature', 'tag', '', multi.descriptor.digest, sig.descriptor.digest, `sha256-${multi.descriptor.digest.slice(7)}.sig`, ''],
        ['cosign-attestation', 'tag', '', multi.descriptor.digest, att.descriptor.digest, `sha256-${multi.descriptor.digest.slice(7)}.att`, ''],
        ['sigstore-bundle', 'referrer', '', multi.descriptor.digest, bundleRef.descriptor.digest, '', SIGSTORE_BUNDLE],
        ['sbom', 'referrer', 'linux/amd64', multi.manifests[0]!.descriptor.digest, sbomOf(0).descriptor.digest, '', SPDX],
        ['sbom', 'referrer', 'linux/arm64/v8', multi.manifests[1]!.descriptor.digest, sbomOf(1).descriptor.digest, '', SPDX],
      ]),
    );
    expect(m.attached!.find((a) => a.kind === 'sigstore-bundle')!.annotations).toEqual({ 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' });
    // Every blob of every attached graph is in the bundle.
    const files = new Set(m.files.map((f) => f.path));
    for (const a of [sig, att, bundleRef, sbomOf(0), sbomOf(1)]) {
      for (const d of [a.descriptor, ...a.blobs.map((b) => b.descriptor)]) expect(files.has(`blobs/sha256/${d.digest.slice(7)}`)).toBe(true);
    }
  });

  it('--no-referrers carries none; --referrer-type keeps only the kinds asked for', async () => {
    const none = join(dir, 'none.tar');
    await pack(validateSpec({ images: [image] }, 't'), options(none, { attached: false }));
    expect((await manifestOf(none)).attached).toBeUndefined();
    const sboms = join(dir, 'sboms.tar');
    await pack(validateSpec({ images: [image] }, 't'), options(sboms, { attached: { types: ['sbom', SIGSTORE_BUNDLE] } }));
    expect(((await manifestOf(sboms)).attached ?? []).map((a) => a.kind).sort()).toEqual(['sbom', 'sbom', 'sigstore-bundle']);
  });

  it('with --cache the same attached artifacts are carried, and the bundle is byte-identical', async () => {
    const direct = join(dir, 'direct.tar');
    const cached = join(dir, 'cached.tar');
    await pack(validateSpec({ images: [image] }, 't'), options(direct));
    await pack(validateSpec({ images: [image] }, 't'), options(cached, { cache: join(dir, 'cache') }));
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(cached)).equals(await readFile(direct))).toBe(true);
    expect((await manifestOf(cached)).attached).toHaveLength(5);
  });

  it('ignores, with a warning, a fallback tag that resolves to the image itself', async () => {
    const out = join(dir, 'selfish.tar');
    const events: PackEvent[] = [];
    await pack(validateSpec({ images: [`${registry}/${ns}/selfish:v1`] }, 't'), options(out, { onEvent: (e) => events.push(e) }));
    expect((await manifestOf(out)).attached).toBeUndefined();
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings).toEqual([expect.stringContaining('resolves to the image itself')]);
  });
});

/** The raw bytes of a manifest by tag or digest (GET, exact bytes). */
async function raw(host: string, repository: string, reference: string): Promise<Buffer | undefined> {
  const res = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ') },
  });
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function pushTo(bundle: string, prefix: string) {
  const fresh = new RegistryPool({});
  try {
    return await push(bundle, { policy: { keys: [pub] }, registry: parseTargetRegistry(`${target.host}/${prefix}`), openRepository: (ref) => fresh.repository(ref) });
  } finally {
    fresh.close();
  }
}

describe('push writes what is attached', () => {
  it('round trip: every signature, attestation, SBOM and fallback index byte-identical on the target', async () => {
    const out = join(dir, 'rt.tar');
    await pack(validateSpec({ images: [image] }, 't'), options(out));
    const result = await pushTo(out, 'rt');
    expect(result.attached.map((a) => a.via).sort()).toEqual(['fallback-index', 'fallback-index', 'fallback-index', 'tag', 'tag']);
    const srcRepo = `${ns}/app`;
    const mapped = result.plan.items[0]!.repository.slice(target.host.length + 1);
    const hex = (d: string) => d.slice(7);
    const refs = [
      multi.descriptor.digest,
      ...multi.manifests.map((m) => m.descriptor.digest),
      `sha256-${hex(multi.descriptor.digest)}.sig`,
      `sha256-${hex(multi.descriptor.digest)}.att`,
      `sha256-${hex(multi.descriptor.digest)}`,
      ...multi.manifests.map((m) => `sha256-${hex(m.descriptor.digest)}`),
      ...[sig, att, bundleRef, sbomOf(0), sbomOf(1)].map((a) => a.descriptor.digest),
    ];
    for (const r of refs) {
      const want = await raw(registry, srcRepo, r);
      expect(want, r).toBeDefined();
      expect((await raw(target.host, mapped, r))?.equals(want!), r).toBe(true);
    }
  });

  it('two bundles carrying referrers for one image: the fallback index holds both sets', async () => {
    const repo = pool.repository({ registry, repository: `${ns}/app` });
    const first = join(dir, 'first.tar');
    await pack(validateSpec({ images: [image] }, 't'), options(first, { attached: { types: ['sbom'] } }));
    // Later the vendor replaces the amd64 SBOM referrer list with another one.
    const other = referrer(multi.manifests[0]!.descriptor, 'application/vnd.cyclonedx+json', '{"bomFormat":"CycloneDX"}');
    await pushArtifact(repo, other);
    const amd64 = multi.manifests[0]!.descriptor.digest;
    await pushFallbackIndex(repo, amd64, [other]);
    try {
      const second = join(dir, 'second.tar');
      await pack(validateSpec({ images: [image] }, 't'), options(second, { attached: { types: ['sbom'] } }));
      await pushTo(first, 'two');
      const mapped = `two/${ns}/app`;
      await pushTo(second, 'two');
      const index = JSON.parse((await raw(target.host, mapped, `sha256-${amd64.slice(7)}`))!.toString()) as { manifests: { digest: string; artifactType?: string }[] };
      expect(index.manifests.map((m) => [m.digest, m.artifactType])).toEqual([
        [sbomOf(0).descriptor.digest, SPDX],
        [other.descriptor.digest, 'application/vnd.cyclonedx+json'],
      ]);
      expect((await raw(target.host, mapped, `sha256-${amd64.slice(7)}`))!.equals(fallbackIndex([sbomOf(0), other]))).toBe(true);
    } finally {
      await pushFallbackIndex(repo, amd64, [sbomOf(0)]);
    }
  });
});

describe('cosign key signatures, verified offline', () => {
  const cosignPub = parsePublicKey(cosignKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'cosign.pub');
  const wrongPub = parsePublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'wrong.pub');
  const bad = makeMultiArch('ref-tampered', { layerSize: 1024 });
  const stray = makeImage({ layers: [makeBlob('ref-stray', 1024)], label: 'stray' });
  const badImage = `${registry}/${ns}/tampered:v1`;
  const strayImage = `${registry}/${ns}/stray:v1`;

  beforeAll(async () => {
    await seedWithSkopeo(registry, [
      { built: bad, repo: `${ns}/tampered`, tag: 'v1' },
      { built: stray, repo: `${ns}/stray`, tag: 'v1' },
    ]);
    const repo = pool.repository({ registry, repository: `${ns}/tampered` });
    const [amd64, arm64] = bad.manifests.map((m) => m.descriptor.digest);
    // arm64 is signed well; amd64's signature payload lost one byte's worth of truth.
    await pushArtifact(repo, cosignSignature([{ digest: arm64!, dockerReference: `${registry}/${ns}/tampered`, key: cosignKey.privateKey }]), `sha256-${arm64!.slice(7)}.sig`);
    await pushArtifact(repo, cosignSignature([{ digest: amd64!, dockerReference: `${registry}/${ns}/tampered`, key: cosignKey.privateKey, tamper: true }]), `sha256-${amd64!.slice(7)}.sig`);
    // A good signature, by the right key, for another image, stored as this one's.
    const strayRepo = pool.repository({ registry, repository: `${ns}/stray` });
    await pushArtifact(strayRepo, cosignSignature([{ digest: multi.descriptor.digest, dockerReference: `${registry}/${ns}/stray`, key: cosignKey.privateKey }]), `sha256-${stray.descriptor.digest.slice(7)}.sig`);
  }, 60_000);

  it('pack records a good signature as verified; verify --image-key proves it offline', async () => {
    const out = join(dir, 'signed.tar');
    await pack(validateSpec({ images: [image] }, 't'), options(out, { imageSignatures: { keys: [cosignPub], require: true } }));
    const m = await manifestOf(out);
    expect(m.attached!.find((a) => a.kind === 'cosign-signature')!.verified).toEqual({ ok: true, detail: expect.stringContaining('cosign.pub') });
    const report = await verify(out, { keys: [pub] }, { imageSignatures: { keys: [cosignPub], require: true } });
    expect(report.imageSignatures).toEqual([expect.objectContaining({ image, ok: true })]);
  });

  it('inspect shows, per image and platform, the count and kind of attached artifacts and whether signatures were verified', async () => {
    const s = await inspect(join(dir, 'signed.tar'));
    expect(s.attached).toHaveLength(3);
    expect(s.attached).toEqual(expect.arrayContaining([
      { image, platform: 'index', kinds: { 'cosign-attestation': 1, 'cosign-signature': 1, 'sigstore-bundle': 1 }, signatures: { verified: 1, failed: 0, unchecked: 0 } },
      { image, platform: 'linux/amd64', kinds: { sbom: 1 }, signatures: { verified: 0, failed: 0, unchecked: 0 } },
      { image, platform: 'linux/arm64/v8', kinds: { sbom: 1 }, signatures: { verified: 0, failed: 0, unchecked: 0 } },
    ]));
  });

  it('a tampered signature: pack --require-image-signatures names the image and platform and writes no file', async () => {
    const out = join(dir, 'tampered.tar');
    const err = await rejected(pack(validateSpec({ images: [badImage] }, 't'), options(out, { imageSignatures: { keys: [cosignPub], require: true } })), 'IMAGE_SIGNATURE');
    expect(err.message).toContain(`${badImage} (linux/amd64): the signature does not verify`);
    expect(err.message).not.toContain('arm64');
    await expect(import('node:fs/promises').then((fs) => fs.stat(out))).rejects.toThrow();
  });

  it('verify and push of a bundle carrying it fail the same way, and push sends nothing', async () => {
    const out = join(dir, 'tampered-carried.tar');
    await pack(validateSpec({ images: [badImage] }, 't'), options(out, { imageSignatures: { keys: [cosignPub] } }));
    expect((await manifestOf(out)).attached!.map((a) => [a.platform, a.verified?.ok]).sort()).toEqual([['linux/amd64', false], ['linux/arm64/v8', true]]);
    const policy = { keys: [cosignPub], require: true };
    const v = await rejected(verify(out, { keys: [pub] }, { imageSignatures: policy }), 'IMAGE_SIGNATURE');
    expect(v.message).toContain(`${badImage} (linux/amd64)`);
    const fresh = new RegistryPool({});
    const p = await rejected(
      push(out, { policy: { keys: [pub] }, registry: parseTargetRegistry(`${target.host}/nothing`), openRepository: (ref) => fresh.repository(ref), imageSignatures: policy }),
      'IMAGE_SIGNATURE',
    );
    fresh.close();
    expect(p.message).toContain(`${badImage} (linux/amd64)`);
    const catalog = (await (await fetch(`http://${target.host}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories.filter((r) => r.startsWith('nothing/'))).toEqual([]);
  });

  it('the CLI: pack --require-image-signatures exits 12 naming image and platform; verify --image-key passes', async () => {
    const keys = await generateKeyPair();
    await writeFile(join(dir, 'v.key'), keys.privateKeyPem);
    await writeFile(join(dir, 'v.pub'), keys.publicKeyPem);
    await writeFile(join(dir, 'cosign.pub'), cosignKey.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const bin = new URL('../bin/airlock', import.meta.url).pathname;
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, ...args], (err, stdout, stderr) => resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), stdout, stderr }));
      });
    const bad = await run('pack', '--image', badImage, '--key', join(dir, 'v.key'), '--image-key', join(dir, 'cosign.pub'), '--require-image-signatures', '-o', join(dir, 'cli-bad.tar'));
    expect(bad.code).toBe(13);
    expect(bad.stderr).toContain(`${badImage} (linux/amd64)`);
    expect(existsSync(join(dir, 'cli-bad.tar'))).toBe(false);
    const good = await run('pack', '--image', image, '--key', join(dir, 'v.key'), '--image-key', join(dir, 'cosign.pub'), '--require-image-signatures', '-o', join(dir, 'cli-good.tar'));
    expect(good.code, good.stderr).toBe(0);
    const v = await run('verify', join(dir, 'cli-good.tar'), '--key', join(dir, 'v.pub'), '--image-key', join(dir, 'cosign.pub'), '--require-image-signatures');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain(`image sig: ok     ${image}: signed by`);
  }, 60_000);

  it('a wrong --image-key is refused, and so is a signature whose digest claim names another image', async () => {
    const wrong = await rejected(pack(validateSpec({ images: [image] }, 't'), options(join(dir, 'wrong.tar'), { imageSignatures: { keys: [wrongPub], require: true } })), 'IMAGE_SIGNATURE');
    expect(wrong.message).toContain('does not verify with any --image-key');
    const other = await rejected(pack(validateSpec({ images: [strayImage] }, 't'), options(join(dir, 'stray.tar'), { imageSignatures: { keys: [cosignPub], require: true } })), 'IMAGE_SIGNATURE');
    expect(other.message).toContain(`${strayImage} (linux/amd64): its payload signs ${multi.descriptor.digest}, another image`);
  });
});

describe('the referrers API (a fake endpoint in front of the real registry)', () => {
  const extra = [
    referrer(multi.manifests[0]!.descriptor, 'application/vnd.cyclonedx+json', '{"bomFormat":"CycloneDX","n":1}'),
    referrer(multi.manifests[0]!.descriptor, 'application/vnd.example.scan+json', '{"scan":"clean"}'),
  ];
  const plain = (d: Descriptor): Descriptor => ({ ...d });

  it('pack follows Link pages, honours the artifactType filter, and push uses the target\'s API instead of the fallback tag', async () => {
    const repo = pool.repository({ registry, repository: `${ns}/app` });
    for (const e of extra) await pushArtifact(repo, e);
    const source = await startFakeReferrers(registry, { pageSize: 2 });
    const targetApi = await startFakeReferrers(target.host);
    try {
      source.table.set(multi.descriptor.digest, [plain(bundleRef.descriptor)]);
      source.table.set(multi.manifests[0]!.descriptor.digest, [sbomOf(0), ...extra].map((a) => plain(a.descriptor)));
      source.table.set(multi.manifests[1]!.descriptor.digest, [plain(sbomOf(1).descriptor)]);
      const viaApi = `${source.host}/${ns}/app:v1`;
      const out = join(dir, 'api.tar');
      await pack(validateSpec({ images: [viaApi] }, 't'), options(out));
      const m = await manifestOf(out);
      const amd64 = multi.manifests[0]!.descriptor.digest;
      expect(m.attached!.filter((a) => a.subject === amd64).map((a) => a.digest).sort()).toEqual([sbomOf(0), ...extra].map((a) => a.descriptor.digest).sort());
      expect(m.attached!).toHaveLength(7);
      expect(source.requests).toContain(`/v2/${ns}/app/referrers/${amd64}?page=1`);

      source.requests.length = 0;
      const only = join(dir, 'api-cdx.tar');
      await pack(validateSpec({ images: [viaApi] }, 't'), options(only, { attached: { types: ['application/vnd.cyclonedx+json'] } }));
      expect((await manifestOf(only)).attached!.map((a) => a.digest)).toEqual([extra[0]!.descriptor.digest]);
      expect(source.requests.some((r) => r.includes('artifactType=application%2Fvnd.cyclonedx%2Bjson'))).toBe(true);

      const fresh = new RegistryPool({});
      const result = await push(out, { policy: { keys: [pub] }, registry: parseTargetRegistry(`${targetApi.host}/api`), openRepository: (ref) => fresh.repository(ref) });
      fresh.close();
      expect(result.attached.filter((a) => a.via === 'referrers-api')).toHaveLength(5);
      const mapped = result.plan.items[0]!.repository.slice(targetApi.host.length + 1);
      expect(await raw(target.host, mapped, `sha256-${amd64.slice(7)}`)).toBeUndefined();
      for (const a of [sbomOf(0), ...extra]) expect((await raw(target.host, mapped, a.descriptor.digest))?.equals(a.manifest)).toBe(true);
    } finally {
      await source.stop();
      await targetApi.stop();
    }
  }, 60_000);
});

describe('keyless image signatures, offline, against a test CA', () => {
  const IDENTITY = 'https://github.com/acme/release/.github/workflows/sign.yml@refs/heads/main';
  const ISSUER = 'https://token.actions.githubusercontent.com';
  const signed = makeImage({ layers: [makeBlob('ref-keyless', 1024)], label: 'keyless' });
  const keylessImage = `${registry}/${ns}/keyless:v1`;
  let rootPath: string;

  beforeAll(async () => {
    const ca = join(dir, 'ca');
    await mkdirp(ca);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: ca, stdio: ['ignore', 'ignore', 'pipe'] });
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key');
    await writeFile(join(ca, 'ca.cnf'), ['[req]', 'distinguished_name=dn', 'prompt=no', '[dn]', 'O=airlock-test', 'CN=ca', '[ext]', 'basicConstraints=critical,CA:true,pathlen:1', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'].join('\n'));
    openssl('req', '-new', '-x509', '-key', 'ca.key', '-config', 'ca.cnf', '-extensions', 'ext', '-days', '3650', '-out', 'ca.pem');
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'leaf.key');
    openssl('req', '-new', '-key', 'leaf.key', '-subj', '/O=airlock-test', '-out', 'leaf.csr');
    await writeFile(join(ca, 'leaf.ext'), ['basicConstraints=critical,CA:false', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', 'authorityKeyIdentifier=keyid', 'subjectKeyIdentifier=hash', `subjectAltName=URI:${IDENTITY}`, `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${ISSUER}`].join('\n'));
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
    const caDer = Buffer.from((await readFile(join(ca, 'ca.pem'), 'utf8')).replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    rootPath = join(ca, 'trusted_root.json');
    await writeFile(rootPath, JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [{ subject: { organization: 'airlock-test', commonName: 'ca' }, uri: 'https://ca.airlock.test', certChain: { certificates: [{ rawBytes: caDer.toString('base64') }] }, validFor: { start: '2000-01-01T00:00:00.000Z' } }],
      ctlogs: [],
      timestampAuthorities: [],
    }));
    await seedWithSkopeo(registry, [{ built: signed, repo: `${ns}/keyless`, tag: 'v1' }]);
    const leafKey = createPrivateKey(await readFile(join(ca, 'leaf.key'), 'utf8'));
    const sigArtifact = cosignSignature([{ digest: signed.descriptor.digest, dockerReference: `${registry}/${ns}/keyless`, key: leafKey, certificate: await readFile(join(ca, 'leaf.pem'), 'utf8') }]);
    await pushArtifact(pool.repository({ registry, repository: `${ns}/keyless` }), sigArtifact, `sha256-${signed.descriptor.digest.slice(7)}.sig`);
  }, 60_000);

  it('verifies with the exact identity and issuer; one character off in either is refused', async () => {
    const policy = (identity: string, issuer: string) => ({ keys: [], require: true, keyless: { trustedRootPath: rootPath, certificateIdentity: identity, certificateIssuer: issuer } });
    const out = join(dir, 'keyless.tar');
    await pack(validateSpec({ images: [keylessImage] }, 't'), options(out, { imageSignatures: policy(IDENTITY, ISSUER) }));
    expect((await manifestOf(out)).attached![0]!.verified).toEqual({ ok: true, detail: `signed by ${IDENTITY} (issuer ${ISSUER})` });
    const report = await verify(out, { keys: [pub] }, { imageSignatures: policy(IDENTITY, ISSUER) });
    expect(report.imageSignatures![0]!.ok).toBe(true);
    const id = await rejected(verify(out, { keys: [pub] }, { imageSignatures: policy(`${IDENTITY}x`, ISSUER) }), 'IMAGE_SIGNATURE');
    expect(id.message).toContain(`${keylessImage} (linux/amd64): its certificate names "${IDENTITY}"`);
    const iss = await rejected(verify(out, { keys: [pub] }, { imageSignatures: policy(IDENTITY, ISSUER.replace('https', 'http')) }), 'IMAGE_SIGNATURE');
    expect(iss.message).toContain("its certificate's OIDC issuer");
  });
});
