import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushBundle } from '../src/bundle/push.js';
import { parseTargetRegistry } from '../src/bundle/mapping.js';
import { openSignedBundle } from '../src/bundle/read.js';
import { signBundle } from '../src/bundle/sign.js';
import { unpackBundle } from '../src/bundle/unpack.js';
import { openVerifiedBundle, VerifiedBundle } from '../src/bundle/verified.js';
import { writeBundle } from '../src/bundle/write.js';
import { openLayout } from '../src/layout/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PrivateKey, type PublicKey } from '../src/sign/index.js';
import { values } from '../src/workflows/values.js';
import { makeImage, makeBlob, writeToTarget } from './helpers/images.js';

let dir: string;
let bundlePath: string;
let priv: PrivateKey;
let pub: PublicKey;
let stranger: PublicKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-verified-'));
  const pair = await generateKeyPair();
  priv = parsePrivateKey(pair.privateKeyPem, 'packer.key');
  pub = parsePublicKey(pair.publicKeyPem, 'packer.pub');
  stranger = parsePublicKey((await generateKeyPair()).publicKeyPem, 'stranger.pub');
  const staging = await openLayout(join(dir, 'staging'), { create: true });
  const root = await writeToTarget(staging, makeImage({ layers: [makeBlob('v', 2000)], label: 'v' }));
  bundlePath = join(dir, 'bundle.tar');
  await writeBundle(staging, [{ kind: 'image', source: 'ghcr.io/org/v:1', name: 'ghcr.io/org/v:1', root }], { output: bundlePath, key: priv, spec: {}, epoch: 1_700_000_000 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const push = { registry: parseTargetRegistry('127.0.0.1:9/x'), openRepository: () => { throw new Error('must not be reached'); } };

describe('trust is a type: acting on a bundle needs a VerifiedBundle', () => {
  it('refuses an opened but unchecked bundle, at compile time and at run time', async () => {
    const opened = await openSignedBundle(bundlePath);
    try {
      // @ts-expect-error an OpenedBundle is not a VerifiedBundle
      await expect(pushBundle(opened, push)).rejects.toMatchObject({ code: 'INTERNAL', message: /push needs a bundle whose signature was checked/ });
      // @ts-expect-error not even an object shaped like one
      await expect(unpackBundle({ bundle: opened, signers: [], name: 'x', close: async () => undefined }, join(dir, 'out'))).rejects.toMatchObject({ code: 'INTERNAL' });
      // @ts-expect-error
      await expect(signBundle(opened, priv)).rejects.toMatchObject({ code: 'INTERNAL', message: /sign needs/ });
    } finally {
      await opened.close();
    }
  });

  it('is made only by the signature check, which remembers who signed', async () => {
    const verified = await openVerifiedBundle(bundlePath, { keys: [pub] });
    try {
      expect(verified).toBeInstanceOf(VerifiedBundle);
      expect(verified.signers.map((s) => s.kind)).toEqual(['key']);
    } finally {
      await verified.close();
    }
    await expect(openVerifiedBundle(bundlePath, { keys: [stranger] })).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('values checks the signature before it reads the chart or the image list', async () => {
    await expect(values(bundlePath, { registry: 'r.example/x', policy: { keys: [stranger] } })).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    // With the right key it gets as far as the content: this bundle carries no chart.
    await expect(values(bundlePath, { registry: 'r.example/x', policy: { keys: [pub] } })).rejects.toMatchObject({ code: 'USAGE', message: /carries no chart/ });
  });
});
