import { Document, isMap as isYamlMap, isScalar, isSeq, type Node } from 'yaml';
import { mapReference, type MappingMode, type TargetRegistry } from '../bundle/mapping.js';
import { parseImageRef, type ImageRef } from '../ref/image.js';
import type { CheckedFinding, ChartCheck } from './check.js';
import type { ImageShape } from '../chart/images.js';
import { formatPath, getPath, isMap, setPath, type ValuePath, type Values } from '../chart/values-tree.js';

export interface OverlayOptions {
  /** `--registry HOST[/PREFIX]`, as push takes it. */
  registry: TargetRegistry;
  /** `--flatten` / `--keep-source-host`, as push takes them. */
  mapping: MappingMode;
  /** Where push put an image of the bundle (by its name there); default: mapReference with `registry` and `mapping`. */
  mapImage?: (sourceName: string) => ImageRef;
  /** `--pull-secret NAME`: added to every `imagePullSecrets` (or `…ImagePullSecrets`) list the values have. */
  pullSecrets?: readonly string[];
  /** Header lines (without `#`): what wrote the overlay, from which bundle. */
  header?: readonly string[];
}

export interface OverlayEntry {
  /** Values path of the image entry (the map, for map shapes). */
  path: string;
  shape: ImageShape;
  /** The reference it replaces (for a map with no tag: the reference assumed with the chart's appVersion). */
  source: string;
  /** Where push put it. */
  target: string;
  /** Keys written below `path` (`registry`, `repository`), or `''` for a string entry. */
  set: Record<string, string>;
  component: string;
}

export interface OverlaySkip {
  /** Values path, or `[component] templates/FILE:LINE`. */
  path: string;
  written: string;
  reason: 'not-in-bundle' | 'computed' | 'template';
  detail: string;
}

export interface Overlay {
  /** The overlay as a plain values tree. */
  values: Values;
  /** The overlay as YAML, with a comment per key naming the image it replaces. */
  text: string;
  entries: OverlayEntry[];
  skipped: OverlaySkip[];
  /** Values paths of the imagePullSecrets lists written. */
  pullSecrets: string[];
}

interface Write {
  keys: (string | number)[];
  value: unknown;
  comment: string;
}

function skipPath(f: CheckedFinding): string {
  return f.where === 'template' ? `${f.component === '' ? '' : `[${f.component}] `}${f.path}` : f.path;
}

/** What to write for one finding the bundle holds, keeping its shape. */
function writesFor(f: CheckedFinding, options: OverlayOptions): { entry: OverlayEntry; writes: Write[] } {
  // Exactly push's mapping, from the bundle image's own name: the overlay names what push wrote.
  const target = options.mapImage !== undefined ? options.mapImage(f.image!) : mapReference(f.image!, options.registry, options.mapping);
  const source = f.matched ?? f.reference ?? f.written;
  const keys = f.keys!;
  const set: Record<string, string> = {};
  let shown: string;
  if (f.shape === 'string') {
    const own = parseImageRef(f.written);
    let value = `${target.registry}/${target.repository}`;
    if (f.explicitTag) value += `${own.tag !== undefined ? `:${own.tag}` : ''}${own.digest !== undefined ? `@${own.digest}` : ''}`;
    set[''] = value;
    shown = value;
  } else {
    const fields = f.fields!;
    if (f.shape === 'registry+repository') {
      set.registry = target.registry;
      set[fields.repositoryKey] = target.repository;
    } else set[fields.repositoryKey] = `${target.registry}/${target.repository}`;
    shown = `${target.registry}/${target.repository}${fields.tag !== undefined ? `:${fields.tag}` : ''}${fields.digest !== undefined ? `@${fields.digest}` : ''}`;
  }
  const assumed = f.reference === undefined ? ` (no tag in values; assumes the chart's appVersion, as ${source})` : '';
  const comment = ` replaces ${f.written}${assumed}`;
  const writes = Object.entries(set).map(([k, value], i): Write => ({ keys: k === '' ? keys : [...keys, k], value, comment: i === 0 ? comment : '' }));
  return { entry: { path: f.path, shape: f.shape, source, target: shown, set, component: f.component }, writes };
}

function secretName(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (isMap(entry) && typeof entry.name === 'string') return entry.name;
  return undefined;
}

const PULL_SECRETS_KEY = /^(?:imagePullSecrets|[a-z][A-Za-z0-9]*ImagePullSecrets)$/;

