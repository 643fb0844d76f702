import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sha256Digest } from '../content/digest.js';
import { AirlockError, messageOf } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { digestOfBlobEntry } from '../oci/digest.js';
import { isManifestType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import { parseSignature, verifyPayload, type PublicKey } from '../sign/index.js';
import { BundleManifestSchema, SIGNATURE_FILE, type BaseRef, type BundleManifest } from './manifest.js';
import { openSignedBundle } from './read.js';
import { isReceiptJson, parseReceipt } from './receipt.js';
import { verifySignatures } from './signers.js';

/** A base as pack reads it: its name in the delta, and the digests the far side is taken to hold. */
export interface LoadedBase {
  ref: BaseRef;
  digests: Set<string>;
}

function blobsOf(manifest: BundleManifest): Set<string> {
  const out = new Set<string>();
  for (const f of manifest.files) {
    const d = digestOfBlobEntry(f.path);
    if (d !== undefined) out.add(d);
  }
  return out;
}

/** A JSON file (airlock.json, a receipt) rather than a bundle: judged by its first bytes, never reading a tarball whole. */
export async function looksLikeJson(path: string): Promise<boolean> {
  if (!(await stat(path)).isFile()) return false;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('utf8').trimStart().startsWith('{');
  } finally {
    await handle.close();
  }
}

/** A JSON file's bytes (what a signature covers) and its parsed value. */
export async function readJson(path: string): Promise<{ bytes: Buffer; json: unknown }> {
  const bytes = await readFile(path);
  try {
    return { bytes, json: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch (cause) {
    throw new AirlockError('MANIFEST_INVALID', `${path} is not JSON: ${messageOf(cause)}`, { cause });
  }
}

/**
 * Reads `pack --base FILE`: an earlier bundle (any form), its airlock.json (with
 * airlock.json.sigstore.json beside it), a receipt or an inventory. With keys its
 * signature must verify; without, it is a hint of what the far side holds, and a
 * wrong hint makes a delta that push refuses (nothing is sent), never a wrong push.
 */
export async function loadBase(path: string, keys: readonly PublicKey[] = []): Promise<LoadedBase> {
  const name = basename(path);
  if (await looksLikeJson(path)) {
    const { bytes, json } = await readJson(path);
    if (isReceiptJson(json)) {
      const { receipt, digest } = parseReceipt(json, path, keys);
      return { ref: { kind: receipt.kind, digest, name }, digests: new Set(receipt.digests) };
    }
    let manifest: BundleManifest;
    try {
      manifest = BundleManifestSchema.parse(json);
    } catch (cause) {
      throw new AirlockError('MANIFEST_INVALID', `${path} is neither a bundle's airlock.json nor a receipt: ${messageOf(cause)}`, { cause });
    }
    if (keys.length > 0) {
      const sigPath = [`${path}.sigstore.json`, join(dirname(path), SIGNATURE_FILE)];
      const found = await Promise.all(sigPath.map((p) => readFile(p).catch(() => undefined)));
      const sig = found.find((b) => b !== undefined);
      if (sig === undefined) throw new AirlockError('SIGNATURE_MISSING', `no ${SIGNATURE_FILE} beside ${path}`, { hint: 'copy the signature with airlock.json' });
      verifyPayload(bytes, [parseSignature(sig, SIGNATURE_FILE)], { keys });
    }
    return { ref: { kind: 'bundle', digest: sha256Digest(bytes), name }, digests: blobsOf(manifest) };
  }
  const bundle = await openSignedBundle(path);
  try {
    if (keys.length > 0) await verifySignatures(bundle, { keys });
    return { ref: { kind: 'bundle', digest: sha256Digest(bundle.manifestBytes), name }, digests: blobsOf(bundle.manifest) };
  } finally {
    await bundle.close();
  }
}

/**
 * Which base holds a blob, for the blobs a delta may leave out. Manifests and
 * configs always travel (a few KB): the delta can then be walked, inspected and
 * diffed on its own; only layers are left out.
 */
export function baseOmitter(bases: readonly LoadedBase[]): (d: Descriptor) => Digest | undefined {
  return (d) => {
    if (isManifestType(d.mediaType) || /config|empty/.test(d.mediaType)) return undefined;
    return bases.find((b) => b.digests.has(d.digest))?.ref.digest;
  };
}
