/**
 * Signatures, attestations and SBOMs built in code, in the formats cosign and
 * oras write them: a cosign simple-signing `.sig` with a real ECDSA P-256
 * signature, an in-toto DSSE `.att`, a Sigstore bundle referrer and SPDX SBOM
 * referrers, and the referrers tag schema's fallback index.
 */
import { sign, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Target } from '../../src/content/target.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { Descriptor } from '../../src/oci/schemas.js';
import { descriptorOf, type Blob } from './images.js';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const SPDX = 'application/spdx+json';

export interface Artifact {
  manifest: Buffer;
  descriptor: Descriptor;
  blobs: Blob[];
}

function manifestOf(doc: Record<string, unknown>, blobs: Blob[], artifactType?: string): Artifact {
  const manifest = Buffer.from(JSON.stringify(doc));
  return { manifest, descriptor: descriptorOf(manifest, MediaType.OciManifest, artifactType ? { artifactType } : {}), blobs };
}

function blob(bytes: Buffer, mediaType: string, annotations?: Record<string, string>): Blob {
  return { bytes, descriptor: descriptorOf(bytes, mediaType, annotations ? { annotations } : {}) };
}

const EMPTY = blob(Buffer.from('{}'), MediaType.OciEmpty);

/** The simple-signing payload cosign signs. */
export function simpleSigningPayload(digest: string, dockerReference: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
}

/** A cosign `.sig` manifest: one simple-signing layer per signature, the signature in its annotation. */
export function cosignSignature(signatures: { digest: string; dockerReference: string; key: KeyObject; tamper?: boolean; certificate?: string }[]): Artifact {
  const layers = signatures.map((s) => {
    const payload = simpleSigningPayload(s.digest, s.dockerReference);
    const signature = sign('sha256', payload, s.key).toString('base64');
    // One byte of the payload changed after signing: the signature no longer holds.
    const bytes = s.tamper ? Buffer.from(payload.toString().replace('signature"', 'signaturE"')) : payload;
    return blob(bytes, SIMPLE_SIGNING, { 'dev.cosignproject.cosign/signature': signature, ...(s.certificate ? { 'dev.sigstore.cosign/certificate': s.certificate } : {}) });
  });
  const config = blob(
    Buffer.from(JSON.stringify({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.descriptor.digest) } })),
    MediaType.OciConfig,
  );
  return manifestOf({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: config.descriptor, layers: layers.map((l) => l.descriptor) }, [config, ...layers]);
}

/** A cosign `.att`: an in-toto statement in a DSSE envelope. */
export function cosignAttestation(digest: string, name: string): Artifact {
  const statement = { _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2', subject: [{ name, digest: { sha256: digest.slice(7) } }], predicate: { builder: { id: 'test' } } };
  const envelope = Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: Buffer.from(JSON.stringify(statement)).toString('base64'), signatures: [{ keyid: '', sig: 'AAAA' }] }));
  const layer = blob(envelope, 'application/vnd.dsse.envelope.v1+json', { predicateType: 'https://slsa.dev/provenance/v0.2' });
  const config = blob(Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer.descriptor.digest] } })), MediaType.OciConfig);
  return manifestOf({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: config.descriptor, layers: [layer.descriptor] }, [config, layer]);
}

/** An OCI 1.1 referrer: artifactType, the empty config, one layer, and its subject. */
export function referrer(subject: Descriptor, artifactType: string, content: string, annotations: Record<string, string> = {}): Artifact {
  const layer = blob(Buffer.from(content), artifactType);
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType,
    config: EMPTY.descriptor,
    layers: [layer.descriptor],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const a = manifestOf(doc, [EMPTY, layer], artifactType);
  a.descriptor.annotations = annotations;
  return a;
}

/** The referrers tag schema's index: descriptors with artifactType and annotations (Go's field order). */
export function fallbackIndex(referrers: Artifact[]): Buffer {
  const manifests = referrers.map((r) => ({
    mediaType: r.descriptor.mediaType,
    digest: r.descriptor.digest,
    size: r.descriptor.size,
    ...(r.descriptor.annotations ? { annotations: r.descriptor.annotations } : {}),
    ...(r.descriptor.artifactType ? { artifactType: r.descriptor.artifactType } : {}),
  }));
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
}

/** Pushes an artifact's blobs and manifest, and tags it when asked. */
export async function pushArtifact(repo: Target, a: Artifact, tag?: string): Promise<void> {
  for (const b of a.blobs) if (!(await repo.exists(b.descriptor))) await repo.push(b.descriptor, Readable.from([b.bytes]));
  const desc = { mediaType: a.descriptor.mediaType, digest: a.descriptor.digest, size: a.descriptor.size } as Descriptor;
  await repo.push(desc, Readable.from([a.manifest]));
  if (tag !== undefined) await repo.tag(desc, tag);
}

/** Writes a fallback index under `sha256-<hex>` of the subject. */
export async function pushFallbackIndex(repo: Target, subject: string, referrers: Artifact[]): Promise<Buffer> {
  const bytes = fallbackIndex(referrers);
  const desc = descriptorOf(bytes, MediaType.OciIndex);
  await repo.push(desc, Readable.from([bytes]));
  await repo.tag(desc, subject.replace(':', '-'));
  return bytes;
}
