/**
 * `npm run bench:monthly`: the "monthly update" of issue 15. Release 1 is set L;
 * release 2 gives every image a new top layer and four images a new middle one,
 * so it shares 91% of its bytes with release 1. Measures, alternately: a full
 * pack of release 2 against a delta (`--base receipt.json`, the receipt of pushing
 * release 1), and the push of each into a registry that holds release 1.
 *
 *   node bench/out/js/bench/monthly.js [--reps N] [--work DIR] [--out FILE]
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry, type RunningRegistry } from '../src/demo/registry.js';
import { RegistryPool } from '../src/registry/index.js';
import { seedSet, setBytes, setL, writeSet, type DataSet } from './data.js';
import { run, Series, stats, type Command } from './measure.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../../../..');
const AIRLOCK = join(ROOT, 'bin', 'airlock');
const EPOCH = '1700000000';

/** Release 2 of L: new `b` layers everywhere, new `a` layers for images 3–6, tag 1.1. */
function release2(): DataSet {
  const v1 = setL();
  return {
    name: 'L v2',
    images: v1.images.map((image, i) => ({
      ...image,
      tag: '1.1',
      platforms: image.platforms.map((p) => ({
        ...p,
        layers: p.layers.map((l) => (l.seed.endsWith('-b') || (i >= 2 && l.seed.endsWith('-a')) ? { ...l, seed: `${l.seed}-v2` } : l)),
      })),
    })),
  };
}

function value(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

const airlock = (...args: string[]): Command => ({ cmd: process.execPath, args: [AIRLOCK, ...args], env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH } });
const fmt = (s: ReturnType<typeof stats>): string => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)}) s`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const reps = Number(value(argv, '--reps') ?? 3);
  const work = resolve(value(argv, '--work') ?? join(ROOT, 'bench', 'out', 'monthly'));
  const out = resolve(value(argv, '--out') ?? join(ROOT, 'bench', 'RESULTS-monthly.md'));
  const began = Date.now();
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const registries: RunningRegistry[] = [];
  const fresh = async (): Promise<RunningRegistry> => {
    const r = await startRegistry();
    registries.push(r);
    return r;
  };
  const pool = new RegistryPool({});
  try {
    const v1 = setL();
    const v2 = release2();
    const source = await fresh();
    // One layout for both releases: shared layers are generated once.
    const layout = await writeSet({ name: 'L v1+v2', images: [...v1.images, ...v2.images] }, join(work, 'gen'));
    await seedSet({ name: 'both', images: [...v1.images, ...v2.images] }, layout, source.host, pool);
    await rm(join(work, 'gen'), { recursive: true, force: true });
    const images = (set: DataSet): string[] => set.images.flatMap((i) => ['--image', `${source.host}/${i.repo}:${i.tag}`]);
    const key = join(work, 'vendor');
    const f = (name: string): string => join(work, name);
    await run(airlock('keygen', '--out', key), work);
    await run(airlock('pack', ...images(v1), '--key', `${key}.key`, '-o', f('v1.tar')), work);
    // The far side after release 1, and the receipt that comes back from it.
    const pushV1 = async (): Promise<RunningRegistry> => {
      const r = await fresh();
      await run(airlock('push', f('v1.tar'), '--registry', `${r.host}/site`, '--key', `${key}.pub`, '--receipt', f('receipt.json')), work);
      return r;
    };
    await (await pushV1()).stop();

    const packFull = new Series();
    const packDelta = new Series();
    const pushFull = new Series();
    const pushDelta = new Series();
    for (let i = 0; i < reps; i++) {
      await rm(f('full.tar'), { force: true });
      packFull.add(await run(airlock('pack', ...images(v2), '--key', `${key}.key`, '-o', f('full.tar')), work));
      await rm(f('delta.tar'), { force: true });
      packDelta.add(await run(airlock('pack', ...images(v2), '--key', `${key}.key`, '--base', f('receipt.json'), '-o', f('delta.tar')), work));
      for (const [series, bundle] of [[pushFull, 'full.tar'], [pushDelta, 'delta.tar']] as const) {
        const target = await pushV1();
        series.add(await run(airlock('push', f(bundle), '--registry', `${target.host}/site`, '--key', `${key}.pub`), work));
        await target.stop();
      }
    }
    const full = (await stat(f('full.tar'))).size;
    const delta = (await stat(f('delta.tar'))).size;
    const receipt = (await stat(f('receipt.json'))).size;
    const MB = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;
    const v2Layers = new Map(v2.images.flatMap((i) => i.platforms.flatMap((p) => p.layers.map((l) => [l.seed, l.size] as const))));
    const shared = [...v2Layers].filter(([seed]) => !seed.endsWith('-v2')).reduce((n, [, size]) => n + size, 0) / setBytes(v2);
    const lines = [
      '# airlock benchmark: the monthly update',
      '',
      `Written by \`npm run bench:monthly\` (bench/monthly.ts) on ${new Date().toISOString().slice(0, 10)}, ${((Date.now() - began) / 60000).toFixed(1)} minutes; ${cpus().length} cores (shared with other work), ${reps} alternating repetitions, median (min–max) wall seconds.`,
      '',
      `- Release 1: set L (6 images, two multi-arch, ${MB(setBytes(v1))} of layers). Release 2: every image's top layer new, four images' middle layer new: it shares ${(shared * 100).toFixed(0)}% of its layer bytes with release 1.`,
      `- The delta is packed with \`--base receipt.json\`, the receipt of pushing release 1 (${receipt} bytes for 6 images); both pushes go into a fresh registry holding release 1.`,
      '',
      '| | full bundle | delta | delta / full |',
      '| --- | --- | --- | --- |',
      `| size of release 2's bundle | ${MB(full)} | ${MB(delta)} | **${(delta / full).toFixed(3)}** |`,
      `| pack release 2 | ${fmt(packFull.wall())} | ${fmt(packDelta.wall())} | **${(packDelta.wall().median / packFull.wall().median).toFixed(2)}** |`,
      `| push release 2 into a registry holding release 1 | ${fmt(pushFull.wall())} | ${fmt(pushDelta.wall())} | **${(pushDelta.wall().median / pushFull.wall().median).toFixed(2)}** |`,
      '',
      'Pack of the delta still resolves every manifest and config from the source registry (the signed airlock.json lists the whole graph), but reads and writes only the new layers. Push of the full bundle already skips the layers the registry has (a HEAD each), so its time differs mostly by the bytes read; what the delta saves is the bytes carried across the gap.',
      '',
    ];
    await writeFile(out, lines.join('\n'));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    pool.close();
    await Promise.all(registries.map((r) => r.stop().catch(() => undefined)));
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
