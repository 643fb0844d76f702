/**
 * Nothing private is recorded in a signed bundle: a password in a chart URL is
 * refused at parsing (never echoed), and a local chart is named by its file name,
 * not by the packer's absolute path.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from '../src/bundle/pack.js';
import { validateSpec } from '../src/bundle/spec.js';
import { AirlockError } from '../src/errors.js';
import { parseChartRef, parseImageRef, recordedChartRef } from '../src/ref/index.js';
import { generateKeyPair, parsePrivateKey } from '../src/sign/index.js';
import { packageChart } from './helpers/charts.js';

const PASSWORD = 'Hunter2-PASSWORD';

function refusal(fn: () => unknown): AirlockError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AirlockError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('credentials in chart URLs (item 7)', () => {
  it.each([
    [`http://alice:${PASSWORD}@127.0.0.1:8080/repo/app`, 'http://alice:***@127.0.0.1:8080/repo/app', '127.0.0.1:8080', 'a user name and password'],
    [`https://alice:${PASSWORD}@charts.example.com/stable/app`, 'https://alice:***@charts.example.com/stable/app', 'charts.example.com', 'a user name and password'],
    [`oci://alice:${PASSWORD}@127.0.0.1:5000/charts/app`, 'oci://alice:***@127.0.0.1:5000/charts/app', '127.0.0.1:5000', 'a user name and password'],
    [`https://${PASSWORD}@charts.example.com/stable/app`, 'https://***@charts.example.com/stable/app', 'charts.example.com', 'a user name'],
  ])('%s is refused without repeating the password', (input, shown, host, what) => {
    const err = refusal(() => parseChartRef(input, '1.0.0'));
    expect(err.code).toBe('REF_INVALID');
    expect(err.message).toBe(`chart reference "${shown}" holds ${what} in the URL`);
    expect(err.hint).toBe(`credentials in a reference would be written into the signed bundle; remove them and give the login with --creds ${host}=USER --password-stdin`);
    expect(err.hint).toContain(`--creds ${host}=USER --password-stdin`);
    expect(`${err.message} ${err.hint}`).not.toContain(PASSWORD);
  });

  it.each([
    [`alice:${PASSWORD}@registry.example.com/org/app:1`, 'image reference "alice:***@registry.example.com/org/app:1" holds a user name and password in the reference', 'registry.example.com'],
    [`https://alice:${PASSWORD}@registry.example.com/org/app:1`, 'image reference "https://alice:***@registry.example.com/org/app:1" holds a user name and password in the URL', 'registry.example.com'],
  ])('image reference %s is refused without repeating the password', (input, message, host) => {
    const err = refusal(() => parseImageRef(input));
    expect(err).toMatchObject({ code: 'REF_INVALID', message });
    expect(err.hint).toContain(`--creds ${host}=USER`);
  });

  it('a digest reference is not taken for a login', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageRef(`nginx@${digest}`).digest).toBe(digest);
    expect(parseImageRef(`127.0.0.1:5000/org/app@${digest}`).digest).toBe(digest);
  });

  it('pack refuses it before anything is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-refs-'));
    try {
      const spec = validateSpec({ charts: [{ ref: `http://alice:${PASSWORD}@127.0.0.1:9/repo/app`, version: '1.0.0' }] }, 'test');
      await expect(pack(spec, { output: join(dir, 'b.tar'), openRepository: () => { throw new Error('no registry'); }, fetchUrl: () => { throw new Error('no network'); }, epoch: 0 } as never)).rejects.toMatchObject({ code: 'REF_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('local chart paths (item 7)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-refs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('recordedChartRef keeps URLs and names a local archive by its file name', () => {
    expect(recordedChartRef('/home/alice/work/charts/app-1.0.0.tgz')).toBe('app-1.0.0.tgz');
    expect(recordedChartRef('./app-1.0.0.tar.gz')).toBe('app-1.0.0.tar.gz');
    expect(recordedChartRef('app.tgz')).toBe('app.tgz');
    expect(recordedChartRef('oci://ghcr.io/org/charts/app')).toBe('oci://ghcr.io/org/charts/app');
    expect(recordedChartRef('https://charts.example.com/stable/app')).toBe('https://charts.example.com/stable/app');
  });

  it('a packed local chart .tgz leaves no absolute path in airlock.json', async () => {
    const tgz = await packageChart({ name: 'localapp', version: '1.0.0' }, join(dir, 'deep', 'folder'));
    const pair = await generateKeyPair();
    const out = join(dir, 'b.tar');
    const result = await pack(validateSpec({ charts: [{ ref: tgz }] }, 'test'), {
      output: out,
      key: parsePrivateKey(pair.privateKeyPem, 'k.key'),
      openRepository: () => {
        throw new Error('no registry needed');
      },
      fetchUrl: () => {
        throw new Error('no network needed');
      },
      epoch: 1_700_000_000,
    } as never);
    const text = (await readFile(out)).toString('latin1');
    expect(text).not.toContain(dir);
    expect(result.manifest.artifacts.map((a) => a.source)).toEqual(['localapp-1.0.0.tgz']);
    expect(JSON.stringify(result.manifest)).toContain('"ref":"localapp-1.0.0.tgz"');
  });
});
