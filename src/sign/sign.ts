/**
 * Signing: a Sigstore bundle v0.3 whose DSSE envelope carries airlock.json.
 * Key mode only names the key by hint (its key id) and carries no transparency
 * log entry or timestamp: the packer may well be offline too, and the verifier
 * trusts the key it is given, not a log.
 */
import { X509Certificate, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { bundleToJSON, toDSSEBundle, type SerializedBundle } from '@sigstore/bundle';
import { AirlockError, messageOf } from '../errors.js';
import { AIRLOCK_PAYLOAD_TYPE, preAuthEncoding } from './dsse.js';
import { checkEnvelope } from './envelope.js';
import { fingerprint, keyId, type PrivateKey } from './keys.js';
import { nextSignatureEntryName, toSignatureFile, type SignatureFile } from './signatures.js';
import { checkSignatureWithKey } from './verify.js';

export interface SignOptions {
  /** DSSE payload type; airlock.json's by default. */
  payloadType?: string;
  /**
   * DER X.509 certificate for the signing key (keyless-style material, e.g. from
   * an internal CA). Without it the bundle names the key by its key id.
   */
  certificate?: Buffer;
}

/** Signs `payload` and returns the Sigstore bundle as a JSON object, validated. */
export function signPayload(payload: Uint8Array, privateKey: PrivateKey, options: SignOptions = {}): SerializedBundle {
  const payloadType = options.payloadType ?? AIRLOCK_PAYLOAD_TYPE;
  const artifact = Buffer.from(payload);
  if (artifact.length === 0) {
    throw new AirlockError('INTERNAL', 'refusing to sign an empty payload');
  }
  const hint = privateKey.publicKey.keyId;
  if (options.certificate) checkCertificateKey(options.certificate, privateKey);

  const pae = preAuthEncoding(payloadType, artifact);
  // ECDSA P-256 over SHA-256, ASN.1 DER signature: what DSSE and Sigstore expect.
  // Deterministic nonces (RFC 6979) so that packing the same content twice gives the
  // same bundle bytes; node's crypto.sign draws a random nonce and cannot do that.
  const signature = Buffer.from(p256.sign(pae, privateScalar(privateKey), { prehash: true, format: 'der' }));
  // A signature we cannot verify ourselves must never leave this function.
  if (!verify('sha256', pae, { key: privateKey.publicKey.keyObject, dsaEncoding: 'der' }, signature)) {
    throw new AirlockError('INTERNAL', `the signature made with key ${fingerprint(hint)} does not verify`);
  }
  const bundle = toDSSEBundle({
    artifact,
    artifactType: payloadType,
    signature,
    ...(options.certificate ? { certificate: options.certificate } : { keyHint: hint }),
  });
  const json = withExplicitEmptyLists(bundleToJSON(bundle));
  // Validate exactly what we hand out, through the same parser readers use.
  try {
    toSignatureFile('(new signature)', json);
  } catch (err) {
    throw new AirlockError('INTERNAL', `the new signature is not a valid Sigstore bundle: ${messageOf(err)}`, { cause: err });
  }
  return json;
}

/** The private scalar d of a P-256 key, as the 32 bytes noble takes. */
function privateScalar(privateKey: PrivateKey): Uint8Array {
  const jwk = privateKey.keyObject.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || jwk.d === undefined) {
    throw new AirlockError('KEY_INVALID', 'the signing key is not an ECDSA P-256 private key');
  }
  return Buffer.from(jwk.d, 'base64url');
}

/**
 * Protobuf JSON drops empty lists; spell them out so readers that take the
 * JSON at face value (not through protobuf) find every field the spec names.
 */
function withExplicitEmptyLists(json: SerializedBundle): SerializedBundle {
  const { verificationMaterial: vm } = json;
  return {
    ...json,
    verificationMaterial: {
      ...vm,
      tlogEntries: vm.tlogEntries ?? [],
      timestampVerificationData: { rfc3161Timestamps: vm.timestampVerificationData?.rfc3161Timestamps ?? [] },
    },
  };
}

function checkCertificateKey(der: Buffer, privateKey: PrivateKey): void {
  let certKeyId: string;
  try {
    certKeyId = keyId(new X509Certificate(der).publicKey);
  } catch (err) {
    throw new AirlockError('KEY_INVALID', `the signing certificate cannot be read: ${messageOf(err)}`, {
      hint: 'Pass a DER X.509 certificate issued for the signing key.',
      cause: err,
    });
  }
  if (certKeyId !== privateKey.publicKey.keyId) {
    throw new AirlockError('KEY_INVALID', `the signing certificate is for key ${fingerprint(certKeyId)}, not the signing key ${fingerprint(privateKey.publicKey.keyId)}`, {
      hint: 'Pass the certificate issued for this private key.',
    });
  }
}

/**
 * Adds one more signer to a bundle's signatures. `existing` are the signature
 * files already in the bundle; they must all cover `payload`. Returns the new
 * file (named after the last one) with `added: true`, or the existing one with
 * `added: false` when this key has signed already, so a re-run is harmless.
 */
export function addSignature(
  existing: readonly SignatureFile[],
  payload: Uint8Array,
  privateKey: PrivateKey,
  options: SignOptions = {},
): { file: SignatureFile; added: boolean } {
  for (const file of existing) checkEnvelope(file, payload, options.payloadType ?? AIRLOCK_PAYLOAD_TYPE);
  const already = existing.find((f) => checkSignatureWithKey(f, privateKey.publicKey).ok);
  if (already) return { file: already, added: false };
  const name = nextSignatureEntryName(existing);
  return { file: toSignatureFile(name, signPayload(payload, privateKey, options)), added: true };
}
