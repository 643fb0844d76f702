import { AirlockError } from '../errors.js';
import { verifyKeyless, verifyPayload, type PublicKey } from '../sign/index.js';
import { MANIFEST_FILE } from './manifest.js';
import type { OpenedBundle } from './read.js';

export interface KeylessPolicy {
  trustedRootPath: string;
  certificateIdentity: string;
  certificateIssuer: string;
}

export interface SignaturePolicy {
  /** Every key given must have signed. */
  keys: readonly PublicKey[];
  keyless?: KeylessPolicy;
  /** Accept a bundle with no signature at all: the user said --allow-unsigned in so many words. */
  allowUnsigned?: boolean;
  /**
   * Take the bundle without checking who signed it. Only `airlock sign` without
   * `--require` says this: the co-signer vouches for the bytes (every one is hashed
   * against airlock.json before signing), not for the first signer.
   */
  anySigner?: boolean;
}

export interface Signer {
  /** `sha256:<key id>` for keys; the certificate identity for keyless. */
  id: string;
  kind: 'key' | 'keyless';
  /** The key file, or the OIDC issuer. */
  source: string;
  signature: string;
}

/**
 * Checks the signatures over airlock.json before anything else is read. Throws
 * SIGNATURE_MISSING or SIGNATURE_INVALID; returns who signed.
 */
export async function verifySignatures(bundle: OpenedBundle, policy: SignaturePolicy): Promise<Signer[]> {
  if (bundle.signatures.length === 0) {
    if (policy.allowUnsigned) return [];
    throw new AirlockError('SIGNATURE_MISSING', `${bundle.reader.name} is not signed (no ${MANIFEST_FILE}.sigstore.json)`, {
      hint: 'get a signed bundle from the packer; only if you accept an unsigned one, say --allow-unsigned',
    });
  }
  if (policy.keys.length === 0 && policy.keyless === undefined) {
    if (policy.anySigner) return [];
    throw new AirlockError('USAGE', 'no key to verify the signature with', {
      hint: 'give the packer\'s public key with --key PUB (or --allow-unsigned to skip the signature check)',
    });
  }
  const signers: Signer[] = [];
  if (policy.keys.length > 0) {
    const result = verifyPayload(bundle.manifestBytes, bundle.signatures, { keys: policy.keys, requireAll: true });
    for (const s of result.signers) signers.push({ id: s.fingerprint, kind: 'key', source: s.source, signature: s.signature });
  }
  if (policy.keyless !== undefined) {
    const errors: string[] = [];
    let found = false;
    for (const file of bundle.signatures) {
      try {
        const r = await verifyKeyless(bundle.manifestBytes, file, {
          trustedRootPath: policy.keyless.trustedRootPath,
          certificateIdentity: policy.keyless.certificateIdentity,
          certificateIssuer: policy.keyless.certificateIssuer,
        });
        signers.push({ id: r.identity, kind: 'keyless', source: r.issuer, signature: r.signature });
        found = true;
        break;
      } catch (err) {
        errors.push(`${file.name}: ${(err as Error).message}`);
      }
    }
    if (!found) {
      throw new AirlockError('SIGNATURE_INVALID', `no signature in ${bundle.reader.name} is by ${policy.keyless.certificateIdentity} (${policy.keyless.certificateIssuer}): ${errors.join('; ')}`, {
        hint: 'check --certificate-identity and --certificate-oidc-issuer (matched exactly) and --trusted-root',
      });
    }
  }
  return signers;
}

