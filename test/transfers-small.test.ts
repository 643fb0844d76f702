import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Through package.json "exports", as a user of the library imports them.
import { defaultStateDir, parseMirrorFlag, readRegistriesConf, UploadStateFiles, withMirrors } from 'airlock';
import { imageBundle } from './helpers/image-bundle.js';
import { makeBlob, makeImage } from './helpers/images.js';

const bin = new URL('../bin/airlock', import.meta.url).pathname;
let dir: string;
let bundle: string;
let pub: string;

const airlock = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr }));
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-small-'));
  ({ path: bundle, pubFile: pub } = await imageBundle(dir, [
    { name: 'ghcr.io/org/oci:1', built: makeImage({ layers: [makeBlob('small-oci', 3000)], label: 'oci' }) },
    { name: 'docker.io/library/old:1', built: makeImage({ layers: [makeBlob('small-docker', 3000)], label: 'docker', docker: true }) },
  ]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('small things from issue 17', () => {
  it('pack --help does not call --no-sign a default, and lists --progress and --mirror', async () => {
    const help = await airlock('pack', '--help');
    expect(help.code).toBe(0);
    const line = help.stdout.split('\n').find((l) => l.includes('--no-sign'))!;
    expect(line).toContain('Write an unsigned bundle');
    expect(line).not.toContain('default');
    expect(help.stdout).not.toContain('(default: true)');
    expect(help.stdout).toContain('--progress <mode>');
    expect(help.stdout).toContain('--mirror <src=mirror>');
    expect(help.stdout).toContain('--no-registries-conf');
    // The flag still means what it meant.
    expect((await airlock('pack', '--image', 'ghcr.io/org/x:1', '-o', join(dir, 'x.tar'))).stderr).toContain('pack needs --key');
  });

  it('unpack BUNDLE DIR takes the folder as a positional argument, and names Docker-typed refs', async () => {
    const out = join(dir, 'layout');
    const run = await airlock('unpack', bundle, out, '--key', pub);
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(out)).sort()).toContain('index.json');
    const note = run.stdout.split('\n').filter((l) => l.includes('Docker schema2'));
    expect(note).toHaveLength(1);
    expect(note[0]).toContain('docker.io/library/old:1');
    expect(note[0]).not.toContain('ghcr.io/org/oci:1');
    expect(note[0]).toContain('airlock push');
    const json = JSON.parse((await airlock('unpack', bundle, '-o', join(dir, 'layout2'), '--key', pub, '--json')).stdout) as { dockerTyped: string[] };
    expect(json.dockerTyped).toEqual(['docker.io/library/old:1']);
    expect((await airlock('unpack', bundle, '--key', pub)).code).toBe(2);
  });

  it('the library exports what resumable pushes and mirrored pulls need', async () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/s' }, '/h')).toBe('/s/airlock');
    expect(new UploadStateFiles(dir)).toBeDefined();
    expect(await readRegistriesConf({ CONTAINERS_REGISTRIES_CONF: join(dir, 'none.conf') })).toEqual([]);
    const opened: string[] = [];
    const open = withMirrors([parseMirrorFlag('quay.io=mirror.example/q')], (ref) => (opened.push(`${ref.registry}/${ref.repository}`), { name: 'x', resolve: async () => Promise.reject(new Error('x')), fetch: async () => Promise.reject(new Error('x')) }));
    expect(open({ registry: 'quay.io', repository: 'org/app', tag: '1' }).name).toBe('quay.io/org/app');
    expect(opened).toEqual(['mirror.example/q/org/app', 'quay.io/org/app']);
  });
});
