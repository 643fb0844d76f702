import { MediaType } from '../oci/media-types.js';
import { indexEntry, serializeIndex } from '../layout/index-json.js';
import type { Artifact, FileEntry } from './manifest.js';
import { AirlockError } from '../errors.js';

/**
 * The bundle's index.json, made from the artifacts alone. pack writes exactly these
 * bytes, so a reader that finds index.json missing (a bad `tar --strip-components`)
 * can rebuild it and check it against the signed manifest's sha256 for it.
 */
export function bundleIndexBytes(artifacts: readonly Pick<Artifact, 'name' | 'digest' | 'mediaType'>[], files: readonly FileEntry[]): Buffer {
  const sizes = new Map(files.map((f) => [f.path, f.size]));
  const manifests = artifacts.map((a) => {
    const size = sizes.get(`blobs/sha256/${a.digest.slice('sha256:'.length)}`);
    if (size === undefined) {
      throw new AirlockError('MANIFEST_INVALID', `airlock.json names ${a.name} (${a.digest}) but lists no blob for it`, {
        hint: 'the bundle manifest is inconsistent; get a fresh copy from the packer',
      });
    }
    return indexEntry({ mediaType: a.mediaType, digest: a.digest, size }, a.name);
  });
  return Buffer.from(serializeIndex({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
}
