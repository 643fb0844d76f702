import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../errors.js';
import { hashStream } from '../content/digest.js';
import { limiter } from '../content/limit.js';
import type { SourceTarget } from '../content/target.js';
import { walk, type Visitor } from '../content/walk.js';
import { isSha256Hex } from '../oci/digest.js';
import type { LayoutProblem, LayoutProblemCode } from '../oci/layout-problem.js';
import { LayoutFileSchema, type Descriptor, type Index } from '../oci/schemas.js';
import { parseIndexText, refName } from './index-json.js';
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, SHA256_DIR, isTempName } from './paths.js';

export interface ValidateLayoutOptions {
  /** Hash every blob and compare with its file name (default true). Sizes are always checked. */
  checkDigests?: boolean;
  /** Blobs hashed at once (default 4). */
  concurrency?: number;
  /** Extra names allowed at the root next to the layout (e.g. a bundle's `airlock.json`). */
  allowedRootFiles?: readonly string[];
  /** The same as a test, for names that follow a pattern (a bundle's signature files). */
  allowRootFile?: (name: string) => boolean;
}

export interface LayoutReport {
  ok: boolean;
  problems: LayoutProblem[];
}

const BLOB_DIR = `${BLOBS_DIR}/${SHA256_DIR}`;

/**
 * Checks an OCI image layout folder and reports every problem found, not only the
 * first, so a user fixing a damaged transfer sees the whole picture at once.
 */
export async function validateLayout(dir: string, options: ValidateLayoutOptions = {}): Promise<LayoutReport> {
  const problems = new Map<string, LayoutProblem>();
  const report = (code: LayoutProblemCode, path: string, message: string): void => {
    // One problem per file and kind: a missing layer shared by five images is one fault.
    const key = `${code}\0${path}`;
    if (!problems.has(key)) problems.set(key, { code, path, message });
  };
  const done = (): LayoutReport => {
    const list = [...problems.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    return { ok: list.length === 0, problems: list };
  };

  const rootInfo = await lstat(dir).catch(() => undefined);
  if (rootInfo === undefined || !rootInfo.isDirectory()) {
    report('LAYOUT_MISSING', '.', `${dir} is not a folder`);
    return done();
  }

  const rootNames = await scanRoot(dir, (name) => (options.allowedRootFiles ?? []).includes(name) || options.allowRootFile?.(name) === true, report);
  await checkLayoutFile(dir, rootNames, report);
  const index = await checkIndexFile(dir, report);
  const blobs = await scanBlobs(dir, report);
  if (options.checkDigests ?? true) await hashBlobs(dir, blobs, options.concurrency ?? 4, report);
  if (index !== undefined) await walkIndex(dir, index, blobs, report);
  return done();
}

type Report = (code: LayoutProblemCode, path: string, message: string) => void;

async function scanRoot(dir: string, allowed: (name: string) => boolean, report: Report): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    report('IO_ERROR', '.', `cannot list ${dir}: ${messageOf(cause)}`);
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    const name = entry.name;
    names.push(name);
    if (name === LAYOUT_FILE || name === INDEX_FILE) {
      if (!entry.isFile()) report('UNEXPECTED_FILE', name, `${name} is not a regular file`);
    } else if (name === BLOBS_DIR) {
      if (!entry.isDirectory()) report('UNEXPECTED_FILE', name, `${BLOBS_DIR} is not a folder`);
    } else if (isTempName(name)) {
      report('TEMP_FILE', name, `${name} is a temp file left by an interrupted write; delete it`);
    } else if (!allowed(name)) {
      report('UNEXPECTED_FILE', name, `${name} is not part of an OCI image layout${junkNote(name)}`);
    }
  }
  return names;
}

function junkNote(name: string): string {
  if (name === '__MACOSX' || name.startsWith('._') || name === '.DS_Store') return ' (macOS archive junk; delete it)';
  return '';
}

async function checkLayoutFile(dir: string, rootNames: string[], report: Report): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, LAYOUT_FILE), 'utf8');
  } catch {
    report('LAYOUT_FILE_MISSING', LAYOUT_FILE, `${LAYOUT_FILE} is missing${await nestedNote(dir, rootNames)}`);
    return;
  }
  let valid = false;
  try {
    valid = LayoutFileSchema.safeParse(JSON.parse(text)).success;
  } catch {
    valid = false;
  }
  if (!valid) report('LAYOUT_FILE_INVALID', LAYOUT_FILE, `${LAYOUT_FILE} is not {"imageLayoutVersion":"1.0.0"}`);
}

/** A common mistake: the archive held a folder, and the layout root is one level down. */
async function nestedNote(dir: string, rootNames: string[]): Promise<string> {
  for (const name of rootNames) {
    const info = await lstat(join(dir, name, LAYOUT_FILE)).catch(() => undefined);
    if (info?.isFile()) return `; ${name}/${LAYOUT_FILE} exists, so the layout root is probably ${name}/`;
  }
  return '';
}

