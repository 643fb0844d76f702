/**
 * Offline verification of signature files against public keys.
 *
 * The cryptography is @sigstore/verify's (DSSE PAE + ECDSA), run with trust
 * material that holds only the given key and every threshold at 0: an air-gapped
 * verifier has no Rekor, TSA or CT log to ask, and the trust decision is "this
 * key signed exactly these bytes", nothing more. For the same reason, transparency
 * log entries and timestamps a bundle may carry are not consulted in key mode
 * (their authorities are not in the trust material, so they could only fail).
 */
import { Verifier, toSignedEntity, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { AirlockError, messageOf } from '../errors.js';
import { AIRLOCK_PAYLOAD_TYPE } from './dsse.js';
import { checkEnvelope, claimedKeyId } from './envelope.js';
import { fingerprint, type PublicKey } from './keys.js';
import type { SignatureFile } from './signatures.js';

const OFFLINE = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 } as const;

export interface VerifyOptions {
  /** The trusted public keys. */
  keys: readonly PublicKey[];
  /** Every key must have signed (default), or at least one of them. */
  requireAll?: boolean;
  payloadType?: string;
}

export interface VerifiedSigner {
  keyId: string;
  /** `sha256:<keyId>`, as shown to people. */
  fingerprint: string;
  /** The key's file, as given. */
  source: string;
  /** Entry name of the signature that this key verified. */
  signature: string;
}

/** A signature that none of the given keys verified (another signer's, or keyless). */
export interface UnverifiedSignature {
  signature: string;
  /** The key id the signature names ('' if none); unsigned metadata, shown for diagnosis only. */
  keyHint: string;
}

export interface VerifyResult {
  /** One entry per given key that verified, in the order the keys were given. */
  signers: VerifiedSigner[];
  unverified: UnverifiedSignature[];
}

function keyTrust(key: PublicKey): TrustMaterial {
  return {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    // The hint is unsigned metadata; the only key we will try is this one.
    publicKey: () => ({ publicKey: key.keyObject, validFor: () => true }),
  };
}

function keyEntity(file: SignatureFile): SignedEntity {
  const entity = toSignedEntity(file.bundle);
  // Verify the signature against the given key whatever material the bundle
  // names (a certificate whose key is this key counts too): see file comment.
  return { ...entity, key: { $case: 'public-key', hint: claimedKeyId(file) }, tlogEntries: [], timestamps: [] };
}

/** Whether `key` verifies the signature in `file`; the reason when it does not. */
export function checkSignatureWithKey(file: SignatureFile, key: PublicKey): { ok: true } | { ok: false; reason: string } {
  try {
    new Verifier(keyTrust(key), OFFLINE).verify(keyEntity(file));
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: messageOf(err) };
  }
}

function describeKey(key: PublicKey): string {
  return `${fingerprint(key.keyId)} (${key.source})`;
}

/**
 * Verifies that `payload` (the airlock.json bytes) is signed by the given keys.
 * Throws SIGNATURE_MISSING when there is no signature, SIGNATURE_INVALID when a
 * signature does not cover these bytes, when a signature names a given key but
 * does not verify with it, or when a required key did not sign.
 */
export function verifyPayload(payload: Uint8Array, files: readonly SignatureFile[], options: VerifyOptions): VerifyResult {
  const requireAll = options.requireAll ?? true;
  const payloadType = options.payloadType ?? AIRLOCK_PAYLOAD_TYPE;
  if (files.length === 0) {
    throw new AirlockError('SIGNATURE_MISSING', 'the bundle has no signature (no airlock.json.sigstore.json entry)', {
      hint: 'Ask the packer for a signed bundle (airlock pack --key); only --allow-unsigned accepts it as is.',
    });
  }
  const keys = dedupeKeys(options.keys);
  if (keys.length === 0) {
    throw new AirlockError('USAGE', 'no public key to verify the signature with', {
      hint: "Pass the packer's public key with --key PREFIX.pub.",
    });
  }
  // Every signature must be about these exact bytes, trusted signer or not:
  // a tar whose signatures disagree about airlock.json is not one the packer wrote.
  for (const file of files) checkEnvelope(file, payload, payloadType);

  const signers: VerifiedSigner[] = [];
  const verifiedFiles = new Set<string>();
  const missing: PublicKey[] = [];
  for (const key of keys) {
    let match: SignatureFile | undefined;
    for (const file of files) {
      const result = checkSignatureWithKey(file, key);
      if (result.ok) {
        match ??= file;
        verifiedFiles.add(file.name);
      } else if (claimedKeyId(file) === key.keyId) {
        // It says this trusted key made it, and the key disagrees: tampering,
        // never something to skip over even when another key verified.
        throw new AirlockError(
          'SIGNATURE_INVALID',
          `signature ${file.name} names key ${describeKey(key)} but does not verify with it: ${result.reason}`,
          { hint: 'The bundle or its signature was altered after signing: do not use it; get a fresh copy from the packer.' },
        );
      }
    }
    if (match) {
      signers.push({ keyId: key.keyId, fingerprint: fingerprint(key.keyId), source: key.source, signature: match.name });
    } else {
      missing.push(key);
    }
  }

  const unverified = files
    .filter((f) => !verifiedFiles.has(f.name))
    .map((f) => ({ signature: f.name, keyHint: claimedKeyId(f) }));

  if ((requireAll && missing.length > 0) || signers.length === 0) {
    const present = files.map((f) => `${f.name} (key ${f.bundle.verificationMaterial.content.$case === 'publicKey' ? fingerprint(claimedKeyId(f)) : 'certificate'})`);
    const who = missing.map(describeKey).join(', ');
    const message =
      signers.length === 0 && !requireAll
        ? `none of the given keys signed this bundle: ${who}; signatures present: ${present.join(', ')}`
        : `key ${who} did not sign this bundle; signatures present: ${present.join(', ')}`;
    throw new AirlockError('SIGNATURE_INVALID', message, {
      hint: 'Check that --key is the right public key, or have the missing signer sign the bundle.',
    });
  }
  return { signers, unverified };
}

function dedupeKeys(keys: readonly PublicKey[]): PublicKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => (seen.has(k.keyId) ? false : (seen.add(k.keyId), true)));
}
