import { formatPlatform, platformMatches } from '../oci/platform.js';
import type { Descriptor, Platform } from '../oci/schemas.js';

// buildx stores provenance/SBOM as index entries of platform unknown/unknown that point
// at the image they describe; they follow that image in or out of a filtered index.
const REFERENCE_TYPE = 'vnd.docker.reference.type';
const REFERENCE_DIGEST = 'vnd.docker.reference.digest';

function attestationOf(entry: Descriptor): string | undefined {
  // Compared with digests, never used as a path: a malformed one simply matches nothing.
  if (entry.annotations?.[REFERENCE_TYPE] !== 'attestation-manifest') return undefined;
  return entry.annotations[REFERENCE_DIGEST];
}

/**
 * Which entries of an index survive a platform filter, by position. `nested(i)` answers
 * for entries that are indexes themselves (true when anything inside them survived),
 * and is undefined for plain manifests, which are matched on their `platform`.
 */
export function keptEntries(
  entries: readonly Descriptor[],
  wanted: readonly Platform[],
  nested: (i: number) => boolean | undefined,
): number[] {
  const keep = entries.map((entry, i) => {
    const inner = nested(i);
    if (inner !== undefined) return inner;
    if (attestationOf(entry) !== undefined) return false;
    return wanted.some((w) => platformMatches(w, entry.platform));
  });
  const keptDigests = new Set<string>(entries.filter((_, i) => keep[i]).map((e) => e.digest));
  entries.forEach((entry, i) => {
    const subject = attestationOf(entry);
    if (subject !== undefined && keptDigests.has(subject)) keep[i] = true;
  });
  return entries.flatMap((_, i) => (keep[i] ? [i] : []));
}

/** Platforms an index offers, for the error when none is wanted. */
export function availablePlatforms(entries: readonly Descriptor[]): string[] {
  const names = entries
    .filter((e) => e.platform !== undefined && attestationOf(e) === undefined)
    .map((e) => formatPlatform(e.platform as Platform));
  return [...new Set(names)];
}

/**
 * The bytes of an index with only some entries. The document is edited as plain JSON
 * so every other field (mediaType, annotations, unknown keys) and its order stay as
 * the publisher wrote them.
 */
export function rebuildIndex(original: Uint8Array, kept: readonly { index: number; digest: string; size: number }[]): Buffer {
  const doc = JSON.parse(Buffer.from(original).toString('utf8')) as Record<string, unknown> & { manifests: Record<string, unknown>[] };
  doc.manifests = kept.map((k) => {
    const entry = doc.manifests[k.index] as Record<string, unknown>;
    return { ...entry, digest: k.digest, size: k.size };
  });
  return Buffer.from(JSON.stringify(doc));
}
