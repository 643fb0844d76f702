/**
 * DSSE (Dead Simple Signing Envelope) pre-authentication encoding. The signature
 * covers the payload type as well as the payload, so a signature over some other
 * kind of document can never pass for a signature over airlock.json.
 */

/** The DSSE payload type of a signed airlock.json. */
export const AIRLOCK_PAYLOAD_TYPE = 'application/vnd.airlock.manifest+json';

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([head, payload]);
}
