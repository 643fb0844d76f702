/**
 * `npm run demo`: the whole round trip on built-in data. Two real registries on
 * 127.0.0.1 (Debian's docker-registry), the source seeded from fixtures/, then the
 * airlock CLI itself: keygen, pack, inspect, verify, push, push again. Everything it
 * starts is stopped and its temp folder removed at the end, whatever happens.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { copy } from '../copy/index.js';
import { verified } from '../content/verify.js';
import { chartArtifact } from '../chart/chart.js';
import { openLayout } from '../layout/index.js';
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
    await copy(fixtures, name, pool.repository({ registry: source.host, repository: repo }), { tags: [tag] });
    images.push(`${source.host}/${name}`);
  }
  // The chart goes in as `helm push` would put it: an OCI artifact.
  const staging = await openLayout(join(work, 'chart-staging'), { create: true });
  const chart = await chartArtifact(join(root, 'fixtures', 'charts', `${FIXTURE_CHART.name}-${FIXTURE_CHART.version}.tgz`));
  await staging.push(chart.config.descriptor, verified(Readable.from([chart.config.bytes]), chart.config.descriptor, 'chart config'));
  await staging.push(chart.layer.descriptor, verified((await import('node:fs')).createReadStream(chart.layer.path), chart.layer.descriptor, 'chart'));
  await staging.push(chart.manifest.descriptor, verified(Readable.from([chart.manifest.bytes]), chart.manifest.descriptor, 'chart manifest'));
  await staging.tag(chart.manifest.descriptor, 'chart');
  const repository = `charts/${FIXTURE_CHART.name}`;
  await copy(staging, 'chart', pool.repository({ registry: source.host, repository }), { tags: [FIXTURE_CHART.version] });
  return { images, chart: `oci://${source.host}/${repository}` };
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
    await airlock(['pack', ...images.flatMap((i) => ['--image', i]), '--chart', chart, '--chart-version', FIXTURE_CHART.version, '--key', `${key}.key`, '-o', bundle]);

    say('Security team: inspect, then verify every byte against the signature');
    await airlock(['inspect', bundle]);
    await airlock(['verify', bundle, '--key', `${key}.pub`]);

    say('Disconnected side: push into the internal registry under the prefix "mirror"');
    const report = join(work, 'report.json');
    await airlock(['push', bundle, '--registry', `${target.host}/mirror`, '--key', `${key}.pub`, '--report', report]);
    const items = (JSON.parse(await readFile(report, 'utf8')) as { items: { source: string; target: string; digest: string; status: string; bytesPushed: number }[] }).items;

    say('Cross-check: every digest on the target equals the source');
    for (const item of items) {
      const [repo, tag] = item.target.slice(target.host.length + 1).split(/:(?=[^:/]+$)/) as [string, string];
      const got = await pool.repository({ registry: target.host, repository: repo }).resolve(tag);
      const ok = got.digest === item.digest;
      process.stdout.write(`  ${ok ? 'same' : 'DIFFERENT'}  ${item.target}  ${got.digest}\n`);
      if (!ok) throw new Error(`digest mismatch for ${item.target}`);
    }

    say('Push again: everything is already there, nothing is sent');
    await airlock(['push', bundle, '--registry', `${target.host}/mirror`, '--key', `${key}.pub`]);

    say('Done: packed, verified and pushed byte for byte. Stopping the registries.');
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
