import { parseDocument, visit } from 'yaml';
import { AirlockError } from '../errors.js';

/** A parsed values document: a plain tree of maps, arrays and scalars. */
export type Values = Record<string, unknown>;
/** Keys from the top of a values tree down to one entry; numbers index arrays. */
export type ValuePath = readonly (string | number)[];

export function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Helm itself refuses a chart file over 5 MiB (MaxDecompressedFileSize), so no
 * chart that installs has a bigger values.yaml; a hostile one could be 40 MB of
 * 1.5 million keys, which YAML parsing turns into gigabytes and minutes.
 */
export const MAX_VALUES_BYTES = 5 * 1024 * 1024;
/** Keys and list items in one values file: real charts have hundreds, large ones a few thousand. */
export const MAX_VALUES_NODES = 200_000;

/**
 * Parses a values file the way helm reads one (merge keys `<<` on, later duplicate
 * keys win). A number whose text would not survive the round trip keeps its text:
 * `tag: 1.0` is the tag "1.0" someone meant, not the number 1.
 */
export function parseValuesYaml(text: string, where: string): Values {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_VALUES_BYTES) {
    throw new AirlockError('SIZE_LIMIT', `${where} is ${bytes} bytes, more than the ${MAX_VALUES_BYTES}-byte limit (Helm loads no chart file larger either)`, {
      hint: 'this is not a values file Helm would install with; check the chart or the file given',
    });
  }
  const doc = parseDocument(text, { merge: true, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new AirlockError('ARCHIVE_INVALID', `${where} is not valid YAML: ${doc.errors[0]!.message}`, {
      hint: 'fix the YAML (helm would refuse it too)',
    });
  }
  let nodes = 0;
  let tooMany = false;
  const count = (n: number): symbol | undefined => {
    nodes += n;
    if (nodes <= MAX_VALUES_NODES) return undefined;
    tooMany = true;
    return visit.BREAK;
  };
  visit(doc, {
    Pair: () => count(1),
    Seq: (_key, node) => count(node.items.length),
    Scalar(_key, node) {
      if (typeof node.value === 'number' && node.source !== undefined && String(node.value) !== node.source) node.value = node.source;
    },
  });
  if (tooMany) {
    throw new AirlockError('SIZE_LIMIT', `${where} holds more than ${MAX_VALUES_NODES} keys and list items`, {
      hint: 'this is not a values file Helm would be given; check the chart or the file given',
    });
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (cause) {
    throw new AirlockError('ARCHIVE_INVALID', `${where} cannot be read: ${(cause as Error).message}`, { cause });
  }
  if (value === null || value === undefined) return {};
  if (!isMap(value)) {
    throw new AirlockError('ARCHIVE_INVALID', `${where} is not a map of values (it is a ${Array.isArray(value) ? 'list' : typeof value})`, {
      hint: 'a values file is a YAML map at the top level',
    });
  }
  return value;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
  return value;
}

/**
 * Helm's rule for layering values: maps merge key by key, anything else (scalars,
 * lists) is replaced whole by the higher layer, and a null in the higher layer
 * removes the key. Returns a new tree; neither input is changed.
 */
export function coalesce(high: unknown, low: unknown): unknown {
  if (!isMap(high) || !isMap(low)) return clone(high === undefined ? low : high);
  const out = clone(low) as Values;
  for (const [key, value] of Object.entries(high)) {
    if (value === null) delete out[key];
    else out[key] = isMap(value) && isMap(out[key]) ? coalesce(value, out[key]) : clone(value);
  }
  return out;
}

export function getPath(tree: unknown, path: ValuePath): unknown {
  let node = tree;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[key];
    } else {
      if (!isMap(node) || !Object.hasOwn(node, key)) return undefined;
      node = node[key];
    }
  }
  return node;
}

/** Sets a value, making maps (and copying nothing) along the way; arrays must exist. */
export function setPath(tree: Values, path: ValuePath, value: unknown): void {
  let node: unknown = tree;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const last = i === path.length - 1;
    if (typeof key === 'number') {
      if (!Array.isArray(node)) throw new AirlockError('INTERNAL', `no list at ${formatPath(path.slice(0, i))}`);
      if (last) node[key] = value;
      else node = node[key];
    } else {
      const map = node as Values;
      if (last) map[key] = value;
      else {
        if (!isMap(map[key]) && !Array.isArray(map[key])) map[key] = {};
        node = map[key];
      }
    }
  }
}

/** `frontend.image`, `jobs[0].image`, `annotations["a.b/c"]`: how a path reads in messages and `--set`. */
export function formatPath(path: ValuePath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}
