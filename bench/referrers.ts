/**
 * `npm run bench:referrers`: what discovering attached artifacts costs pack, on set
 * S with one cosign signature per image. Packs with and without --no-referrers,
 * alternately, several times, in one run (write-heavy timings swing here), and
 * prints a Markdown table: medians, min–max, overhead.
 *
 *   node bench/out/js/bench/referrers.js [--reps N] [--work DIR]
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../src/demo/registry.js';
import { RegistryPool } from '../src/registry/index.js';
import { cosignSignature, pushArtifact } from '../test/helpers/attached.js';
import { seedSet, setS, writeSet } from './data.js';
import { run, stats } from './measure.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../../../..');
const AIRLOCK = join(ROOT, 'bin', 'airlock');

const argv = process.argv.slice(2);
const reps = Number(argv[argv.indexOf('--reps') + 1] ?? '7') || 7;
const work = resolve(argv.includes('--work') ? argv[argv.indexOf('--work') + 1]! : join(ROOT, 'bench', 'out', 'referrers'));

await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });
const registry = await startRegistry();
const pool = new RegistryPool({});
try {
  const set = setS();
  const digests = await seedSet(set, await writeSet(set, join(work, 'layout')), registry.host, pool);
  const cosign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const image of set.images) {
    const digest = digests.get(`${image.repo}:${image.tag}`)!;
    const sig = cosignSignature([{ digest, dockerReference: `${registry.host}/${image.repo}`, key: cosign.privateKey }]);
    await pushArtifact(pool.repository({ registry: registry.host, repository: image.repo }), sig, `sha256-${digest.slice(7)}.sig`);
  }
  await writeFile(join(work, 'images.txt'), set.images.map((i) => `${registry.host}/${i.repo}:${i.tag}\n`).join(''));
  await writeFile(join(work, 'cosign.pub'), cosign.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  await run({ cmd: process.execPath, args: [AIRLOCK, 'keygen', '--out', join(work, 'k')] }, work);
  const pack = (extra: string[]) => ({
    cmd: process.execPath,
    args: [AIRLOCK, 'pack', '--images', join(work, 'images.txt'), '--key', join(work, 'k.key'), '-o', join(work, 'b.tar'), ...extra],
    env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
  });
  const variants: [string, string[]][] = [
    ['--no-referrers', ['--no-referrers']],
    ['with referrers (default)', []],
    ['with referrers, --image-key --require-image-signatures', ['--image-key', join(work, 'cosign.pub'), '--require-image-signatures']],
  ];
  const walls = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  await run(pack([]), work); // warm the registry's caches once
  for (let i = 0; i < reps; i++) {
    for (const [name, extra] of variants) {
      await rm(join(work, 'b.tar'), { force: true });
      walls.get(name)!.push((await run(pack(extra), work)).wall);
    }
  }
  const base = stats(walls.get('--no-referrers')!).median;
  console.log(`| pack on S (${set.images.length} images, one cosign signature each), ${reps} alternating runs | wall, median (min–max) | over --no-referrers |`);
  console.log('| --- | --- | --- |');
  for (const [name] of variants) {
    const s = stats(walls.get(name)!);
    console.log(`| ${name} | ${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)}) s | ${(((s.median - base) / base) * 100).toFixed(0)}% |`);
  }
} finally {
  pool.close();
  await registry.stop();
}
