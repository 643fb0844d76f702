import { stat } from 'node:fs/promises';
import { TarWriter, isJunk, openBundleSink } from '../archive/index.js';
import { AirlockError } from '../errors.js';
import { addSignature, isSignatureEntry, type PrivateKey } from '../sign/index.js';
import { MANIFEST_FILE } from './manifest.js';
import type { SignaturePolicy, Signer } from './signers.js';
import { openVerifiedBundle, VerifiedBundle } from './verified.js';
import { verifyContents } from './verify.js';

export interface SignResult {
  /** The signature entry written, or the one this key had already made. */
  signature: string;
  added: boolean;
  /** Signers required by the policy that were checked before signing. */
  checked: Signer[];
  files: string[];
}

/**
 * `airlock sign`: a second party (the security team) adds its own signature over the same
 * airlock.json, after checking every byte against it, so the far side can require
 * both keys. The bundle is rewritten as a plain tar (split like the input when the
 * input was split), signature entries kept right after airlock.json, and replaces
 * the input only when complete.
 */
export async function sign(input: string | readonly string[], key: PrivateKey, policy: SignaturePolicy, output?: string): Promise<SignResult> {
  const verified = await openVerifiedBundle(input, policy);
  try {
    return await signBundle(verified, key, output);
  } finally {
    await verified.close();
  }
}

/** The rewrite itself, on a bundle whose signatures the caller's policy accepted. */
export async function signBundle(verified: VerifiedBundle, key: PrivateKey, output?: string): Promise<SignResult> {
  VerifiedBundle.assert(verified, 'sign');
  const bundle = verified.bundle;
  const checked = [...verified.signers];
  await verifyContents(bundle);
  const { file, added } = addSignature(bundle.signatures, bundle.manifestBytes, key);
  const parts = bundle.reader.parts;
  if (!added) return { signature: file.name, added, checked, files: [...parts] };
  if (bundle.reader.kind === 'folder') {
    throw new AirlockError('USAGE', `${bundle.reader.name} is a folder; sign the bundle file instead`, { hint: 'airlock sign BUNDLE.tar --key KEY' });
  }
  const first = parts[0]!;
  const target = output ?? (parts.length > 1 ? first.replace(/\.\d{3,}$/, '') : first);
  const splitSize = parts.length > 1 ? (await stat(first)).size : undefined;
  const sink = openBundleSink(target, splitSize === undefined ? {} : { splitSize });
  const tar = new TarWriter(sink, { mtime: Math.floor(Date.parse(bundle.manifest.created) / 1000) });
  const root = bundle.layout.root;
  try {
    let wroteNew = false;
    for await (const { entry, stream } of bundle.reader.sequential()) {
      const rel = entry.path.startsWith(root) ? entry.path.slice(root.length) : undefined;
      if (entry.type !== 'file' || isJunk(entry) || rel === undefined) {
        stream.resume();
        continue;
      }
      // The new signature goes right after the last existing one (or after airlock.json).
      if (!wroteNew && rel !== MANIFEST_FILE && !isSignatureEntry(rel)) {
        await tar.addFile(file.name, file.bytes.length, file.bytes);
        wroteNew = true;
      }
      await tar.addFile(rel, entry.size, stream);
    }
    await tar.finish();
    const files = await sink.commit();
    return { signature: file.name, added, checked, files };
  } catch (err) {
    sink.destroy();
    await sink.abort();
    throw err;
  }
}
