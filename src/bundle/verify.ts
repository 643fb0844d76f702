import { isJunk } from '../archive/index.js';
import { digestHex, hashStream } from '../content/digest.js';
import { digestOfBlobEntry } from '../oci/digest.js';
import { AirlockError } from '../errors.js';
import { isSignatureEntry } from '../sign/index.js';
import { bundleIndexBytes } from './index-json.js';
import { MANIFEST_FILE, type BundleManifest, type FileEntry } from './manifest.js';
import { describeForm, hexOf, type OpenedBundle } from './read.js';
import type { SignaturePolicy, Signer } from './signers.js';
import { openVerifiedBundle } from './verified.js';
import { checkDelta } from './delta.js';
import { bundleImageSignatures, type ImageSignaturePolicy, type ImageSignatureResult } from './image-signatures.js';

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

export interface ContentReport {
  checks: Check[];
  /** Files hashed and bytes read. */
  files: number;
  bytes: number;
  indexRebuilt: boolean;
}

const SHOWN_PROBLEMS = 20;

function integrityError(name: string, problems: readonly string[]): AirlockError {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  - ${p}`).join('\n');
  const more = problems.length > SHOWN_PROBLEMS ? `\n  … and ${problems.length - SHOWN_PROBLEMS} more` : '';
  return new AirlockError('INTEGRITY', `${name} does not match its signed manifest (${problems.length} problem(s)):\n${shown}${more}`, {
    hint: 'the bundle was altered, truncated or damaged in transfer: do not use it; copy it again from the source media',
  });
}

/**
 * Compares the archive's listing (names and declared sizes, no content read) with
 * the signed manifest: catches extra, missing and resized entries before a single
 * byte is extracted. Returns the paths (as in the archive) that belong to the bundle.
 */
export function checkListing(bundle: OpenedBundle): Set<string> {
  const { layout, manifest, entries, reader } = bundle;
  const problems = layout.problems.map((p) => p.message);
  const listed = new Map(manifest.files.map((f) => [`${layout.root}${f.path}`, f]));
  const keep = new Set<string>();
  for (const e of entries) {
    if (e.type !== 'file' || isJunk(e) || !e.path.startsWith(layout.root)) continue;
    const rel = e.path.slice(layout.root.length);
    const f = listed.get(e.path);
    if (rel === MANIFEST_FILE || isSignatureEntry(rel)) keep.add(e.path);
    else if (f === undefined) {
      if (!layout.problems.some((p) => p.path === e.path)) problems.push(`${e.path} is not listed in the signed airlock.json`);
    } else {
      keep.add(e.path);
      // Declared sizes are checked before any content is read (zip included: the
      // zip reader refuses an entry that inflates to more or less than it declares).
      if (e.size !== f.size) problems.push(`${e.path} is ${e.size} bytes, the signed manifest says ${f.size}`);
    }
  }
  for (const [path, f] of listed) {
    // A delta's blob marked `base` may be absent: its base holds it (see delta.ts).
    if (!keep.has(path) && !(f.path === 'index.json' && layout.missingIndex) && f.base === undefined) {
      problems.push(`${path} is missing (listed in the signed manifest, ${f.size} bytes)`);
    }
  }
  if (problems.length > 0) throw integrityError(reader.name, problems);
  return keep;
}

/**
 * Reads the whole bundle once, in archive order, hashing every entry against the
 * manifest. Collects every problem (missing, extra, altered, truncated, misnamed)
 * and throws one INTEGRITY error listing them.
 */
export async function verifyContents(bundle: OpenedBundle, onProgress?: (bytes: number, total: number) => void): Promise<ContentReport> {
  const { layout, manifest, reader } = bundle;
  const problems: string[] = layout.problems.map((p) => p.message);
  const expected = new Map<string, FileEntry>();
  for (const f of manifest.files) {
    if (expected.has(f.path)) problems.push(`airlock.json lists ${f.path} twice`);
    expected.set(f.path, f);
    const named = digestOfBlobEntry(f.path);
    if (named !== undefined && digestHex(named) !== f.sha256) problems.push(`airlock.json lists ${f.path} with sha256 ${f.sha256}, which is not its name`);
  }
  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  const seen = new Set<string>();
  let bytes = 0;
  let files = 0;
  for await (const { entry, stream } of reader.sequential()) {
    const rel = entry.path.startsWith(layout.root) ? entry.path.slice(layout.root.length) : undefined;
    const listed = rel === undefined ? undefined : expected.get(rel);
    if (isJunk(entry) || rel === undefined || entry.type !== 'file' || listed === undefined || seen.has(rel)) {
      // Left unread, not drained: a skipped zip entry is never inflated, a tar one is seeked past.
      stream.destroy();
      if (rel !== undefined && entry.type === 'file' && !isJunk(entry) && rel !== MANIFEST_FILE && !isSignatureEntry(rel) && listed === undefined) {
        // Extra entries are reported by analyzeEntries when they are out of place; a
        // well-placed file that the signed manifest does not list is caught here.
        if (!layout.problems.some((p) => p.path === entry.path)) problems.push(`${entry.path} is not listed in the signed airlock.json`);
      }
      continue;
    }
    seen.add(rel);
    if (entry.size !== listed.size) {
      // The declared size is judged before a byte is read: a lying zip header is not inflated for nothing.
      problems.push(`${entry.path} is ${entry.size} bytes, the signed manifest says ${listed.size}`);
      stream.destroy();
      continue;
    }
    // Reported per chunk, not per file: one 5 GB layer must not look like a hang.
    const { hex: actual, size } = await hashStream(stream, (n) => {
      bytes += n;
      onProgress?.(bytes, total);
    });
    files++;
    if (size !== listed.size) problems.push(`${entry.path} is ${size} bytes, the signed manifest says ${listed.size}`);
    else if (actual !== listed.sha256) problems.push(`${entry.path} has sha256 ${actual}, the signed manifest says ${listed.sha256}`);
  }

  let indexRebuilt = false;
  for (const [path, f] of expected) {
    if (seen.has(path) || f.base !== undefined) continue;
    if (path === 'index.json' && layout.missingIndex) {
      const rebuilt = bundleIndexBytes(manifest.artifacts, manifest.files);
      if (rebuilt.length === f.size && hexOf(rebuilt) === f.sha256) {
        indexRebuilt = true;
        continue;
      }
      problems.push('index.json is missing and could not be rebuilt from airlock.json to the signed bytes');
      continue;
    }
    problems.push(`${layout.root}${path} is missing (listed in the signed manifest, ${f.size} bytes)`);
  }

  const checks: Check[] = [
    { check: 'entries', ok: problems.length === 0, detail: `${files} files, ${bytes} bytes hashed` },
    ...(bundle.junk.length > 0 ? [{ check: 'junk', ok: true, detail: `ignored ${bundle.junk.length} junk file(s): ${bundle.junk.slice(0, 10).join(', ')}${bundle.junk.length > 10 ? ', …' : ''}` }] : []),
    ...(layout.root !== '' ? [{ check: 'layout-root', ok: true, detail: `layout found under ${layout.root}` }] : []),
    ...(indexRebuilt ? [{ check: 'index.json', ok: true, detail: 'missing; rebuilt from the signed manifest, sha256 matches' }] : []),
  ];
  if (problems.length > 0) throw integrityError(reader.name, problems);
  return { checks, files, bytes, indexRebuilt };
}

export interface VerifyReport {
  bundle: string;
  /** `tar`, `zip`, `tar, 3 parts`… */
  form: string;
  created: string;
  signers: Signer[];
  checks: Check[];
  artifacts: BundleManifest['artifacts'];
  files: number;
  bytes: number;
  /** With --image-key: one result per cosign signature carried. */
  imageSignatures?: ImageSignatureResult[];
}

/**
 * `airlock verify`: the signature first, then every byte of the bundle hashed once
 * against the signed manifest. Throws on the first class of failure (signature,
 * then integrity, listing every problem of that class).
 */
export async function verify(
  input: string | readonly string[],
  policy: SignaturePolicy,
  options: { onProgress?: (bytes: number, total: number) => void; bases?: readonly string[]; imageSignatures?: ImageSignaturePolicy } = {},
): Promise<VerifyReport> {
  const verified = await openVerifiedBundle(input, policy);
  try {
    const contents = await verifyContents(verified.bundle, options.onProgress);
    // A delta: with --base, every blob it left out is hashed from the base too.
    const delta = await checkDelta(verified.bundle, options.bases ?? []);
    if (delta !== undefined) contents.checks.push(delta);
    const images = options.imageSignatures !== undefined ? await bundleImageSignatures(verified.bundle, options.imageSignatures) : undefined;
    if (images !== undefined) contents.checks.push({ check: 'image-signatures', ok: true, detail: `${images.filter((r) => r.ok).length} of ${images.length} cosign signature(s) verified` });
    const signers = [...verified.signers];
    const m = verified.bundle.manifest;
    return {
      bundle: verified.name,
      form: describeForm(verified.bundle),
      created: m.created,
      signers,
      checks: [{ check: 'signature', ok: true, detail: signers.length > 0 ? `${signers.length} signer(s)` : 'unsigned, allowed by --allow-unsigned' }, ...contents.checks],
      artifacts: m.artifacts,
      files: contents.files,
      bytes: contents.bytes,
      ...(images !== undefined ? { imageSignatures: images } : {}),
    };
  } finally {
    await verified.close();
  }
}