/** Every `imagePullSecrets` key outside lists, with the list it should become (undefined: nothing to add). */
function pullSecretWrites(values: Values, names: readonly string[]): Write[] {
  const out: Write[] = [];
  const walk = (node: unknown, keys: string[]): void => {
    if (!isMap(node)) return;
    for (const [k, v] of Object.entries(node)) {
      // imagePullSecrets, and the likes of defaultImagePullSecrets (an operator passing them to pods it spawns).
      if (PULL_SECRETS_KEY.test(k)) {
        const list = v === null || v === undefined || v === '' ? [] : v;
        if (!Array.isArray(list)) continue;
        // Keep the chart's own style: a list of names, or of {name: …} (the Kubernetes form, the default).
        const asStrings = list.length > 0 && typeof list[0] === 'string';
        const have = new Set(list.map(secretName));
        const add = names.filter((n) => !have.has(n));
        if (add.length === 0) continue;
        out.push({ keys: [...keys, k], value: [...list, ...add.map((n) => (asStrings ? n : { name: n }))], comment: ` adds pull secret${add.length > 1 ? 's' : ''} ${add.join(', ')}` });
      } else walk(v, [...keys, k]);
    }
  };
  walk(values, []);
  return out;
}

/** Finds the node a comment goes on: the key of a map entry, or the item of a list. */
function commentTarget(doc: Document, keys: ValuePath): Node | undefined {
  const parent = keys.length === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
  const last = keys[keys.length - 1];
  if (isYamlMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    return isScalar(pair?.key) ? pair.key : undefined;
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last];
    return isScalar(item) || isYamlMap(item) || isSeq(item) ? item : undefined;
  }
  return undefined;
}

/**
 * The values overlay that repoints a chart's images to where push put them:
 * each key keeps its shape (a registry/repository pair stays a pair, a string
 * stays a string, a tag or digest pin is left as it is), only images the bundle
 * holds are repointed, and a key inside a list rewrites that whole list (helm
 * replaces lists, it does not merge them). Subchart keys sit under the
 * subchart's values key (alias or name) because `values` is the umbrella's tree.
 */
export function buildOverlay(values: Values, check: ChartCheck, options: OverlayOptions): Overlay {
  const entries: OverlayEntry[] = [];
  const skipped: OverlaySkip[] = [];
  const writes: Write[] = [];
  for (const f of check.findings) {
    if (f.where === 'template') {
      skipped.push({
        path: skipPath(f),
        written: f.written,
        reason: 'template',
        detail: `a literal image in a template: no values key can change it${f.status === 'in-bundle' ? ' (the bundle holds it; point the cluster\'s registry mirror at the target, or patch the chart)' : ''}`,
      });
      continue;
    }
    if (f.status === 'computed') {
      skipped.push({ path: f.path, written: f.written, reason: 'computed', detail: f.computed ?? 'computed by the chart' });
      continue;
    }
    if (f.status === 'missing') {
      const detail = f.reference === undefined ? `${f.computed}; not in the bundle as ${(f.guesses ?? []).join(' or ')}` : 'the bundle does not hold it';
      skipped.push({ path: f.path, written: f.written, reason: 'not-in-bundle', detail });
      continue;
    }
    const w = writesFor(f, options);
    entries.push(w.entry);
    writes.push(...w.writes);
  }
  const secretWrites = pullSecretWrites(values, options.pullSecrets ?? []);
  writes.push(...secretWrites);

  const tree: Values = {};
  const lists = new Set<string>();
  for (const w of writes) {
    // A list is copied whole from the values, once, and then patched in place.
    const at = w.keys.findIndex((k) => typeof k === 'number');
    if (at !== -1) {
      const listKeys = w.keys.slice(0, at);
      const id = JSON.stringify(listKeys);
      if (!lists.has(id)) {
        lists.add(id);
        setPath(tree, listKeys, structuredClone(getPath(values, listKeys)));
      }
    }
    setPath(tree, w.keys, w.value);
  }

  const doc = new Document(tree);
  for (const w of writes) {
    if (w.comment === '') continue;
    const node = commentTarget(doc, w.keys);
    if (node !== undefined) node.commentBefore = node.commentBefore ? `${node.commentBefore}\n${w.comment}` : w.comment;
  }
  const header = [...(options.header ?? [])];
  for (const s of skipped) {
    const tag = s.reason === 'not-in-bundle' ? 'NOT IN BUNDLE' : s.reason === 'computed' ? 'COMPUTED' : 'TEMPLATE';
    header.push(`${tag}: ${s.path} = ${s.written}: ${s.detail}; left as is`);
  }
  if (header.length > 0) doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  const text = doc.toString({ lineWidth: 0 });
  return { values: tree, text, entries, skipped, pullSecrets: secretWrites.map((w) => formatPath(w.keys)) };
}
