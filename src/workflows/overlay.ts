import { Document, isScalar, isSeq, type Node } from 'yaml';
import type { ValuesPath } from '../chart/trace.js';

/** A key the overlay sets, with the comment that says why. */
export interface OverlayKey {
  path: ValuesPath;
  note: string;
}

/**
 * The overlay as YAML, one comment per key it sets (naming the images it moves), and
 * a header. Keys sort as written; lists (Helm replaces them whole) are written whole.
 */
export function overlayText(overlay: Record<string, unknown>, keys: readonly OverlayKey[], header: readonly string[]): string {
  const doc = new Document(overlay);
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  for (const k of keys) {
    const node = doc.getIn(k.path, true) as Node | undefined;
    if (node === undefined) continue;
    if (isScalar(node) || isSeq(node)) node.comment = ` ${k.note}`;
  }
  return doc.toString({ lineWidth: 0 });
}
