import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sha256Digest } from '../content/digest.js';
import type { Target } from '../content/target.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_TYPE } from '../sign/index.js';

function described(bytes: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, ...extra } as Descriptor;
}

/**
 * Signs one image as `cosign sign --key` does, without cosign: a simple-signing
 * payload naming the digest and repository, signed with an ECDSA P-256 key, in a
 * `.sig` manifest tagged `sha256-<hex>.sig` beside the image. Writes the public
 * key to `publicKeyFile` (the vendor's cosign.pub).
 */
export async function cosignSign(repo: Target, repository: string, digest: string, publicKeyFile: string): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const payload = Buffer.from(
    JSON.stringify({ critical: { identity: { 'docker-reference': repository }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }),
  );
  const layer = described(payload, SIMPLE_SIGNING_TYPE, { annotations: { [COSIGN_SIGNATURE_ANNOTATION]: sign('sha256', payload, privateKey).toString('base64') } });
  const configBytes = Buffer.from(JSON.stringify({ architecture: '', config: {}, os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
  const config = described(configBytes, MediaType.OciConfig);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }));
  const desc = described(manifest, MediaType.OciManifest);
  await repo.push(layer, Readable.from([payload]));
  await repo.push(config, Readable.from([configBytes]));
  await repo.push(desc, Readable.from([manifest]));
  await repo.tag(desc, `sha256-${digest.slice('sha256:'.length)}.sig`);
}
