import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExitCode } from '../src/cli/exit.js';
import { tarEntries } from './helpers/archives.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { rawManifest } from './harness/skopeo.js';
import { makeBlob, makeImage, makeMultiArch } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const bin = new URL('../bin/airlock', import.meta.url).pathname;
const registry = inject('registry');
const ns = `cli-${process.pid}`;
let dir: string;
let target: RunningRegistry;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (the global setup rebuilds dist/ when a source is newer). */
function airlock(...args: string[]): Promise<Run> {
  return airlockWithInput(undefined, ...args);
}

function airlockWithInput(input: string | undefined, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

const multi = makeMultiArch('cli-multi', { layerSize: 10_000 });
const single = makeImage({ layers: [makeBlob('cli-one', 5000)], label: 'cli-one' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-cli-'));
  target = await startRegistry();
  await seedWithSkopeo(registry, [
    { built: multi, repo: `${ns}/multi`, tag: 'v1' },
    { built: single, repo: `${ns}/one`, tag: '1' },
  ]);
  expect((await airlock('keygen', '--out', join(dir, 'vendor'))).code).toBe(0);
  expect((await airlock('keygen', '--out', join(dir, 'security'))).code).toBe(0);
});

afterAll(async () => {
  await target?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the airlock command line', () => {
  it('answers --help and --version, and refuses unknown commands and options with exit 2', async () => {
    const help = await airlock('--help');
    expect(help.code).toBe(0);
    for (const cmd of ['keygen', 'pack', 'verify', 'sign', 'inspect', 'unpack', 'push', 'login']) expect(help.stdout).toContain(cmd);
    expect((await airlock('--version')).stdout).toMatch(/airlock\/\d+\.\d+\.\d+/);
    const unknown = await airlock('frobnicate');
    expect(unknown.code).toBe(ExitCode.USAGE);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect((await airlock('verify', 'x.tar', '--bogus')).code).toBe(ExitCode.USAGE);
  });

  it('keygen refuses to overwrite a key', async () => {
    const again = await airlock('keygen', '--out', join(dir, 'vendor'));
    expect(again.code).toBe(ExitCode.USAGE);
    expect(again.stderr).toContain('vendor.key already exists');
  });

  it('pack needs a key or an explicit --no-sign', async () => {
    const r = await airlock('pack', '--image', `${registry}/${ns}/one:1`, '-o', join(dir, 'nokey.tar'));
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/--no-sign/);
  });

  it('packs, inspects, verifies, co-signs, unpacks and pushes, with distinct exit codes for each failure', async () => {
    const bundle = join(dir, 'bundle.tar');
    const list = join(dir, 'images.txt');
    await writeFile(list, `# the vendor portal's list, pasted\n${registry}/${ns}/multi:v1\n\n${registry}/${ns}/one:1   # worker\n`);
    const pack = await airlock('pack', '--images', list, '--key', join(dir, 'vendor.key'), '-o', bundle, '--json');
    expect(pack.code, pack.stderr).toBe(0);
    const packed = JSON.parse(pack.stdout) as { artifacts: { name: string; digest: string }[] };
    expect(packed.artifacts.map((a) => a.name).sort()).toEqual([`${registry}/${ns}/multi:v1`, `${registry}/${ns}/one:1`]);

    const inspect = JSON.parse((await airlock('inspect', bundle, '--json')).stdout) as { images: number; created: string };
    expect(inspect).toMatchObject({ images: 2, created: '2023-11-14T22:13:20Z' });

    const ok = await airlock('verify', bundle, '--key', join(dir, 'vendor.pub'), '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, signed: true });
    const wrongKey = await airlock('verify', bundle, '--key', join(dir, 'security.pub'));
    expect(wrongKey.code).toBe(ExitCode.SIGNATURE);
    expect(wrongKey.stderr).toContain('did not sign');

    // The security team adds its signature; the far side then requires both keys.
    const signed = join(dir, 'cosigned.tar');
    const sign = await airlock('sign', bundle, '--key', join(dir, 'security.key'), '--require', join(dir, 'vendor.pub'), '-o', signed);
    expect(sign.code, sign.stderr).toBe(0);
    const both = await airlock('verify', signed, '--key', join(dir, 'vendor.pub'), '--key', join(dir, 'security.pub'));
    expect(both.code, both.stderr).toBe(0);
    expect((await airlock('verify', bundle, '--key', join(dir, 'vendor.pub'), '--key', join(dir, 'security.pub'))).code).toBe(ExitCode.SIGNATURE);
    const names = (await tarEntries(signed)).map((e) => e.path);
    expect(names.slice(0, 3)).toEqual(['airlock.json', 'airlock.json.sigstore.json', 'airlock.json.sigstore.2.json']);

    const tampered = join(dir, 'tampered.tar');
    const bytes = await readFile(bundle);
    const last = (await tarEntries(bundle)).at(-1)!;
    bytes[last.offset!] = (bytes[last.offset!] ?? 0) ^ 1;
    await writeFile(tampered, bytes);
    const bad = await airlock('verify', tampered, '--key', join(dir, 'vendor.pub'));
    expect(bad.code).toBe(ExitCode.INTEGRITY);
    expect(bad.stderr).toContain(last.path);

    const out = join(dir, 'unpacked');
    expect((await airlock('unpack', bundle, '-o', out, '--key', join(dir, 'vendor.pub'))).code).toBe(0);
    expect((await rawManifest(`oci:${out}:${registry}/${ns}/multi:v1`)).equals(multi.manifest)).toBe(true);

    const plan = await airlock('push', bundle, '--registry', `${target.host}/mirror`, '--key', join(dir, 'vendor.pub'), '--dry-run', '--plan-format', 'ecr');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`--repository-name mirror/${ns}/multi`);
    const report = join(dir, 'report.json');
    const push = await airlock('push', out, '--registry', `${target.host}/mirror`, '--key', join(dir, 'vendor.pub'), '--report', report);
    expect(push.code, push.stderr).toBe(0);
    const items = (JSON.parse(await readFile(report, 'utf8')) as { items: { target: string; digest: string; status: string }[] }).items;
    expect(items.map((i) => i.status)).toEqual(['pushed', 'pushed']);
    expect((await rawManifest(`docker://${target.host}/mirror/${ns}/multi:v1`)).equals(multi.manifest)).toBe(true);
    // --json: one JSON document on stdout and exit 0, here with everything already there.
    const again = await airlock('push', out, '--registry', `${target.host}/mirror`, '--key', join(dir, 'vendor.pub'), '--json');
    expect(again.code, again.stdout).toBe(0);
    expect((JSON.parse(again.stdout) as { ok: boolean; items: { status: string }[] }).items.map((i) => i.status)).toEqual(['skipped', 'skipped']);

    const unsigned = await airlock('push', bundle, '--registry', `${target.host}/mirror`);
    expect(unsigned.code).toBe(ExitCode.USAGE);
    expect(unsigned.stderr).toContain('--key');
    expect((await readdir(dir)).filter((f) => f.includes('.partial') || f.includes('.staging'))).toEqual([]);
  });
});

