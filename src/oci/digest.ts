import { AirlockError } from '../errors.js';

declare const digestBrand: unique symbol;

/**
 * A content digest, `sha256:<64 lowercase hex>`, known to be well formed. Only
 * parseDigest, isDigest and the hashing functions make one, so a digest that ends
 * up in a file path or a URL has always passed the one check below.
 */
export type Digest = string & { readonly [digestBrand]: true };

/** The only algorithm accepted: every reader here hashes with it. */
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
export const SHA256_HEX = /^[a-f0-9]{64}$/;
/** Any digest the OCI grammar allows, to tell "unsupported" from "malformed" in messages. */
const ANY_DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && SHA256_DIGEST.test(value);
}

/** A bare sha256 hex string, as blob file names and airlock.json's `sha256` fields hold it. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Checks a digest; `context` names where it came from (a reference, a manifest). */
export function parseDigest(value: string, context = value): Digest {
  if (isDigest(value)) return value;
  if (ANY_DIGEST.test(value)) {
    throw new AirlockError('REF_INVALID', `unsupported digest "${value}" in "${context}"`, {
      hint: 'only sha256 digests (sha256:<64 lowercase hex>) are supported',
    });
  }
  throw new AirlockError('REF_INVALID', `invalid digest "${value}" in "${context}"`, {
    hint: 'a digest is sha256: followed by 64 lowercase hex characters',
  });
}

/** `sha256:` + hex, for a hash just computed. */
export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}

/** The hex part, as a blob's file name in a layout. */
export function digestHex(digest: Digest | string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** `blobs/sha256/<hex>`: where a digest lives in a layout and in a bundle's file list. */
export function blobEntry(digest: Digest): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/** `blobs/sha256/<hex>` back to its digest; undefined for any other path. */
export function digestOfBlobEntry(path: string): Digest | undefined {
  const hex = path.startsWith('blobs/sha256/') ? path.slice('blobs/sha256/'.length) : '';
  return isSha256Hex(hex) ? digestFromHex(hex) : undefined;
}
