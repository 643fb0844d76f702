import { mapReference, type MappingMode, type TargetRegistry } from '../bundle/mapping.js';
import { imagesInManifests, type ImageUse } from '../chart/manifest-images.js';
import type { RenderSession, SessionRender } from '../chart/session.js';
import { formatValuesPath, setPath, type TracedUse, type ValuesPath } from '../chart/trace.js';
import { parseImageRef, repositoryName, type ImageRef } from '../ref/image.js';
import type { BundleImage, ImageInventory } from './sources.js';

/** One values key the overlay sets, and the images it moves. */
export interface Edit {
  path: ValuesPath;
  value: unknown;
  /** Why, for the overlay's comment: the images it moves, or the switch's purpose. */
  note: string;
}

export interface RepointTarget {
  registry: TargetRegistry;
  mapping: MappingMode;
  /** Where push put a bundle image, by its name in the bundle: a followed plan, or depth rules; default mapReference. */
  mapImage?: (sourceName: string) => ImageRef;
}

/** An image the overlay could not move, with everything a user needs to fix it by hand. */
export interface Unmoved {
  reference: string;
  template: string;
  object: string;
  container?: string;
  valuesKeys: string[];
  why: string;
}

/** Where the repository name ends in an image string: before `:tag` and `@digest`. */
function nameEnd(written: string): number {
  const at = written.indexOf('@');
  const base = at === -1 ? written : written.slice(0, at);
  const slash = base.lastIndexOf('/');
  const colon = base.indexOf(':', slash + 1);
  return colon !== -1 ? colon : base.length;
}

/** `HOST/PATH` an image string names, as docker reads it (`nginx` is `docker.io/library/nginx`). */
function nameOf(text: string): string | undefined {
  try {
    return repositoryName(parseImageRef(text));
  } catch {
    return undefined;
  }
}

/** Where push puts the bundle image a chart image is served by. */
export function targetOf(image: BundleImage, target: RepointTarget): string {
  return repositoryName(target.mapImage !== undefined ? target.mapImage(image.name) : mapReference(image.name, target.registry, target.mapping));
}

/**
 * The ways to make `use` name `targetName` by changing the values that flow into it,
 * fewest changes first. Tags and digests are never touched: push keeps them, and a
 * chart's helper-computed tag (`v` prefixes, `-distroless`) renders right already.
 * - one leaf: everything before and after it in the name kept, the leaf takes what
 *   is left (a registry key takes `HOST/PREFIX`; a whole-image string takes the new
 *   name followed by its own tag);
 * - two leaves: the later one keeps as many path segments as it had, the earlier
 *   takes the rest (a `--flatten` target shortens `registry` + `repository`).
 */
export function candidateEdits(use: TracedUse, targetName: string): { path: ValuesPath; value: string }[][] {
  const w = use.written;
  const end = nameEnd(w);
  const spans = use.spans.filter((s) => s.start < end);
  const out: { path: ValuesPath; value: string }[][] = [];
  const fits = (text: string): boolean => nameOf(text) === targetName;
  for (const s of spans) {
    const prefix = w.slice(0, s.start);
    const after = s.end <= end ? w.slice(s.end, end) : '';
    const tail = s.end > end ? w.slice(end, s.end) : '';
    for (const wanted of [targetName]) {
      if (!wanted.startsWith(prefix) || !wanted.endsWith(after) || wanted.length <= prefix.length + after.length) continue;
      const x = wanted.slice(prefix.length, wanted.length - after.length);
      if (fits(`${prefix}${x}${after}`)) out.push([{ path: s.path, value: `${x}${tail}` }]);
    }
  }
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i]!;
      const b = spans[j]!;
      const prefix = w.slice(0, a.start);
      const middle = w.slice(a.end, b.start);
      const after = b.end <= end ? w.slice(b.end, end) : '';
      const tail = b.end > end ? w.slice(end, b.end) : '';
      if (!targetName.startsWith(prefix) || !targetName.endsWith(after)) continue;
      const rest = targetName.slice(prefix.length, targetName.length - after.length);
      const segments = w.slice(b.start, Math.min(b.end, end)).split('/').length;
      const parts = rest.split('/');
      if (parts.length <= segments) continue;
      const second = parts.slice(parts.length - segments).join('/');
      const firstAndMiddle = rest.slice(0, rest.length - second.length);
      if (!firstAndMiddle.endsWith(middle)) continue;
      const first = firstAndMiddle.slice(0, firstAndMiddle.length - middle.length);
      if (first === '' || second === '') continue;
      if (fits(`${prefix}${first}${middle}${second}${after}`)) out.push([{ path: a.path, value: first }, { path: b.path, value: `${second}${tail}` }]);
    }
  }
  return out;
}

const key = (path: ValuesPath): string => formatValuesPath(path);

/**
 * Picks one way per image so that a key shared by several images gets one value:
 * a key that moves every image at once is taken first (a chart-wide registry key),
 * then each image takes its first way that agrees with what is chosen already,
 * preferring ways that add the fewest keys.
 */
