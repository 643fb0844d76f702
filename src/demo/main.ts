/**
 * `npm run demo`: the whole round trip on built-in data. Two real registries on
 * 127.0.0.1 (Debian's docker-registry), the source seeded from fixtures/, then the
 * airlock CLI itself: keygen, pack, inspect, verify, push, push again, and serve (the
 * bundle as a registry, one image pulled from it with skopeo). Everything it starts is
 * stopped and its temp folder removed at the end, whatever happens.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { create as createTar, extract as extractTar } from 'tar';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { copy } from '../copy/index.js';
import { verified } from '../content/verify.js';
import { cosignSign } from './cosign.js';
import { chartArtifact } from '../chart/chart.js';
import { openLayout } from '../layout/index.js';
import { parseImageRef } from '../ref/index.js';
import { RegistryPool } from '../registry/index.js';
import { FIXTURE_CHART, FIXTURE_IMAGES } from './fixtures.js';
import { startRegistry, type RunningRegistry } from './registry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'airlock');
// Bold only on a terminal and without NO_COLOR (no-color.org): a log file gets plain text.
const bold = process.stdout.isTTY === true && (process.env.NO_COLOR ?? '') === '';
const say = (line: string) => process.stdout.write(bold ? `\n\x1b[1m== ${line}\x1b[0m\n` : `\n== ${line}\n`);

function airlock(args: string[]): Promise<void> {
  process.stdout.write(`$ airlock ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`airlock ${args[0]} exited with ${code}`))));
  });
}

/** Puts the fixture images and chart into the source registry, as a vendor's registry would hold them. */
async function seed(source: RunningRegistry, work: string, pool: RegistryPool): Promise<{ images: string[]; chart: string }> {
  const fixtures = await openLayout(join(root, 'fixtures', 'images'));
  const images: string[] = [];
  for (const name of Object.values(FIXTURE_IMAGES)) {
    const [repo, tag] = name.split(':') as [string, string];
    const copied = await copy(fixtures, name, pool.repository({ registry: source.host, repository: repo }), { tags: [tag] });
    // The vendor signs its first image in the cosign format: pack carries the signature, verify checks it offline.
    if (images.length === 0) await cosignSign(pool.repository({ registry: source.host, repository: repo }), `${source.host}/${repo}`, copied.root.digest, join(work, 'vendor-cosign.pub'));
    images.push(`${source.host}/${name}`);
  }
  // The vendor's chart names the vendor's registry: SOURCE in the fixture becomes this run's host.
  const src = join(work, 'chart-src');
  await mkdir(src, { recursive: true });
  await extractTar({ file: join(root, 'fixtures', 'charts', `${FIXTURE_CHART.name}-${FIXTURE_CHART.version}.tgz`), cwd: src });
  const valuesFile = join(src, FIXTURE_CHART.name, 'values.yaml');
  await writeFile(valuesFile, (await readFile(valuesFile, 'utf8')).replaceAll('SOURCE', source.host));
  const tgz = join(work, `${FIXTURE_CHART.name}-${FIXTURE_CHART.version}.tgz`);
  await createTar({ gzip: true, file: tgz, cwd: src, portable: true, mtime: new Date(0) }, [FIXTURE_CHART.name]);
  // The chart goes in as `helm push` would put it: an OCI artifact.
  const staging = await openLayout(join(work, 'chart-staging'), { create: true });
  const chart = await chartArtifact(tgz);
  await staging.push(chart.config.descriptor, verified(Readable.from([chart.config.bytes]), chart.config.descriptor, 'chart config'));
  await staging.push(chart.layer.descriptor, verified((await import('node:fs')).createReadStream(chart.layer.path), chart.layer.descriptor, 'chart'));
  await staging.push(chart.manifest.descriptor, verified(Readable.from([chart.manifest.bytes]), chart.manifest.descriptor, 'chart manifest'));
  await staging.tag(chart.manifest.descriptor, 'chart');
  const repository = `charts/${FIXTURE_CHART.name}`;
  await copy(staging, 'chart', pool.repository({ registry: source.host, repository }), { tags: [FIXTURE_CHART.version] });
  return { images, chart: `oci://${source.host}/${repository}` };
}

/**
 * `airlock serve` in the background until its --ready-file holds the URL; then one
 * image pulled from it with skopeo, an independent client, and its digest checked.
 */
