import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AirlockError } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';

/** The fixed names of an OCI image layout (image-spec image-layout.md). */
export const LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const BLOBS_DIR = 'blobs';
export const SHA256_DIR = 'sha256';
/** The annotation that names an index.json entry; `skopeo copy oci:DIR:NAME` matches it. */
export const REF_NAME = 'org.opencontainers.image.ref.name';

/** Every temp file this module writes starts with this, so a validator can spot leftovers. */
export const TEMP_PREFIX = '.tmp-';

/** Whether a reference is a digest rather than a name (the one check lives in oci/digest.ts). */
export const isSha256Digest: (value: string) => value is Digest = isDigest;

/**
 * Path of a blob under the layout root. The digest is checked first: it ends up in a
 * file path, and `sha256:../../x` must never reach the file system.
 */
export function blobPath(root: string, digest: string): string {
  if (!isDigest(digest)) {
    throw new AirlockError('PATH_UNSAFE', `refusing blob digest "${digest}" in layout ${root}: not sha256:<64 lowercase hex>`, {
      hint: 'the manifest or reference that named this digest is malformed; check where it came from',
    });
  }
  return join(root, BLOBS_DIR, SHA256_DIR, digest.slice('sha256:'.length));
}

/** A unique temp name next to `final` in the same folder, so the rename is atomic. */
export function tempName(label: string): string {
  return `${TEMP_PREFIX}${label}-${randomBytes(6).toString('hex')}`;
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}
