import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// By the package's own name, as a GitOps controller or a CI script would: this goes
// through package.json "exports" to the built dist/, not to the sources.
import {
  AirlockError,
  createUrlFetcher,
  generateKeyPair,
  inspect,
  pack,
  parsePrivateKey,
  parsePublicKey,
  push,
  unpack,
  validateSpec,
  verify,
  VerifiedBundle,
  type PublicKey,
} from 'airlock';
import { packageChart } from './helpers/charts.js';

let dir: string;
let bundle: string;
let pub: PublicKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-library-'));
  const pair = await generateKeyPair();
  pub = parsePublicKey(pair.publicKeyPem, 'lib.pub');
  const chart = await packageChart({ name: 'libdemo', version: '0.1.0', values: 'image: ghcr.io/org/app:1\n' }, dir);
  bundle = join(dir, 'bundle.tar');
  const http = createUrlFetcher({});
  try {
    await pack(validateSpec({ charts: [{ ref: chart }] }, 'test'), {
      output: bundle,
      key: parsePrivateKey(pair.privateKeyPem, 'lib.key'),
      openRepository: () => {
        throw new Error('a local chart needs no registry');
      },
      fetchUrl: http.fetch,
      epoch: 1_700_000_000,
    });
  } finally {
    http.close();
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("import { pack, verify, push } from 'airlock'", () => {
  it('packs, inspects, verifies and unpacks with typed results', async () => {
    const summary = await inspect(bundle);
    expect(summary.charts).toBe(1);
    expect(summary.artifacts[0]?.chart).toEqual({ name: 'libdemo', version: '0.1.0' });
    const report = await verify(bundle, { keys: [pub] });
    expect(report.signers).toHaveLength(1);
    expect(report.checks.every((c) => c.ok)).toBe(true);
    const out = await unpack(bundle, join(dir, 'layout'), { keys: [pub] });
    expect(out.contents.files).toBe(report.files);
  });

  it('throws its one error type, with a code, before acting on a bundle it cannot trust', async () => {
    const stranger = parsePublicKey((await generateKeyPair()).publicKeyPem, 'stranger.pub');
    const refused = push(bundle, {
      policy: { keys: [stranger] },
      registry: { host: '127.0.0.1:9', prefix: '' },
      openRepository: () => {
        throw new Error('nothing may be opened before the signature holds');
      },
    });
    await expect(refused).rejects.toBeInstanceOf(AirlockError);
    await expect(refused).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(typeof VerifiedBundle.assert).toBe('function');
  });
});
