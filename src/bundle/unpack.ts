import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { extractSafely } from '../archive/index.js';
import { validateLayout } from '../layout/index.js';
import { isSignatureEntry } from '../sign/index.js';
import { MediaType } from '../oci/index.js';
import { MANIFEST_FILE } from './manifest.js';
import { AirlockError } from '../errors.js';
import { bundleIndexBytes } from './index-json.js';
import { requireBases, takeFromBases } from './delta.js';
import { openSignedBundle } from './read.js';
import type { SignaturePolicy, Signer } from './signers.js';
import { openVerifiedBundle, VerifiedBundle } from './verified.js';
import { checkListing, verifyContents, type ContentReport } from './verify.js';

const DOCKER_TYPES = new Set<string>([MediaType.DockerManifest, MediaType.DockerManifestList]);

export interface UnpackOptions {
  /** Bytes written (`extracting`), then bytes hashed again on disk (`checking`), of `total`. */
  onProgress?: (stage: 'extracting' | 'checking', done: number, total: number) => void;
  /** Stops the extraction; the partial folder is removed and INTERRUPTED thrown. */
  signal?: AbortSignal;
  /** For a delta: the earlier bundles (or folders) that hold the blobs it left out. */
  bases?: readonly string[];
}

export interface UnpackResult {
  dir: string;
  signers: Signer[];
  contents: ContentReport;
  junk: string[];
  /** Where the layout was inside the archive ('' at the top). */
  root: string;
  indexRebuilt: boolean;
  /**
   * References whose index.json entry has a Docker schema2 media type: older OCI
   * readers (skopeo 1.9, umoci) do not see them by name. Their bytes stay as signed.
   */
  dockerTyped: string[];
}

async function usable(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Every manifest reachable from index.json, and everything it names, is in the folder:
 * the bytes were hashed already, this checks that the signed set is a whole graph, so
 * that push (or skopeo) reading the folder never finds a hole halfway.
 */
async function checkGraph(staging: string, dir: string): Promise<void> {
  const report = await validateLayout(staging, { checkDigests: false, allowedRootFiles: [MANIFEST_FILE], allowRootFile: isSignatureEntry });
  if (report.ok) return;
  const shown = report.problems.slice(0, 10).map((p) => `  - ${p.path}: ${p.message}`).join('\n');
  throw new AirlockError('LAYOUT_INVALID', `the bundle for ${dir} is not a complete OCI layout (${report.problems.length} problem(s)):\n${shown}`, {
    hint: 'the packer signed an incomplete graph; ask for a bundle made by airlock pack',
  });
}

/**
 * Verifies the signature, extracts safely into a hidden folder beside `dir`, verifies
 * every extracted file against the signed manifest, and only then renames it to
 * `dir`: the folder is either complete and verified, or absent. The layout lands at
 * the top of `dir` wherever it was nested in the archive, without the junk.
 */
export async function unpack(input: string | readonly string[], dir: string, policy: SignaturePolicy, options: UnpackOptions = {}): Promise<UnpackResult> {
  const dest = resolve(dir);
  // Checked before the signature too: a full folder is the cheapest mistake to report.
  if (!(await usable(dest))) {
    throw new AirlockError('FILE_EXISTS', `${dir} already exists and is not empty`, { hint: 'give a new folder for -o, or empty this one' });
  }
  const verified = await openVerifiedBundle(input, policy);
  try {
    return await unpackBundle(verified, dir, options);
  } finally {
    await verified.close();
  }
}

/** Extracts a bundle whose signatures were checked; see unpack(). */
export async function unpackBundle(verified: VerifiedBundle, dir: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  VerifiedBundle.assert(verified, 'unpack');
  const bundle = verified.bundle;
  // A delta without its base would give a layout with holes: refused before anything is written.
  requireBases(bundle, options.bases ?? [], 'unpack');
  const dest = resolve(dir);
  if (!(await usable(dest))) {
    throw new AirlockError('FILE_EXISTS', `${dir} already exists and is not empty`, { hint: 'give a new folder for -o, or empty this one' });
  }
  const staging = join(dirname(dest), `.${basename(dest)}.unpacking-${randomBytes(4).toString('hex')}`);
  try {
    // Only what the signed manifest lists is written; anything else fails here, unread.
    const keep = checkListing(bundle);
    const total = bundle.manifest.files.reduce((n, f) => n + f.size, 0);
    const { onProgress, signal } = options;
    await extractSafely(bundle.reader, staging, {
      root: bundle.layout.root,
      include: (path) => keep.has(path),
      ...(onProgress ? { onBytes: (n: number) => onProgress('extracting', n, total) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (bundle.layout.missingIndex) {
      await writeFile(join(staging, 'index.json'), bundleIndexBytes(bundle.manifest.artifacts, bundle.manifest.files));
    }
    // Check what is on disk now, not what streamed past: the bytes the user will push.
    const extracted = await openSignedBundle(staging);
    let contents: ContentReport;
    try {
      if (!extracted.manifestBytes.equals(bundle.manifestBytes)) {
        throw new AirlockError('INTEGRITY', `the extracted airlock.json differs from the one whose signature was checked`, {
          hint: 'the bundle changed while it was read; copy it again and re-run',
        });
      }
      contents = await verifyContents(extracted, (done, all) => {
        if (signal?.aborted) throw new AirlockError('INTERRUPTED', `checking the files unpacked into ${dir} was interrupted`);
        onProgress?.('checking', done, all);
      });
    } finally {
      await extracted.close();
    }
    await takeFromBases(bundle, options.bases ?? [], 'unpack', staging);
    await checkGraph(staging, dir);
    if (!(await usable(dest))) throw new AirlockError('FILE_EXISTS', `${dir} was filled by something else meanwhile`, { hint: 'give a new folder' });
    await rmdir(dest).catch(() => undefined);
    await rename(staging, dest);
    const dockerTyped = bundle.manifest.artifacts.filter((a) => DOCKER_TYPES.has(a.mediaType)).map((a) => a.name);
    return { dir: dest, signers: [...verified.signers], contents, junk: bundle.junk, root: bundle.layout.root, indexRebuilt: bundle.layout.missingIndex, dockerTyped };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
