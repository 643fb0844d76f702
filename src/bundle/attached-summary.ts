import type { Attached } from './manifest.js';

/** What is attached to one image and platform, as inspect shows it. */
export interface AttachedCount {
  image: string;
  /** The platform, or `index` for what hangs off the image's root. */
  platform: string;
  /** Count per kind: `{ 'cosign-signature': 1, sbom: 2 }`. */
  kinds: Record<string, number>;
  /** cosign signatures pack verified, found failing, or did not check (no --image-key then). */
  signatures: { verified: number; failed: number; unchecked: number };
}

/** Groups the attached records per image and platform, in the manifest's order. */
export function countAttached(attached: readonly Attached[]): AttachedCount[] {
  const out = new Map<string, AttachedCount>();
  for (const a of attached) {
    const platform = a.platform ?? 'index';
    const key = `${a.image} ${platform}`;
    const row = out.get(key) ?? { image: a.image, platform, kinds: {}, signatures: { verified: 0, failed: 0, unchecked: 0 } };
    row.kinds[a.kind] = (row.kinds[a.kind] ?? 0) + 1;
    if (a.kind === 'cosign-signature') {
      if (a.verified === undefined) row.signatures.unchecked++;
      else if (a.verified.ok) row.signatures.verified++;
      else row.signatures.failed++;
    }
    out.set(key, row);
  }
  return [...out.values()];
}
