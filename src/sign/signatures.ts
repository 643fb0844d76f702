/**
 * Signature files in a bundle tar.
 *
 * Representation of several signers: ONE standard Sigstore bundle (v0.3 JSON,
 * DSSE envelope over airlock.json) PER SIGNER, each its own tar entry:
 *
 *   airlock.json.sigstore.json      first signer (the packer)
 *   airlock.json.sigstore.2.json    second signer
 *   airlock.json.sigstore.3.json    ...
 *
 * Why not one file holding an array: a Sigstore bundle has exactly one
 * verificationMaterial and its DSSE envelope must carry exactly one signature
 * (@sigstore/bundle rejects more), so an array would be a format of our own that
 * no Sigstore tool reads. Separate entries keep every file a plain bundle that
 * `cosign verify-blob-attestation --bundle`, sigstore-js or sigstore-python can
 * check once extracted, and the common case (one signer) is exactly the single
 * `airlock.json.sigstore.json` entry of the bundle format.
 */
import { bundleFromJSON, type Bundle, type SerializedBundle } from '@sigstore/bundle';
import { AirlockError, messageOf } from '../errors.js';

/** The first (packer's) signature entry. */
export const SIGNATURE_ENTRY = 'airlock.json.sigstore.json';

/**
 * Cap on one signature file. The DSSE payload is airlock.json itself (base64,
 * 4/3 of its size), which lists every blob, so this is generous on purpose.
 */
export const SIGNATURE_SIZE_LIMIT = 16 * 1024 * 1024;

export interface SignatureFile {
  /** Tar entry name, e.g. `airlock.json.sigstore.json`. */
  name: string;
  /** Validated, parsed Sigstore bundle. */
  bundle: Bundle;
  /** The exact bytes of the entry (what goes into, or came out of, the tar). */
  bytes: Buffer;
}

const ENTRY_PATTERN = /^airlock\.json\.sigstore(?:\.([1-9][0-9]{0,5}))?\.json$/;

/** Entry name of the n-th signer, 1-based: 1 → airlock.json.sigstore.json, 2 → airlock.json.sigstore.2.json. */
export function signatureEntryName(ordinal: number): string {
  if (!Number.isInteger(ordinal) || ordinal < 1 || ordinal > 999_999) {
    throw new AirlockError('INTERNAL', `signature ordinal ${ordinal} is out of range`);
  }
  return ordinal === 1 ? SIGNATURE_ENTRY : `airlock.json.sigstore.${ordinal}.json`;
}

/** The signer ordinal of an entry name, or undefined when it is not a signature entry. */
export function signatureOrdinal(name: string): number | undefined {
  const m = ENTRY_PATTERN.exec(name);
  if (!m) return undefined;
  if (m[1] === undefined) return 1;
  const n = Number(m[1]);
  // `.1.json` would be a second name for the first signer.
  return n >= 2 ? n : undefined;
}

export function isSignatureEntry(name: string): boolean {
  return signatureOrdinal(name) !== undefined;
}

function invalid(name: string, what: string, cause?: unknown): AirlockError {
  return new AirlockError('SIGNATURE_INVALID', `signature ${name} ${what}`, {
    hint: 'The bundle was damaged or tampered with: get a fresh copy from the packer.',
    cause,
  });
}

/** Validates a Sigstore bundle JSON object and turns it into a signature file. */
export function toSignatureFile(name: string, json: unknown): SignatureFile {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    const fields = (err as { fields?: unknown }).fields;
    const detail = Array.isArray(fields) && fields.length > 0 ? `invalid ${fields.join(', ')}` : messageOf(err);
    throw invalid(name, `is not a valid Sigstore bundle: ${detail}`, err);
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw invalid(name, `holds a ${bundle.content.$case}, not a DSSE envelope over airlock.json`);
  }
  return { name, bundle, bytes: Buffer.from(JSON.stringify(json), 'utf8') };
}

/** Parses the bytes of one signature entry. */
export function parseSignature(bytes: Uint8Array, name: string): SignatureFile {
  if (bytes.length > SIGNATURE_SIZE_LIMIT) {
    throw new AirlockError('SIZE_LIMIT', `signature ${name} is ${bytes.length} bytes, over the ${SIGNATURE_SIZE_LIMIT}-byte limit`, {
      hint: 'This is not a signature airlock wrote: get a fresh copy of the bundle from the packer.',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw invalid(name, `is not JSON: ${messageOf(err)}`, err);
  }
  const file = toSignatureFile(name, json);
  // Keep the bytes exactly as read, not as re-serialized.
  return { ...file, bytes: Buffer.from(bytes) };
}

/**
 * Parses the signature entries of a bundle, in signer order. Entries whose
 * names are not signature names are ignored; the same name twice is refused
 * (a tar may hold duplicates, and which one counts must never be ambiguous).
 */
export function parseSignatures(entries: Iterable<{ name: string; bytes: Uint8Array }>): SignatureFile[] {
  const seen = new Map<string, number>();
  const files: SignatureFile[] = [];
  for (const entry of entries) {
    const ordinal = signatureOrdinal(entry.name);
    if (ordinal === undefined) continue;
    if (seen.has(entry.name)) throw invalid(entry.name, 'appears twice in the bundle');
    seen.set(entry.name, ordinal);
    files.push(parseSignature(entry.bytes, entry.name));
  }
  return files.sort((a, b) => (seen.get(a.name) ?? 0) - (seen.get(b.name) ?? 0));
}

/** The entry name for one more signer after `existing`. */
export function nextSignatureEntryName(existing: readonly SignatureFile[]): string {
  let max = 0;
  for (const f of existing) max = Math.max(max, signatureOrdinal(f.name) ?? 0);
  return signatureEntryName(max + 1);
}

export type { Bundle, SerializedBundle };
