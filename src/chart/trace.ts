import { AirlockError } from '../errors.js';
import { imagesInManifests, type ImageUse, type RenderedManifest } from './manifest-images.js';

/** A values key: its path from the top chart's values (`global.image.registry`, `jobs[0].image`). */
export type ValuesPath = readonly (string | number)[];

/** One render of the chart, with an extra values layer on top of the user's. */
export interface ChartRender {
  manifests: RenderedManifest[];
  /** The coalesced values the top chart's templates saw. */
  values: Record<string, unknown>;
}

export type Render = (overlay: Record<string, unknown>) => Promise<ChartRender>;

/** Where a values leaf's text stands in a rendered image string. */
export interface LeafSpan {
  path: ValuesPath;
  value: string;
  /** Offsets in the image string as rendered without the probe. */
  start: number;
  end: number;
}

export interface TracedUse extends ImageUse {
  /** The values leaves whose text flows, unchanged, into the image string, in order. */
  spans: LeafSpan[];
}

export function formatValuesPath(path: ValuesPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** A use is the same across two renders when it stands at the same place in the same object. */
export function useKey(u: Pick<ImageUse, 'template' | 'object' | 'field'>): string {
  return `${u.template}\0${u.object}\0${u.field}`;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every string leaf of a values tree with its path. */
export function stringLeaves(tree: unknown, path: (string | number)[] = [], out: { path: ValuesPath; value: string }[] = []): { path: ValuesPath; value: string }[] {
  if (typeof tree === 'string') out.push({ path: [...path], value: tree });
  else if (Array.isArray(tree)) tree.forEach((v, i) => stringLeaves(v, [...path, i], out));
  else if (isMap(tree)) for (const [k, v] of Object.entries(tree)) stringLeaves(v, [...path, k], out);
  return out;
}

export function getPath(tree: unknown, path: ValuesPath): unknown {
  let node = tree;
  for (const p of path) {
    if (typeof p === 'number' ? !Array.isArray(node) : !isMap(node)) return undefined;
    node = (node as Record<string | number, unknown>)[p];
  }
  return node;
}

/**
 * Sets `path` in an overlay. Helm merges maps key by key but replaces lists whole, so
 * a path through a list copies that list from `values` (what the chart sees) into the
 * overlay first, and changes the one element.
 */
export function setPath(overlay: Record<string, unknown>, values: unknown, path: ValuesPath, value: unknown): void {
  let node: Record<string | number, unknown> | unknown[] = overlay;
  let seen: unknown = values;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const last = i === path.length - 1;
    seen = getPath(seen, [key]);
    if (last) {
      (node as Record<string | number, unknown>)[key] = value;
      return;
    }
    const next = path[i + 1]!;
    let child = (node as Record<string | number, unknown>)[key];
    if (typeof next === 'number') {
      if (!Array.isArray(child)) child = structuredClone(Array.isArray(seen) ? seen : []);
    } else if (!isMap(child)) {
      child = Array.isArray(node) && isMap(seen) ? structuredClone(seen) : {};
    }
    (node as Record<string | number, unknown>)[key] = child;
    node = child as Record<string | number, unknown>;
  }
}

/** Candidates must be long enough that finding them in an image string means something. */
const MIN_LEAF = 2;
/** A probe value: the leaf's own text, then a token no chart would write. */
const marker = (i: number): string => `-zq${i}x`;
const MARKER = /-zq(\d+)x/g;

/**
 * Which values leaves flow into each image string. Every candidate leaf (a string
 * that occurs in some image) is rendered again with a unique marker appended; where
 * a marker shows up in an image string, that leaf's text stands right before it. One
 * render for all candidates; when a probe breaks the chart (a semver check on a tag,
 * a `required`), the candidates are split in halves until the breaking ones are set
 * aside (they are then reported as not traceable, never guessed).
 */
export async function traceImages(render: Render, base: ChartRender, uses: readonly ImageUse[]): Promise<{ traced: TracedUse[]; untraceable: string[] }> {
  const strings = uses.map((u) => u.written);
  const candidates = stringLeaves(base.values).filter((l) => l.value.length >= MIN_LEAF && strings.some((s) => s.includes(l.value)));
  const found = new Map<string, LeafSpan[]>();
  const untraceable: string[] = [];

  const probe = async (group: { path: ValuesPath; value: string }[]): Promise<void> => {
    if (group.length === 0) return;
    const overlay: Record<string, unknown> = {};
    group.forEach((l, i) => setPath(overlay, base.values, l.path, `${l.value}${marker(i)}`));
    let probed: ChartRender;
    try {
      probed = await render(overlay);
    } catch (err) {
      if (group.length === 1) {
        untraceable.push(`${formatValuesPath(group[0]!.path)}: changing it breaks the chart (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
        return;
      }
      const half = Math.ceil(group.length / 2);
      await probe(group.slice(0, half));
      await probe(group.slice(half));
      return;
    }
    // A probed leaf may also name the object (`controller.name`): markers are dropped from
    // the object's name before a use is matched with its unprobed self.
    const probedUses = new Map(imagesInManifests(probed.manifests, { ignore: MARKER }).uses.map((u) => [useKey({ ...u, object: u.object.replace(MARKER, '') }), u.written]));
    for (const u of uses) {
      const text = probedUses.get(useKey(u));
      if (text === undefined) continue;
      const spans = found.get(useKey(u)) ?? [];
      // Offsets in the probed string count the markers before them; subtract those to
      // land on the string as rendered without probes, and keep only exact landings.
      let removed = 0;
      for (const m of text.matchAll(MARKER)) {
        const leaf = group[Number(m[1])];
        const end = m.index - removed;
        removed += m[0].length;
        if (leaf === undefined) continue;
        const start = end - leaf.value.length;
        if (start >= 0 && u.written.slice(start, end) === leaf.value) spans.push({ path: leaf.path, value: leaf.value, start, end });
      }
      found.set(useKey(u), spans);
    }
  };
  await probe(candidates);

  const traced = uses.map((u): TracedUse => ({ ...u, spans: (found.get(useKey(u)) ?? []).sort((x, y) => x.start - y.start) }));
  return { traced, untraceable };
}
