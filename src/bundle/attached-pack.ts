import type { SourceTarget } from '../content/target.js';
import type { Copier } from '../copy/index.js';
import type { Descriptor } from '../oci/schemas.js';
import { discoverAttached, subjectsOf, type AttachedLookup, type AttachedOptions } from './attached.js';
import type { Attached } from './manifest.js';

/**
 * pack's part: finds what is attached to one copied image and copies each
 * attached artifact's whole graph with the same copier, so it is written into
 * the bundle like any root. `origins` learns where each was read from (the
 * direct mode streams their blobs from there).
 */
export async function carryAttached(
  repository: SourceTarget & AttachedLookup,
  image: string,
  root: Descriptor,
  rootBytes: Buffer,
  copier: Copier,
  origins: Map<string, SourceTarget>,
  options: AttachedOptions,
): Promise<Attached[]> {
  const found = await discoverAttached(repository, image, subjectsOf(root, rootBytes), options);
  for (const a of found) {
    await copier.copy(repository, a.digest);
    origins.set(a.digest, repository);
  }
  return found;
}

/** A root-like descriptor for an attached artifact (graph walks take descriptors). */
export function attachedRoot(a: Attached): Descriptor {
  return { mediaType: a.mediaType, digest: a.digest, size: a.size } as Descriptor;
}
