import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mirrorRules, parseMirrorFlag, parseTomlLite, pullLocations, readRegistriesConf } from '../src/registry/index.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { rawManifest } from './harness/skopeo.js';
import { makeBlob, makeImage } from './helpers/images.js';
import { makeChartTgz, seedWithSkopeo } from './helpers/seed.js';

const CONF = `# /etc/containers/registries.conf, v2
unqualified-search-registries = [
  "docker.io", # the default
  'quay.io',
]

[aliases]
"app" = "quay.io/org/app"

[[registry]]
prefix = "quay.io"
location = "quay.io"
insecure = false

[[registry.mirror]]
location = "mirror-a.corp.example/quay"

[[registry.mirror]]
location = "mirror-b.corp.example/quay"
pull-from-mirror = "digest-only"

[[registry]]
prefix = "quay.io/org/special"
location = "special.example/vendored"

[[registry]]
location = "docker.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "hub-proxy.corp.example"

[[registry]]
prefix = "evil.example"
blocked = true
`;

describe('registries.conf and --mirror', () => {
  const rules = mirrorRules(parseTomlLite(CONF, 'registries.conf'), 'registries.conf');

  it('reads the TOML subset registries.conf uses, and refuses what it does not know', () => {
    const conf = parseTomlLite(CONF, 'r.conf');
    expect(conf['unqualified-search-registries']).toEqual(['docker.io', 'quay.io']);
    expect(conf.aliases).toEqual({ app: 'quay.io/org/app' });
    expect(rules.map((r) => [r.prefix, r.mirrors.length])).toEqual([['quay.io', 2], ['quay.io/org/special', 0], ['docker.io', 1], ['evil.example', 0]]);
    expect(() => parseTomlLite('key = {inline = 1}', 'x.conf')).toThrow(/x\.conf:1/);
    expect(() => parseTomlLite('[[registry]]\nprefix = "a" trailing', 'x.conf')).toThrow(/x\.conf:2/);
  });

  it('tries mirrors in order, then the registry, by the longest prefix, as skopeo does', () => {
    expect(pullLocations('quay.io/org/app', false, rules)).toEqual(['mirror-a.corp.example/quay/org/app', 'quay.io/org/app']);
    expect(pullLocations('quay.io/org/app', true, rules)).toEqual(['mirror-a.corp.example/quay/org/app', 'mirror-b.corp.example/quay/org/app', 'quay.io/org/app']);
    expect(pullLocations('quay.io/org/special/x', false, rules)).toEqual(['special.example/vendored/x']);
    expect(pullLocations('quay.io/organisation/x', false, rules)[0]).toBe('mirror-a.corp.example/quay/organisation/x');
    // docker.io stays docker.io (the client speaks to registry-1.docker.io) unless a mirror says otherwise.
    expect(pullLocations('docker.io/library/nginx', false, rules)).toEqual(['docker.io/library/nginx']);
    expect(pullLocations('docker.io/library/nginx', true, rules)).toEqual(['hub-proxy.corp.example/library/nginx', 'docker.io/library/nginx']);
    expect(pullLocations('ghcr.io/org/app', false, rules)).toEqual(['ghcr.io/org/app']);
    expect(() => pullLocations('evil.example/x', false, rules)).toThrow(/blocked/);
    // A --mirror flag comes first and wins for its prefix.
    const flagged = [parseMirrorFlag('quay.io=127.0.0.1:5000/q'), ...rules];
    expect(pullLocations('quay.io/org/app', false, flagged)).toEqual(['127.0.0.1:5000/q/org/app', 'quay.io/org/app']);
    expect(parseMirrorFlag('index.docker.io=hub.corp').prefix).toBe('docker.io');
    expect(() => parseMirrorFlag('quay.io')).toThrow(/SOURCE_HOST=MIRROR_HOST/);
    expect(() => parseMirrorFlag('quay.io=https://m')).toThrow(/SOURCE_HOST=MIRROR_HOST/);
  });
});

