import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AirlockError, messageOf } from '../errors.js';
import { MediaType } from '../oci/media-types.js';
import { IndexSchema, type Descriptor, type Index } from '../oci/schemas.js';
import { INDEX_FILE, REF_NAME } from './paths.js';

/** index.json larger than this is refused: thousands of entries fit in far less. */
export const INDEX_SIZE_LIMIT = 16 * 1024 * 1024;

export function emptyIndex(): Index {
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
}

export function refName(desc: Descriptor): string | undefined {
  return desc.annotations?.[REF_NAME];
}

/** Reads and checks `index.json` of the layout at `root`. */
export async function readIndex(root: string): Promise<Index> {
  const path = join(root, INDEX_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AirlockError(missing ? 'LAYOUT_INVALID' : 'IO', `cannot read ${path}: ${messageOf(cause)}`, {
      cause,
      hint: missing ? 'this folder is not an OCI image layout (or the layout root is one folder down)' : 'check the permissions of the layout folder',
    });
  }
  if (text.length > INDEX_SIZE_LIMIT) {
    throw new AirlockError('SIZE_LIMIT', `${path} is larger than ${INDEX_SIZE_LIMIT} bytes`, { hint: 'this is not an index.json airlock can handle' });
  }
  return parseIndexText(text, path);
}

export function parseIndexText(text: string, path: string): Index {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new AirlockError('LAYOUT_INVALID', `${path} is not valid JSON: ${messageOf(cause)}`, {
      cause,
      hint: 'the layout is damaged; extract or copy it again',
    });
  }
  const parsed = IndexSchema.safeParse(doc);
  if (!parsed.success) {
    const list = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AirlockError('LAYOUT_INVALID', `${path} is not a valid OCI index: ${list}`, {
      hint: 'the layout is damaged; extract or copy it again',
    });
  }
  return parsed.data;
}

/** Plain code-unit order, not locale order: the same bytes on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Named entries first, sorted by name; unnamed ones after, sorted by digest. */
export function sortEntries(entries: Descriptor[]): Descriptor[] {
  return [...entries].sort((a, b) => {
    const na = refName(a);
    const nb = refName(b);
    if (na !== undefined && nb !== undefined) return compare(na, nb) || compare(a.digest, b.digest);
    if (na !== undefined) return -1;
    if (nb !== undefined) return 1;
    return compare(a.digest, b.digest);
  });
}

/** The entry written to index.json: a fixed key order, so the file is deterministic. */
export function indexEntry(desc: Descriptor, name?: string): Descriptor {
  const entry: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.platform !== undefined) entry.platform = desc.platform;
  const annotations: Record<string, string> = { ...desc.annotations };
  if (name !== undefined) annotations[REF_NAME] = name;
  else delete annotations[REF_NAME];
  const keys = Object.keys(annotations).sort(compare);
  if (keys.length > 0) entry.annotations = Object.fromEntries(keys.map((k) => [k, annotations[k] as string]));
  return entry;
}

export function serializeIndex(index: Index): string {
  // Keep any extra top-level fields a foreign writer put there, but in a stable order.
  const { schemaVersion, mediaType, manifests, annotations, ...rest } = index;
  const doc: Record<string, unknown> = { schemaVersion, mediaType: mediaType ?? MediaType.OciIndex, manifests: sortEntries(manifests) };
  if (annotations !== undefined) doc.annotations = annotations;
  return JSON.stringify({ ...doc, ...rest });
}
