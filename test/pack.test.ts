import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pack, type PackOptions } from '../src/bundle/pack.js';
import { openSignedBundle } from '../src/bundle/read.js';
import { verifySignatures } from '../src/bundle/signers.js';
import { verifyContents } from '../src/bundle/verify.js';
import { validateSpec } from '../src/bundle/spec.js';
import { createUrlFetcher } from '../src/registry/index.js';
import { RegistryPool } from '../src/registry/index.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type PrivateKey, type PublicKey } from '../src/sign/index.js';
import { rawManifest, skopeoCopy } from './harness/skopeo.js';
import { makeBlob, makeChart, makeImage, makeMultiArch, sha256 } from './helpers/images.js';
import { makeChartTgz, seedWithSkopeo } from './helpers/seed.js';

const run = promisify(execFile);
const registry = inject('registry');
const ns = `pack-${process.pid}`;

let dir: string;
let key: PrivateKey;
let pub: PublicKey;
let pool: RegistryPool;
let http: ReturnType<typeof createUrlFetcher>;
let chartServer: Server;
let chartRepo: string;
let repoTgz: string;

function options(output: string, extra: Partial<PackOptions> = {}): PackOptions {
  return {
    output,
    key,
    openRepository: (ref) => pool.repository(ref),
    fetchUrl: http.fetch,
    epoch: 1_700_000_000,
    ...extra,
  };
}

const multi = makeMultiArch('pack-multi', { layerSize: 50_000 });
const base = makeBlob('pack-shared-base', 80_000);
const single1 = makeImage({ layers: [base, makeBlob('pack-s1', 10_000)], label: 's1' });
const single2 = makeImage({ layers: [base, makeBlob('pack-s2', 10_000)], label: 's2' });
const chart = makeChart('ocichart', '0.1.0');
// Helm stores version 1.2.3+build.7 under the tag 1.2.3_build.7.
const buildChart = makeChart('buildchart', '1.2.3+build.7');

// A classic repository chart whose Chart.yaml keeps YAML types Helm's Go struct turns into strings.
const TYPED_CHART_YAML = `apiVersion: v2
name: typed
version: 3.0.0+meta.1
appVersion: 1.0
keywords: [web, 8]
annotations:
  artifacthub.io/prerelease: false
type: application
`;
let typedTgz: string;

async function extract(tarPath: string): Promise<string> {
  const out = await mkdtemp(join(dir, 'x-'));
  await run('tar', ['-xf', tarPath, '-C', out]);
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-pack-'));
  const pair = await generateKeyPair();
  key = parsePrivateKey(pair.privateKeyPem, 'k.key');
  pub = parsePublicKey(pair.publicKeyPem, 'k.pub');
  pool = new RegistryPool({});
  http = createUrlFetcher({});
  await seedWithSkopeo(registry, [
    { built: multi, repo: `${ns}/multi`, tag: 'v1' },
    { built: single1, repo: `${ns}/one`, tag: '1.0' },
    { built: single2, repo: `${ns}/two`, tag: '2.0' },
    { built: chart, repo: `${ns}/charts/ocichart`, tag: '0.1.0' },
    { built: buildChart, repo: `${ns}/charts/buildchart`, tag: '1.2.3_build.7' },
  ]);
  // A classic chart repository, served by the test on loopback: index.yaml with a relative URL.
  const repoDir = join(dir, 'repo');
  await mkdir(repoDir);
  repoTgz = await makeChartTgz(repoDir, 'classic', '2.3.4');
  const digest = sha256(await readFile(repoTgz)).slice('sha256:'.length);
  typedTgz = await makeChartTgz(repoDir, 'typed', '3.0.0+meta.1', { 'Chart.yaml': TYPED_CHART_YAML });
  const index =
    `apiVersion: v1\nentries:\n  classic:\n    - name: classic\n      version: 2.3.4\n      digest: ${digest}\n      urls: [charts/classic-2.3.4.tgz]\n    - name: classic\n      version: 2.4.0-rc.1\n      urls: [charts/classic-2.4.0-rc.1.tgz]\n` +
    `  typed:\n    - name: typed\n      version: 3.0.0+meta.1\n      appVersion: 1.0\n      urls: [charts/typed-3.0.0+meta.1.tgz]\n`;
  chartServer = createServer((req, res) => {
    if (req.url === '/stable/index.yaml') res.end(index);
    else if (req.url === '/stable/charts/classic-2.3.4.tgz') createReadStream(repoTgz).pipe(res);
    else if (req.url === '/stable/charts/typed-3.0.0+meta.1.tgz') createReadStream(typedTgz).pipe(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => chartServer.listen(0, '127.0.0.1', r));
  const address = chartServer.address();
  chartRepo = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/stable/`;
});

afterAll(async () => {
  pool.close();
  http.close();
  chartServer?.close();
  await rm(dir, { recursive: true, force: true });
});

const spec = () =>
  validateSpec(
    {
      images: [`${registry}/${ns}/multi:v1`, `${registry}/${ns}/one:1.0`, `${registry}/${ns}/two:2.0`],
      charts: [
        { ref: `oci://${registry}/${ns}/charts/ocichart`, version: '0.1.0' },
        { ref: `${chartRepo}classic`, version: '2.3.4' },
      ],
    },
    'test',
  );

