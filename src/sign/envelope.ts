/**
 * Checks shared by key and keyless verification: the DSSE envelope of a
 * signature must carry exactly the airlock.json bytes being verified, under
 * airlock's payload type. The signature check alone would only prove that the
 * envelope is signed, not that it is about the airlock.json in this tar.
 */
import type { Envelope } from '@sigstore/bundle';
import { sha256Digest, shortDigest } from '../content/digest.js';
import { AirlockError } from '../errors.js';
import { AIRLOCK_PAYLOAD_TYPE } from './dsse.js';
import type { SignatureFile } from './signatures.js';

export function envelopeOf(file: SignatureFile): Envelope {
  const content = file.bundle.content;
  if (content.$case !== 'dsseEnvelope') {
    throw new AirlockError('SIGNATURE_INVALID', `signature ${file.name} holds a ${content.$case}, not a DSSE envelope over airlock.json`, {
      hint: 'The bundle was damaged or tampered with: get a fresh copy from the packer.',
    });
  }
  return content.dsseEnvelope;
}

/** The key hint a signature names (verification material hint, else the DSSE keyid); '' if none. */
export function claimedKeyId(file: SignatureFile): string {
  const material = file.bundle.verificationMaterial.content;
  if (material.$case === 'publicKey' && material.publicKey.hint) return material.publicKey.hint;
  return envelopeOf(file).signatures[0]?.keyid ?? '';
}

export function checkEnvelope(file: SignatureFile, payload: Uint8Array, payloadType: string = AIRLOCK_PAYLOAD_TYPE): void {
  const env = envelopeOf(file);
  if (env.payloadType !== payloadType) {
    throw new AirlockError(
      'SIGNATURE_INVALID',
      `signature ${file.name} is over a payload of type "${env.payloadType}", not "${payloadType}"`,
      { hint: 'This signature is for some other document: get the bundle as the packer wrote it.' },
    );
  }
  if (!Buffer.from(env.payload).equals(Buffer.from(payload))) {
    throw new AirlockError(
      'SIGNATURE_INVALID',
      `signature ${file.name} covers different content than airlock.json: signed ${env.payload.length} bytes ` +
        `${shortDigest(sha256Digest(env.payload))}, the bundle holds ${payload.length} bytes ${shortDigest(sha256Digest(payload))}`,
      { hint: 'airlock.json was changed after signing, or the signature belongs to another bundle: get a fresh copy from the packer.' },
    );
  }
}