export function chooseEdits(options: { use: TracedUse; ways: { path: ValuesPath; value: string }[][] }[]): { chosen: Map<string, { path: ValuesPath; value: string; images: Set<string> }>; unresolved: TracedUse[] } {
  const chosen = new Map<string, { path: ValuesPath; value: string; images: Set<string> }>();
  const agrees = (way: { path: ValuesPath; value: string }[]): boolean => way.every((e) => (chosen.get(key(e.path))?.value ?? e.value) === e.value);
  // A single key whose one-key way is the same for every image: the chart-wide key.
  const counts = new Map<string, { path: ValuesPath; value: string; n: number }>();
  for (const o of options) {
    const seen = new Set<string>();
    for (const way of o.ways) {
      if (way.length !== 1) continue;
      const e = way[0]!;
      const k = `${key(e.path)}\0${e.value}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const c = counts.get(k) ?? { path: e.path, value: e.value, n: 0 };
      c.n++;
      counts.set(k, c);
    }
  }
  const wide = [...counts.values()].find((c) => c.n === options.length && options.length > 1);
  if (wide !== undefined) chosen.set(key(wide.path), { path: wide.path, value: wide.value, images: new Set() });

  const unresolved: TracedUse[] = [];
  for (const o of options) {
    const ranked = o.ways
      .filter(agrees)
      .map((way) => ({ way, added: way.filter((e) => !chosen.has(key(e.path))).length }))
      .sort((x, y) => x.added - y.added);
    const pick = ranked[0]?.way;
    if (pick === undefined) {
      unresolved.push(o.use);
      continue;
    }
    for (const e of pick) {
      const c = chosen.get(key(e.path)) ?? { path: e.path, value: e.value, images: new Set<string>() };
      c.images.add(o.use.reference);
      chosen.set(key(e.path), c);
    }
  }
  return { chosen, unresolved };
}

/** Whether a rendered image is where push put one of the bundle's images (the digest the chart pins included). */
export function servedFromTarget(reference: string, inventory: ImageInventory, target: RepointTarget): BundleImage | undefined {
  let ref;
  try {
    ref = parseImageRef(reference);
  } catch {
    return undefined;
  }
  const repo = repositoryName(ref);
  return inventory.images.find((b) => {
    if (targetOf(b, target) !== repo) return false;
    if (ref.digest !== undefined) return b.digest === ref.digest || b.children.includes(ref.digest);
    return b.tag === ref.tag;
  });
}

/** A registry key that is empty or null: an empty leaf shows in no image string, so it is probed. */
const REGISTRY_KEY = /^(?:image)?registry$/i;
const PROBE = (i: number): string => `zqprobe${i}.invalid`;
const MAX_PROBED = 40;

function emptyRegistryKeys(tree: unknown, path: (string | number)[] = [], out: ValuesPath[] = []): ValuesPath[] {
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree) || out.length >= MAX_PROBED || path.length > 10) return out;
  for (const [k, v] of Object.entries(tree)) {
    if (REGISTRY_KEY.test(k) && (v === '' || v === null)) out.push([...path, k]);
    else emptyRegistryKeys(v, [...path, k], out);
  }
  return out;
}

/**
 * Ways through registry keys that are empty or null by default (bitnami's
 * `global.imageRegistry: ""`, traefik's `image.registry: null` with the default
 * computed in a template): each is set to a probe host of its own, in one render; an
 * image that then renders under a key's probe host takes `HOST/PREFIX` (or what its
 * target needs) there, when the rest of its name stays what the target wants.
 */
export async function wideRegistryWays(render: (layer: Record<string, unknown>) => Promise<SessionRender>, values: Record<string, unknown>, uses: readonly TracedUse[], targetNameOf: (u: TracedUse) => string | undefined): Promise<Map<string, { path: ValuesPath; value: string }[]>> {
  const ways = new Map<string, { path: ValuesPath; value: string }[]>();
  const keys = emptyRegistryKeys(values);
  if (keys.length === 0) return ways;
  const layer: Record<string, unknown> = {};
  keys.forEach((path, i) => setPath(layer, values, path, PROBE(i)));
  const probed = await render(layer).catch(() => undefined);
  if (probed === undefined) return ways;
  const after = new Map(imagesInManifests(probed.manifests).uses.map((u) => [`${u.template}\0${u.object}\0${u.field}`, u.written]));
  for (const u of uses) {
    const text = after.get(`${u.template}\0${u.object}\0${u.field}`);
    const target = targetNameOf(u);
    if (text === undefined || target === undefined) continue;
    const i = keys.findIndex((_, j) => text.startsWith(`${PROBE(j)}/`));
    if (i === -1) continue;
    const rest = text.slice(PROBE(i).length + 1);
    const restName = rest.slice(0, nameEnd(rest));
    if (!target.endsWith(`/${restName}`)) continue;
    const value = target.slice(0, target.length - restName.length - 1);
    if (nameOf(`${value}/${rest}`) === target) ways.set(`${u.template}\0${u.object}\0${u.field}`, [{ path: keys[i]!, value }]);
  }
  return ways;
}

/** The image uses of a render that are not where push put them, as problems. */
export function unmovedUses(uses: readonly ImageUse[], inventory: ImageInventory, target: RepointTarget, keysOf: (u: ImageUse) => string[]): Unmoved[] {
  const out: Unmoved[] = [];
  for (const u of uses) {
    if (servedFromTarget(u.reference, inventory, target) !== undefined) continue;
    const source = inventory.find(u.reference);
    out.push({
      reference: u.reference,
      template: u.template,
      object: u.object,
      ...(u.container !== undefined ? { container: u.container } : {}),
      valuesKeys: keysOf(u),
      why: source === undefined ? 'the bundle does not hold it' : `it still renders as ${u.reference}, not under ${targetOf(source, target)}`,
    });
  }
  return out;
}