async function serveAndPull(bundle: string, pub: string, work: string, item: { source: string; digest: string }): Promise<void> {
  const ready = join(work, 'serve.url');
  const args = ['serve', bundle, '--key', pub, '--listen', '127.0.0.1:0', '--ready-file', ready];
  process.stdout.write(`$ airlock ${args.join(' ')} &\n`);
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    let url = '';
    for (let i = 0; i < 600 && url === '' && child.exitCode === null; i++) {
      url = await readFile(ready, 'utf8').then((t) => t.trim(), () => '');
      if (url === '') await new Promise((r) => setTimeout(r, 50));
    }
    if (url === '') throw new Error('airlock serve did not become ready');
    const { repository, tag } = parseImageRef(item.source);
    const from = `docker://${url.replace(/^https?:\/\//, '')}/${repository}:${tag}`;
    const layout = join(work, 'pulled');
    process.stdout.write(`$ skopeo copy --all --preserve-digests ${from} oci:${layout}:pulled\n`);
    await promisify(execFile)('skopeo', ['--insecure-policy', 'copy', '--all', '--quiet', '--preserve-digests', '--src-tls-verify=false', from, `oci:${layout}:pulled`]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const got = index.manifests[0]?.digest;
    process.stdout.write(`  ${got === item.digest ? 'same' : 'DIFFERENT'}  ${from}  ${got}\n`);
    if (got !== item.digest) throw new Error(`digest mismatch for ${from}`);
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`airlock serve exited with ${code}`);
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'airlock-demo-'));
  const started: RunningRegistry[] = [];
  const pool = new RegistryPool({});
  try {
    say('Starting two registries on 127.0.0.1 (Debian docker-registry)');
    const source = await startRegistry();
    started.push(source);
    const target = await startRegistry();
    started.push(target);
    process.stdout.write(`source (the vendor's side):   ${source.url}\ntarget (your internal side):  ${target.url}\n`);

    say('Seeding the source registry from fixtures/: a multi-arch image, a second image sharing its base layer, a Helm chart');
    const { images, chart } = await seed(source, work, pool);
    for (const ref of [...images, chart]) process.stdout.write(`  ${ref}\n`);

    say('Connected side: a signing key, then pack');
    const key = join(work, 'vendor');
    await airlock(['keygen', '--out', key]);
    const bundle = join(work, 'bundle.tar');
    const cosignPub = join(work, 'vendor-cosign.pub');
    await airlock(['pack', ...images.flatMap((i) => ['--image', i]), '--chart', chart, '--chart-version', FIXTURE_CHART.version, '--key', `${key}.key`, '--image-key', cosignPub, '-o', bundle]);

    say('Check the image list against the chart: render it (as helm would) and list every image it pulls');
    await airlock(['images', bundle, '--why']);

    say('Security team: inspect, then verify every byte against the signature');
    await airlock(['inspect', bundle]);
    await airlock(['verify', bundle, '--key', `${key}.pub`, '--image-key', cosignPub]);

    say('Disconnected side: push into the internal registry under the prefix "mirror"');
    const report = join(work, 'report.json');
    await airlock(['push', bundle, '--registry', `${target.host}/mirror`, '--key', `${key}.pub`, '--report', report]);
    const items = (JSON.parse(await readFile(report, 'utf8')) as { items: { kind: string; source: string; target: string; digest: string; status: string; bytesPushed: number }[] }).items;

    say('Cross-check: every digest on the target equals the source');
    for (const item of items) {
      const [repo, tag] = item.target.slice(target.host.length + 1).split(/:(?=[^:/]+$)/) as [string, string];
      const got = await pool.repository({ registry: target.host, repository: repo }).resolve(tag);
      const ok = got.digest === item.digest;
      process.stdout.write(`  ${ok ? 'same' : 'DIFFERENT'}  ${item.target}  ${got.digest}\n`);
      if (!ok) throw new Error(`digest mismatch for ${item.target}`);
    }

    say('Point the chart at the internal registry: write the values overlay, proven by rendering the chart with it');
    await airlock(['values', bundle, '--registry', `${target.host}/mirror`, '--key', `${key}.pub`, '-o', join(work, 'overrides.yaml')]);
    process.stdout.write(`${(await readFile(join(work, 'overrides.yaml'), 'utf8')).replace(/^/gm, '  ')}`);

    say('Push again: everything is already there, nothing is sent');
    await airlock(['push', bundle, '--registry', `${target.host}/mirror`, '--key', `${key}.pub`]);

    say('No registry to push to? Serve the bundle itself as a read-only registry, and pull from it');
    await serveAndPull(bundle, `${key}.pub`, work, items.find((i) => i.kind === 'image')!);

    say('Done: packed, verified, pushed and served byte for byte. Stopping the registries.');
  } finally {
    pool.close();
    for (const r of started) await r.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