describe('finding registries.conf as skopeo does', () => {
  it('reads the user file instead of the system one, then drop-ins in name order, the later winning', async () => {
    const root = await mkdtemp(join(tmpdir(), 'airlock-regconf-'));
    try {
      const home = join(root, 'home');
      const system = join(root, 'etc');
      const conf = (mirror: string) => `[[registry]]\nprefix = "quay.io"\n[[registry.mirror]]\nlocation = "${mirror}"\n`;
      await mkdir(join(system, 'registries.conf.d'), { recursive: true });
      await writeFile(join(system, 'registries.conf'), conf('system.example'));
      expect(pullLocations('quay.io/a', false, await readRegistriesConf({}, home, system))[0]).toBe('system.example/a');
      await writeFile(join(system, 'registries.conf.d', '10-a.conf'), conf('dropin-a.example'));
      await writeFile(join(system, 'registries.conf.d', '20-b.conf'), conf('dropin-b.example'));
      await writeFile(join(system, 'registries.conf.d', 'shortnames.conf'), '[aliases]\n  "x" = "docker.io/library/x"\n');
      expect(pullLocations('quay.io/a', false, await readRegistriesConf({}, home, system))[0]).toBe('dropin-b.example/a');
      await mkdir(join(home, '.config', 'containers'), { recursive: true });
      await writeFile(join(home, '.config', 'containers', 'registries.conf'), conf('user.example'));
      await mkdir(join(home, '.config', 'containers', 'registries.conf.d'));
      // The user's drop-in folder (empty) replaces the system's: the user's file rules.
      expect(pullLocations('quay.io/a', false, await readRegistriesConf({}, home, system))[0]).toBe('user.example/a');
      const only = join(root, 'only.conf');
      await writeFile(only, conf('only.example'));
      expect(pullLocations('quay.io/a', false, await readRegistriesConf({ CONTAINERS_REGISTRIES_CONF: only }, home, system))).toEqual(['only.example/a', 'quay.io/a']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('pack through a mirror (CLI, real registries)', () => {
  const registry = inject('registry');
  const bin = new URL('../bin/airlock', import.meta.url).pathname;
  const image = makeImage({ layers: [makeBlob('mirror-app', 4000)], label: 'mirror-app' });
  let dir: string;
  let target: RunningRegistry;

  const airlock = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', ...env } }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr });
      });
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-mirror-'));
    target = await startRegistry();
    // The mirror: the shared registry, holding quay.io's images under a quay.io/ prefix as a proxy cache does.
    await seedWithSkopeo(registry, [{ built: image, repo: `m${process.pid}/quay.io/org/app`, tag: '1' }]);
    expect((await airlock(['keygen', '--out', join(dir, 'vendor')])).code).toBe(0);
  });

  afterAll(async () => {
    await target?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('packs quay.io/org/app:1 from the mirror under its canonical name; push and values use that name', async () => {
    const chart = await makeChartTgz(dir, 'app', '1.0.0', {
      'values.yaml': 'image:\n  repository: quay.io/org/app\n  tag: "1"\n',
      // values reads the images the chart renders.
      'templates/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n',
    });
    const bundle = join(dir, 'flag.tar');
    const packed = await airlock(['pack', '--image', 'quay.io/org/app:1', '--chart', chart, '--mirror', `quay.io=${registry}/m${process.pid}/quay.io`, '--no-registries-conf', '--key', join(dir, 'vendor.key'), '-o', bundle]);
    expect(packed.code, packed.stderr).toBe(0);
    const inspect = JSON.parse((await airlock(['inspect', bundle, '--json'])).stdout) as { artifacts: { name: string; digest: string }[] };
    expect(inspect.artifacts.map((a) => a.name)).toContain('quay.io/org/app:1');
    expect(inspect.artifacts.find((a) => a.name === 'quay.io/org/app:1')!.digest).toBe(image.descriptor.digest);

    const pushed = await airlock(['push', bundle, '--registry', `${target.host}/vendor`, '--key', join(dir, 'vendor.pub')]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`${target.host}/vendor/org/app:1`);
    expect((await rawManifest(`docker://${target.host}/vendor/org/app:1`, ['--tls-verify=false'])).equals(image.manifest)).toBe(true);

    const values = await airlock(['values', bundle, '--registry', `${target.host}/vendor`, '--key', join(dir, 'vendor.pub')]);
    expect(values.code, values.stderr).toBe(0);
    expect(values.stdout).toContain(`${target.host}/vendor/org/app`);
    expect(values.stdout).not.toContain(registry);
  });

  it('reads the mirrors of registries.conf (CONTAINERS_REGISTRIES_CONF); a bad --mirror is a usage error', async () => {
    const conf = join(dir, 'registries.conf');
    await writeFile(conf, `[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n[[registry.mirror]]\nlocation = "${registry}/m${process.pid}/quay.io"\n`);
    const bundle = join(dir, 'conf.tar');
    const packed = await airlock(['pack', '--image', 'quay.io/org/app:1', '--key', join(dir, 'vendor.key'), '-o', bundle], { CONTAINERS_REGISTRIES_CONF: conf });
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stdout).toContain('quay.io/org/app:1');
    expect(await readFile(bundle)).toBeTruthy();
    // Without the mirror the pack would go to quay.io itself: a loopback-only test stops at the flag check instead.
    const bad = await airlock(['pack', '--image', 'quay.io/org/app:1', '--mirror', 'quay.io', '--key', join(dir, 'vendor.key'), '-o', join(dir, 'x.tar')]);
    expect(bad.code).toBe(2);
  });
});
