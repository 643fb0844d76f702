import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBundle } from '../../src/bundle/write.js';
import { openLayout } from '../../src/layout/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PublicKey } from '../../src/sign/index.js';
import { writeToTarget, type Built } from './images.js';

export interface ImageBundle {
  path: string;
  /** The packer's public key, as a file for the CLI and parsed for the library. */
  pubFile: string;
  pub: PublicKey;
}

/** A signed bundle of built images under the given names, written from a layout in `dir`: no registry needed. */
export async function imageBundle(dir: string, images: { name: string; built: Built }[]): Promise<ImageBundle> {
  const pair = await generateKeyPair();
  const pubFile = join(dir, 'vendor.pub');
  await writeFile(pubFile, pair.publicKeyPem);
  const staging = await openLayout(join(dir, 'staging'), { create: true });
  const roots = [];
  for (const { name, built } of images) roots.push({ kind: 'image' as const, source: name, name, root: await writeToTarget(staging, built) });
  const path = join(dir, 'bundle.tar');
  await writeBundle(staging, roots, {
    output: path,
    key: parsePrivateKey(pair.privateKeyPem, 'vendor.key'),
    spec: { images: images.map((i) => i.name) },
    epoch: 1_700_000_000,
  });
  return { path, pubFile, pub: parsePublicKey(pair.publicKeyPem, 'vendor.pub') };
}