async function checkIndexFile(dir: string, report: Report): Promise<Index | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, INDEX_FILE), 'utf8');
  } catch {
    report('INDEX_MISSING', INDEX_FILE, `${INDEX_FILE} is missing`);
    return undefined;
  }
  try {
    return parseIndexText(text, INDEX_FILE);
  } catch (err) {
    report('INDEX_INVALID', INDEX_FILE, messageOf(err));
    return undefined;
  }
}

/** Lists blobs/sha256: hex name → size. Anything else under blobs/ is reported. */
async function scanBlobs(dir: string, report: Report): Promise<Map<string, number>> {
  const blobs = new Map<string, number>();
  const blobsRoot = join(dir, BLOBS_DIR);
  const top = await readdir(blobsRoot, { withFileTypes: true }).catch(() => undefined);
  if (top === undefined) return blobs;
  for (const entry of top) {
    if (entry.name === SHA256_DIR && entry.isDirectory()) continue;
    const path = `${BLOBS_DIR}/${entry.name}`;
    if (isTempName(entry.name)) report('TEMP_FILE', path, `${path} is a temp file left by an interrupted write; delete it`);
    else report('UNEXPECTED_FILE', path, `${path} is not expected (airlock layouts hold only ${BLOB_DIR}/)${junkNote(entry.name)}`);
  }
  const files = await readdir(join(blobsRoot, SHA256_DIR), { withFileTypes: true }).catch(() => undefined);
  if (files === undefined) return blobs;
  for (const entry of files) {
    const path = `${BLOB_DIR}/${entry.name}`;
    if (isTempName(entry.name)) {
      report('TEMP_FILE', path, `${path} is a temp file left by an interrupted write; delete it`);
    } else if (!isSha256Hex(entry.name)) {
      report('UNEXPECTED_FILE', path, `${path} is not named by a sha256 digest${junkNote(entry.name)}`);
    } else if (!entry.isFile()) {
      // Symbolic links are refused too: following one could read outside the layout.
      report('UNEXPECTED_FILE', path, `${path} is not a regular file`);
    } else {
      const info = await lstat(join(blobsRoot, SHA256_DIR, entry.name)).catch(() => undefined);
      if (info !== undefined) blobs.set(entry.name, info.size);
    }
  }
  return blobs;
}

async function hashBlobs(dir: string, blobs: Map<string, number>, concurrency: number, report: Report): Promise<void> {
  const slot = limiter(concurrency);
  await Promise.all(
    [...blobs.keys()].map((hex) =>
      slot(async () => {
        const path = `${BLOB_DIR}/${hex}`;
        try {
          const actual = (await hashStream(createReadStream(join(dir, BLOBS_DIR, SHA256_DIR, hex)))).hex;
          if (actual !== hex) report('BLOB_DIGEST_MISMATCH', path, `${path} has sha256 ${actual}, not the one its name says`);
        } catch (cause) {
          report('IO_ERROR', path, `cannot read ${path}: ${messageOf(cause)}`);
        }
      }),
    ),
  );
}

/** Follows index.json through the one graph walk to every reachable manifest and checks that each child is present. */
async function walkIndex(dir: string, index: Index, blobs: Map<string, number>, report: Report): Promise<void> {
  const blobPath = (desc: Descriptor): string => `${BLOB_DIR}/${desc.digest.slice('sha256:'.length)}`;
  // Raw bytes, not verified ones: a digest mismatch is reported by hashBlobs, not as an unreadable manifest.
  const folder: SourceTarget = { name: dir, fetch: async (desc) => createReadStream(join(dir, blobPath(desc))), resolve: () => Promise.reject(new Error('unused')) };
  const fetch = (desc: Descriptor): Promise<Buffer> => readFile(join(dir, blobPath(desc)));

  const present = (desc: Descriptor, referrer: string): boolean => {
    const size = blobs.get(desc.digest.slice('sha256:'.length));
    if (size === undefined) {
      report('BLOB_MISSING', blobPath(desc), `${referrer} points to ${desc.digest}, which is missing`);
      return false;
    }
    if (size !== desc.size) {
      report('BLOB_SIZE_MISMATCH', blobPath(desc), `${blobPath(desc)} is ${size} bytes but ${referrer} says ${desc.size}`);
      return false;
    }
    return true;
  };

  const visitor: Visitor<void> = {
    manifest: async (desc, visit) => {
      if (!present(desc, visit.from)) return;
      try {
        await visit.expand();
      } catch (err) {
        report('MANIFEST_INVALID', blobPath(desc), `${messageOf(err)} (from ${visit.from})`);
      }
    },
    blob: async (desc, visit) => void present(desc, visit.from),
  };
  for (const [i, entry] of index.manifests.entries()) {
    const name = refName(entry);
    await walk(folder, entry, visitor, { where: `${INDEX_FILE} manifests[${i}]${name === undefined ? '' : ` ("${name}")`}`, fetch });
  }
}