describe('credentials on the command line', () => {
  it('pushes to a registry that needs a login with --creds and --password-stdin, and never prints the password', async () => {
    const locked = await startRegistry({ htpasswd: { user: 'robot', password: 'pw-7Hs9-secret' } });
    try {
      const bundle = join(dir, 'creds.tar');
      expect((await airlock('pack', '--image', `${registry}/${ns}/one:1`, '--no-sign', '-o', bundle)).code).toBe(0);
      const anonymous = await airlock('push', bundle, '--registry', `${locked.host}/x`, '--allow-unsigned');
      expect(anonymous.code).toBe(ExitCode.AUTH);
      const wrong = await airlockWithInput('not-the-pw-4471\n', 'push', bundle, '--registry', `${locked.host}/x`, '--allow-unsigned', '--creds', `${locked.host}=robot`, '--password-stdin');
      expect(wrong.code).toBe(ExitCode.AUTH);
      expect(wrong.stdout + wrong.stderr).not.toContain('not-the-pw-4471');
      const ok = await airlockWithInput('pw-7Hs9-secret\n', 'push', bundle, '--registry', `${locked.host}/x`, '--allow-unsigned', '--creds', `${locked.host}=robot`, '--password-stdin');
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout + ok.stderr).not.toContain('pw-7Hs9-secret');
      const bad = await airlock('push', bundle, '--registry', `${locked.host}/x`, '--allow-unsigned', '--creds', 'nonsense-with-secret');
      expect(bad.code).toBe(ExitCode.USAGE);
      expect(bad.stderr).not.toContain('nonsense-with-secret');
    } finally {
      await locked.stop();
    }
  });
});

describe('option values stay as typed', () => {
  it('keeps numeric-looking versions and tags as strings (cac would make 1.10 into 1.1)', async () => {
    const { keepOptionStrings } = await import('../src/cli/main.js');
    const parsed: Record<string, unknown> = { chartVersion: [1.1, 2], out: 5, json: true };
    keepOptionStrings(
      ['node', 'airlock', 'pack', '--chart-version', '1.10', '--chart-version=2.0', '-o', '05', '--json', '--', '--chart-version', '9'],
      [
        { rawName: '--chart-version <v>', names: ['chartVersion'] },
        { rawName: '-o, --out <file>', names: ['o', 'out'] },
        { rawName: '--json', names: ['json'], isBoolean: true },
      ],
      parsed,
    );
    expect(parsed).toEqual({ chartVersion: ['1.10', '2.0'], out: '05', o: '05', json: true });
  });
});