describe('pack against a real registry', () => {
  it('writes a signed bundle skopeo reads with the source\'s exact digests, deterministic across runs', async () => {
    const out = join(dir, 'bundle.tar');
    const result = await pack(spec(), options(out));
    expect(result.files).toEqual([out]);
    // Nothing left beside it: no staging folder, no temp file.
    expect((await readdir(dir)).filter((f) => f.startsWith('.bundle.tar'))).toEqual([]);

    const layout = await extract(out);
    for (const [repo, tag] of [['multi', 'v1'], ['one', '1.0'], ['two', '2.0'], ['charts/ocichart', '0.1.0']] as const) {
      const fromRegistry = await rawManifest(`docker://${registry}/${ns}/${repo}:${tag}`);
      const fromBundle = await rawManifest(`oci:${layout}:${registry}/${ns}/${repo}:${tag}`);
      expect(fromBundle.equals(fromRegistry), `${repo}:${tag}`).toBe(true);
    }
    const multiEntry = result.manifest.artifacts.find((a) => a.name.endsWith('/multi:v1'))!;
    expect(multiEntry.digest).toBe(multi.descriptor.digest);
    expect(multiEntry.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
    // The shared base layer is carried once.
    const baseFiles = result.manifest.files.filter((f) => f.path.endsWith(sha256(base).slice(7)));
    expect(baseFiles).toHaveLength(1);

    const classic = result.manifest.artifacts.find((a) => a.chart?.name === 'classic')!;
    expect(classic.name).toBe(`127.0.0.1:${new URL(chartRepo).port}/stable/classic:2.3.4`);
    // The chart archive travels byte for byte as the Helm chart layer.
    const tgzHex = sha256(await readFile(repoTgz)).slice(7);
    expect((await readFile(join(layout, 'blobs/sha256', tgzHex))).equals(await readFile(repoTgz))).toBe(true);

    const bundle = await openSignedBundle(out);
    try {
      expect(await verifySignatures(bundle, { keys: [pub] })).toHaveLength(1);
      await verifyContents(bundle);
    } finally {
      await bundle.close();
    }

    const again = join(dir, 'again.tar');
    await pack(spec(), options(again));
    expect((await readFile(again)).equals(await readFile(out))).toBe(true);
  });

  it('records every chart version in SemVer form, takes + in an oci:// tag, and writes configs Helm can decode', async () => {
    const out = join(dir, 'versions.tar');
    const local = await makeChartTgz(join(dir, 'repo'), 'local', '0.2.0+git.abc', {
      'Chart.yaml': 'apiVersion: v2\nname: local\nversion: 0.2.0+git.abc\nappVersion: true\n',
    });
    const result = await pack(
      validateSpec(
        {
          charts: [
            { ref: `oci://${registry}/${ns}/charts/buildchart:1.2.3+build.7` },
            { ref: `${chartRepo}typed`, version: '3.0.0+meta.1' },
            { ref: local },
          ],
        },
        't',
      ),
      options(out),
    );
    const port = new URL(chartRepo).port;
    // Names are references, so they keep the tag form; the recorded version is SemVer for every source.
    const byName = new Map(result.manifest.artifacts.map((a) => [a.name, a]));
    expect(new Map([...byName].map(([name, a]) => [name, a.chart]))).toEqual(new Map([
      [`${registry}/${ns}/charts/buildchart:1.2.3_build.7`, { name: 'buildchart', version: '1.2.3+build.7' }],
      [`127.0.0.1:${port}/stable/typed:3.0.0_meta.1`, { name: 'typed', version: '3.0.0+meta.1' }],
      ['charts/local:0.2.0_git.abc', { name: 'local', version: '0.2.0+git.abc' }],
    ]));
    // The oci:// chart was fetched from its _ tag, byte for byte.
    expect(byName.get(`${registry}/${ns}/charts/buildchart:1.2.3_build.7`)!.digest).toBe(buildChart.descriptor.digest);

    const layout = await extract(out);
    const configOf = async (name: string) => {
      const manifest = JSON.parse((await rawManifest(`oci:${layout}:${name}`)).toString()) as { config: { digest: string } };
      return (await readFile(join(layout, 'blobs/sha256', manifest.config.digest.slice(7)))).toString();
    };
    expect(await configOf(`127.0.0.1:${port}/stable/typed:3.0.0_meta.1`)).toBe(
      '{"name":"typed","version":"3.0.0+meta.1","keywords":["web","8"],"apiVersion":"v2","appVersion":"1",' +
        '"annotations":{"artifacthub.io/prerelease":"false"},"type":"application"}',
    );
    expect(await configOf('charts/local:0.2.0_git.abc')).toBe('{"name":"local","version":"0.2.0+git.abc","apiVersion":"v2","appVersion":"true"}');

    // The registry takes the chart manifest as helm push writes it (no mediaType field), bytes unchanged.
    const target = `docker://${registry}/${ns}/mirror/typed:3.0.0_meta.1`;
    await skopeoCopy(`oci:${layout}:127.0.0.1:${port}/stable/typed:3.0.0_meta.1`, target, ['--preserve-digests']);
    const pushed = await rawManifest(target);
    expect(pushed.equals(await rawManifest(`oci:${layout}:127.0.0.1:${port}/stable/typed:3.0.0_meta.1`))).toBe(true);
    expect(JSON.parse(pushed.toString())).not.toHaveProperty('mediaType');
  });

  it('keeps only the asked platforms when told, and refuses to change a pinned index digest', async () => {
    const out = join(dir, 'amd64.tar');
    const result = await pack(validateSpec({ images: [`${registry}/${ns}/multi:v1`], platforms: ['linux/amd64'] }, 't'), options(out));
    const artifact = result.manifest.artifacts[0]!;
    expect(artifact.platforms).toEqual(['linux/amd64']);
    expect(artifact.digest).not.toBe(multi.descriptor.digest);
    const pinned = validateSpec({ images: [`${registry}/${ns}/multi@${multi.descriptor.digest}`], platforms: ['linux/amd64'] }, 't');
    await expect(pack(pinned, options(join(dir, 'pinned.tar')))).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('pinned by digest') });
    await expect(stat(join(dir, 'pinned.tar'))).rejects.toThrow();
  });

  it('with --cache, a second pack downloads nothing', async () => {
    const cache = join(dir, 'cache');
    let fetched = 0;
    const counting = (extra: Partial<PackOptions> = {}) =>
      options(join(dir, `cached-${fetched}-${Math.random()}.tar`), {
        cache,
        openRepository: (ref) => {
          const target = pool.repository(ref);
          return {
            name: target.name,
            resolve: (r: string) => target.resolve(r),
            fetch: async (d) => {
              if (!d.mediaType.includes('manifest') && !d.mediaType.includes('index')) fetched++;
              return target.fetch(d);
            },
          };
        },
        ...extra,
      });
    await pack(spec(), counting());
    expect(fetched).toBeGreaterThan(0);
    fetched = 0;
    await pack(spec(), counting());
    expect(fetched).toBe(0);
  });

  it('fails with one clear error naming the reference, leaving nothing under the output name', async () => {
    const out = join(dir, 'missing.tar');
    await expect(pack(validateSpec({ images: [`${registry}/${ns}/nope:1`] }, 't'), options(out))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(`${ns}/nope`),
    });
    await expect(stat(out)).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.startsWith('.missing.tar'))).toEqual([]);
    await expect(pack(validateSpec({ charts: [{ ref: `${chartRepo}classic`, version: '9.9.9' }] }, 't'), options(out))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('version 9.9.9'),
    });
    await expect(stat(out)).rejects.toThrow();
  });

  it('splits into parts of at most the given size that read back as one bundle', async () => {
    const out = join(dir, 'split.tar');
    const result = await pack(spec(), options(out, { splitSize: 64 * 1024 }));
    expect(result.files.length).toBeGreaterThan(2);
    for (const f of result.files) expect((await stat(f)).size).toBeLessThanOrEqual(64 * 1024);
    expect(result.files.map((f) => basename(f))).toEqual(result.files.map((_, i) => `split.tar.${String(i).padStart(3, '0')}`));
    const bundle = await openSignedBundle(result.files[0]!);
    try {
      await verifySignatures(bundle, { keys: [pub] });
      await verifyContents(bundle);
    } finally {
      await bundle.close();
    }
  });
});
