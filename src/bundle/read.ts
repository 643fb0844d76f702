import type { Readable } from 'node:stream';
import { analyzeEntries, isJunk, openBundle, type ArchiveEntry, type BundleReader, type ArchiveLayout } from '../archive/index.js';
import { digestHex, sha256Digest } from '../content/digest.js';
import type { SourceTarget } from '../content/target.js';
import { readCapped } from '../content/verify.js';
import { AirlockError, messageOf } from '../errors.js';
import { isSignatureEntry, parseSignatures, SIGNATURE_SIZE_LIMIT, type SignatureFile } from '../sign/index.js';
import type { Descriptor } from '../oci/schemas.js';
import { isSha256Digest } from '../layout/paths.js';
import { BundleManifestSchema, MANIFEST_FILE, type BundleManifest } from './manifest.js';

/** airlock.json lists every blob; a million blobs is about 150 MB of JSON. */
const MANIFEST_LIMIT = 256 * 1024 * 1024;

/** A bundle opened for reading: its layout found, its manifest and signatures read (not yet verified). */
export interface OpenedBundle {
  reader: BundleReader;
  entries: ArchiveEntry[];
  layout: ArchiveLayout;
  /** Operating-system litter that is ignored (`__MACOSX/…`, `._*`, `.DS_Store`): files only, for reports. */
  junk: string[];
  manifestBytes: Buffer;
  manifest: BundleManifest;
  signatures: SignatureFile[];
  close(): Promise<void>;
}

/**
 * Opens a bundle in any form (tar, gzip, zip, split parts, folder), finds its layout
 * root and reads airlock.json and its signatures. Nothing is trusted yet: the caller
 * verifies the signatures before it acts on anything else.
 */
export async function openSignedBundle(input: string | readonly string[]): Promise<OpenedBundle> {
  const reader = await openBundle(input);
  try {
    const entries = await reader.entries();
    const layout = analyzeEntries(entries, reader.name);
    const manifestPath = `${layout.root}${MANIFEST_FILE}`;
    if (!entries.some((e) => e.path === manifestPath && e.type === 'file')) {
      throw new AirlockError('SIGNATURE_MISSING', `${reader.name} has no ${MANIFEST_FILE}: it is not an airlock bundle, or the file was lost`, {
        hint: 'without airlock.json nothing in the bundle can be checked; get the bundle as airlock pack wrote it',
      });
    }
    const manifestBytes = await readCapped(await reader.open(manifestPath), MANIFEST_LIMIT, `${reader.name}: ${manifestPath}`);
    let manifest: BundleManifest;
    try {
      manifest = BundleManifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
    } catch (cause) {
      throw new AirlockError('MANIFEST_INVALID', `${reader.name}: ${manifestPath} is not a valid bundle manifest: ${messageOf(cause)}`, {
        cause,
        hint: 'the bundle is damaged, or was written by an incompatible airlock version',
      });
    }
    const signatureEntries: { name: string; bytes: Buffer }[] = [];
    for (const e of entries) {
      if (e.type !== 'file' || !e.path.startsWith(layout.root)) continue;
      const name = e.path.slice(layout.root.length);
      if (!isSignatureEntry(name)) continue;
      signatureEntries.push({ name, bytes: await readCapped(await reader.open(e.path), SIGNATURE_SIZE_LIMIT, `${reader.name}: ${e.path}`) });
    }
    const signatures = parseSignatures(signatureEntries);
    const junk = entries.filter((e) => e.type !== 'directory' && isJunk(e)).map((e) => e.path);
    return { reader, entries, layout, junk, manifestBytes, manifest, signatures, close: () => reader.close() };
  } catch (err) {
    await reader.close();
    throw err;
  }
}

/**
 * The bundle's OCI layout as a copy source, read in place: no extraction, no temp
 * copy. Names resolve through the signed manifest, not index.json, so a push never
 * depends on a file the signature covers only by hash (and a missing index.json
 * does not matter). Every blob read is verified by the copy against its digest,
 * which the signed manifest lists.
 */
export class BundleSource implements SourceTarget {
  readonly name: string;
  private readonly sizes: Map<string, number>;

  constructor(private readonly bundle: OpenedBundle) {
    this.name = bundle.reader.name;
    this.sizes = new Map(bundle.manifest.files.map((f) => [f.path, f.size]));
  }

  async resolve(reference: string): Promise<Descriptor> {
    const artifact = this.bundle.manifest.artifacts.find((a) => (isSha256Digest(reference) ? a.digest === reference : a.name === reference));
    const size = artifact && this.sizes.get(`blobs/sha256/${digestHex(artifact.digest)}`);
    if (artifact === undefined || size === undefined) {
      throw new AirlockError('NOT_FOUND', `${this.name} holds no image named ${reference}`, {
        hint: 'airlock inspect lists what the bundle holds',
      });
    }
    return { mediaType: artifact.mediaType, digest: artifact.digest, size };
  }

  fetch(desc: Descriptor): Promise<Readable> {
    return this.bundle.reader.open(`${this.bundle.layout.root}blobs/sha256/${digestHex(desc.digest)}`);
  }
}

/** Refuses a gzip bundle where blobs are read in place: every blob would mean decompressing from the start. */
export function requireRandomAccess(bundle: OpenedBundle, command: string): void {
  if (bundle.reader.randomAccess) return;
  throw new AirlockError('USAGE', `${bundle.reader.name} is gzip-compressed and cannot be read in place`, {
    hint: `decompress it first (gunzip -k ${bundle.reader.name}) and ${command} the .tar, or airlock unpack it and ${command} the folder`,
  });
}

/** How a bundle arrived, for reports: `tar`, `zip`, `tar, 3 parts`. */
export function describeForm(bundle: OpenedBundle): string {
  const parts = bundle.reader.parts.length;
  return `${bundle.reader.kind}${parts > 1 ? `, ${parts} parts` : ''}`;
}

/** sha256 hex of bytes held. */
export function hexOf(bytes: Uint8Array): string {
  return digestHex(sha256Digest(bytes));
}
