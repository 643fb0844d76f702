import { AirlockError } from '../errors.js';
import { describeType, quoteName } from './safe-path.js';
import { digestOfBlobEntry } from '../oci/digest.js';
import type { LayoutProblem } from '../oci/layout-problem.js';
import type { ArchiveEntry } from './types.js';

/** Where an OCI layout sits among an archive's entries, and what is out of place. */
export interface ArchiveLayout {
  /** Where the layout sits in the archive: '' or 'outer/inner/' (always ending in '/'). */
  root: string;
  /** Entries ignored as operating-system litter or directories, in archive order. */
  junk: string[];
  problems: LayoutProblem[];
  /** index.json is absent: the caller may rebuild it from the signed manifest. */
  missingIndex: boolean;
}

const JUNK_NAMES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

/**
 * macOS resource forks and Finder files, Windows thumbnails, and directory entries:
 * never part of a bundle. Only plain files and directories can be litter: a link or
 * device under a junk name is still a link to GNU tar, so it is reported, not ignored.
 */
export function isJunk(entry: ArchiveEntry): boolean {
  if (entry.type === 'directory') return true;
  if (entry.type !== 'file') return false;
  const parts = entry.path.split('/');
  if (parts.includes('__MACOSX')) return true;
  const base = parts[parts.length - 1]!;
  return base.startsWith('._') || JUNK_NAMES.has(base.toLowerCase());
}

// Signature entries as src/sign names them: airlock.json.sigstore.json, then .sigstore.2.json, …
const SIGNATURE = /^airlock\.json\.sigstore(\.[1-9][0-9]*)?\.json$/;

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash + 1);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Finds the OCI layout inside an archive's entries and reports everything around
 * it. The root is where `oci-layout` is (at the top, or down some wrapper folders
 * from `tar` of the parent folder or macOS "Compress"); failing that, where
 * `airlock.json` or `index.json` is. Litter is listed, never fatal; everything
 * else out of place is reported entry by entry for the caller to judge.
 */
export function analyzeEntries(entries: readonly ArchiveEntry[], archive = 'the bundle'): ArchiveLayout {
  const junk: string[] = [];
  const kept: ArchiveEntry[] = [];
  for (const e of entries) {
    if (e.path === '' || isJunk(e)) junk.push(e.path === '' ? './' : e.path);
    else kept.push(e);
  }
  const rootsOf = (name: string): string[] => [...new Set(kept.filter((e) => baseOf(e.path) === name).map((e) => dirOf(e.path)))];
  let roots = rootsOf('oci-layout');
  if (roots.length === 0) roots = rootsOf('airlock.json');
  if (roots.length === 0) roots = rootsOf('index.json');
  if (roots.length === 0) {
    throw new AirlockError('LAYOUT_INVALID', `${archive} holds no OCI layout (no oci-layout, airlock.json or index.json file)`, {
      hint: 'give the bundle airlock pack wrote, or the folder it was extracted to',
    });
  }
  if (roots.length > 1) {
    throw new AirlockError('LAYOUT_INVALID', `${archive} holds more than one layout, at ${roots.map((r) => quoteName(r || './')).join(', ')}`, {
      hint: 'a bundle holds one layout; give one of them (extract it and give its folder)',
    });
  }
  const root = roots[0]!;
  const problems: LayoutProblem[] = [];
  // Duplicates are counted over every entry, litter and directories included: a
  // directory named like a blob, or a second copy of a file, means another
  // extractor ends with other files (or fails half-way) than the reader checked.
  const duplicates: LayoutProblem[] = [];
  const count = new Map<string, number>();
  const firstType = new Map<string, ArchiveEntry['type']>();
  for (const e of entries) {
    if (e.path === '') continue;
    const n = (count.get(e.path) ?? 0) + 1;
    count.set(e.path, n);
    if (n === 1) firstType.set(e.path, e.type);
    if (n === 2) {
      const kinds = `${describeType(firstType.get(e.path)!)}, then ${describeType(e.type)}`;
      duplicates.push({ code: 'DUPLICATE', path: e.path, message: `${quoteName(e.path)} appears more than once (${kinds})` });
    }
  }
  const seen = new Set<string>();
  for (const e of kept) {
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    if (count.get(e.path)! > 1) continue;
    if (!e.path.startsWith(root)) {
      problems.push({ code: 'OUTSIDE_ROOT', path: e.path, message: `${quoteName(e.path)} is outside the layout folder ${quoteName(root || './')}` });
      continue;
    }
    if (e.type !== 'file') {
      const to = e.linkTarget === undefined ? '' : ` to ${quoteName(e.linkTarget)}`;
      problems.push({ code: 'NOT_A_FILE', path: e.path, message: `${quoteName(e.path)} is ${describeType(e.type)}${to}, not a file` });
      continue;
    }
    const rel = e.path.slice(root.length);
    if (rel === 'airlock.json' || rel === 'oci-layout' || rel === 'index.json' || SIGNATURE.test(rel) || digestOfBlobEntry(rel) !== undefined) continue;
    if (rel.startsWith('blobs/')) {
      problems.push({ code: 'BAD_BLOB_NAME', path: e.path, message: `${quoteName(e.path)} is not named blobs/sha256/ and 64 lowercase hex digits` });
    } else {
      problems.push({ code: 'UNEXPECTED', path: e.path, message: `${quoteName(e.path)} is not part of a bundle` });
    }
  }
  for (const d of duplicates) problems.push(d);
  const has = (rel: string): boolean => kept.some((e) => e.path === root + rel && e.type === 'file');
  for (const rel of ['airlock.json', 'oci-layout']) {
    if (!has(rel)) problems.push({ code: 'MISSING_FILE', path: root + rel, message: `${quoteName(root + rel)} is missing` });
  }
  return { root, junk, problems, missingIndex: !has('index.json') };
}
