/**
 * A genuine signed bundle for the hostile-archive tests, and `verify` as the CLI
 * runs it (signature, then every byte), returning the AirlockError it fails with.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSignedBundle } from '../../src/bundle/read.js';
import { verifySignatures } from '../../src/bundle/signers.js';
import { verifyContents } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write.js';
import { isAirlockError } from '../../src/errors.js';
import { openLayout } from '../../src/layout/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PublicKey } from '../../src/sign/index.js';
import { tarEntries, type ForgeZipEntry } from './archives.js';
import { gnuExtract } from './hostile.js';
import { makeBlob, makeImage, writeToTarget } from './images.js';

export interface SignedFixture {
  dir: string;
  pub: PublicKey;
  /** The bundle tar as pack writes it. */
  path: string;
  genuine: Buffer;
  /** Its bytes up to (not including) the end-of-archive marker. */
  body: Buffer;
  genuineIndex: Buffer;
  blobPath: string;
  blobData: Buffer;
  /** Its files as zip entries, in order. */
  zipEntries: ForgeZipEntry[];
  save(name: string, bytes: Buffer): Promise<string>;
  verify(path: string): Promise<{ code: string; message: string } | undefined>;
  cleanup(): Promise<void>;
}

export const EVIL_INDEX = Buffer.from('{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:evil","size":1}]}');

export async function signedFixture(): Promise<SignedFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-sec-'));
  const pair = await generateKeyPair();
  const pub = parsePublicKey(pair.publicKeyPem, 'packer.pub');
  const staging = await openLayout(join(dir, 'staging'), { create: true });
  const image = makeImage({ layers: [makeBlob('layer', 3000)], label: 'sec' });
  const root = await writeToTarget(staging, image);
  const path = join(dir, 'bundle.tar');
  await writeBundle(staging, [{ kind: 'image', source: 'ghcr.io/org/app:v1', name: 'ghcr.io/org/app:v1', root }], {
    output: path,
    key: parsePrivateKey(pair.privateKeyPem, 'packer.key'),
    spec: { images: ['ghcr.io/org/app:v1'] },
    epoch: 1_700_000_000,
  });
  const genuine = await readFile(path);
  const entries = await tarEntries(path);
  const last = entries[entries.length - 1]!;
  const content = (e: (typeof entries)[number]): Buffer => genuine.subarray(e.offset!, e.offset! + e.size);
  const index = entries.find((e) => e.path === 'index.json')!;
  const blob = entries.find((e) => e.path.startsWith('blobs/'))!;
  const verify = async (file: string): Promise<{ code: string; message: string } | undefined> => {
    try {
      const bundle = await openSignedBundle(file);
      try {
        await verifySignatures(bundle, { keys: [pub] });
        await verifyContents(bundle);
      } finally {
        await bundle.close();
      }
      return undefined;
    } catch (err) {
      if (!isAirlockError(err)) throw err;
      return { code: err.code, message: err.message };
    }
  };
  return {
    dir,
    pub,
    path,
    genuine,
    body: genuine.subarray(0, last.offset! + last.size + ((512 - (last.size % 512)) % 512)),
    genuineIndex: content(index),
    blobPath: blob.path,
    blobData: content(blob),
    zipEntries: entries.map((e) => ({ name: e.path, data: content(e) })),
    async save(name, bytes) {
      const file = join(dir, name);
      await writeFile(file, bytes);
      return file;
    },
    verify,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** What GNU tar writes for index.json when it extracts `path`. */
export async function gnuIndex(path: string, args: string[] = []): Promise<Buffer> {
  const out = await gnuExtract(path, args);
  try {
    return await readFile(join(out.dir, 'index.json'));
  } finally {
    await rm(out.dir, { recursive: true, force: true });
  }
}
