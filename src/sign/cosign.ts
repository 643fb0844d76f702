import { verify as verifySignature } from 'node:crypto';
import type { PublicKey } from './keys.js';

/** cosign's key-signature format: one layer per signature in the `.sig` manifest. */
export const SIMPLE_SIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/** What a simple-signing payload claims: the manifest digest it signs and the repository it was signed for. */
export interface SimpleSigningClaim {
  digest: string;
  dockerReference: string;
}

/** The claim of a simple-signing payload, or why it is not one. */
export function parseSimpleSigning(payload: Buffer): SimpleSigningClaim | { problem: string } {
  let doc: { critical?: { image?: { 'docker-manifest-digest'?: unknown }; identity?: { 'docker-reference'?: unknown } } };
  try {
    doc = JSON.parse(payload.toString('utf8')) as typeof doc;
  } catch {
    return { problem: 'its payload is not JSON' };
  }
  const digest = doc?.critical?.image?.['docker-manifest-digest'];
  const reference = doc?.critical?.identity?.['docker-reference'];
  if (typeof digest !== 'string') return { problem: 'its payload names no critical.image.docker-manifest-digest' };
  return { digest, dockerReference: typeof reference === 'string' ? reference : '' };
}

/**
 * The key that made `signatureB64` (base64 of an ASN.1 DER ECDSA signature, as
 * cosign writes it) over the payload bytes, or undefined. cosign signs the
 * payload itself with SHA-256: no DSSE, no pre-authentication encoding.
 */
export function cosignSigner(payload: Buffer, signatureB64: string, keys: readonly PublicKey[]): PublicKey | undefined {
  const signature = Buffer.from(signatureB64, 'base64');
  if (signature.length === 0) return undefined;
  return keys.find((k) => {
    try {
      return verifySignature('sha256', payload, k.keyObject, signature);
    } catch {
      return false;
    }
  });
}
