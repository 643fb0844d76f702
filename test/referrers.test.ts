import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pack, type PackEvent, type PackOptions } from '../src/bundle/pack.js';
import { openSignedBundle } from '../src/bundle/read.js';
import { validateSpec } from '../src/bundle/spec.js';
import { verifyContents } from '../src/bundle/verify.js';
import { createUrlFetcher, RegistryPool } from '../src/registry/index.js';
import { generateKeyPair, parsePrivateKey, type PrivateKey } from '../src/sign/index.js';
import { cosignAttestation, cosignSignature, pushArtifact, pushFallbackIndex, referrer, SIGSTORE_BUNDLE, SPDX } from './helpers/attached.js';
import { makeMultiArch, makeImage, makeBlob } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const registry = inject('registry');
const ns = `referrers-${process.pid}`;
const cosignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let dir: string;
let key: PrivateKey;
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

  it('ignores, with a warning, a fallback tag that resolves to the image itself', async () => {
    const out = join(dir, 'selfish.tar');
    const events: PackEvent[] = [];
    await pack(validateSpec({ images: [`${registry}/${ns}/selfish:v1`] }, 't'), options(out, { onEvent: (e) => events.push(e) }));
    expect((await manifestOf(out)).attached).toBeUndefined();
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings).toEqual([expect.stringContaining('resolves to the image itself')]);
  });
});
