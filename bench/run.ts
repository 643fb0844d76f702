/**
 * `npm run bench`: airlock against skopeo (+ tar) on two generated data sets, both
 * registries Debian's docker-registry on 127.0.0.1. Each comparison runs the two
 * tools alternately, several times, in one run; medians and min–max go to a
 * Markdown report (bench/RESULTS.md for a full run).
 *
 *   node bench/out/js/bench/run.js [--quick] [--reps-s N] [--reps-l N] [--sets S,L,2xL] [--no-double] [--work DIR] [--keep] [--out FILE]
 *   node bench/out/js/bench/run.js --render bench/RESULTS.json   (the report again, from kept measurements)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryPool } from '../src/registry/index.js';
import { startRegistry, type RunningRegistry } from '../src/demo/registry.js';
import { seedSet, setBytes, setL, setS, writeSet, type DataSet } from './data.js';
import { TIME_BIN, run, runAll, Series, type Command, type Sample } from './measure.js';
import { renderReport, type Pair, type Report, type SetResult } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: this file runs as bench/out/js/bench/run.js. */
const ROOT = resolve(here, '../../../..');
// AIRLOCK_BENCH_BIN: another entry point, to measure a before/after pair in one session.
const AIRLOCK = process.env.AIRLOCK_BENCH_BIN ?? join(ROOT, 'bin', 'airlock');
const SHA256 = join(here, 'sha256.js');
const SKOPEO = process.env.AIRLOCK_SKOPEO_BIN ?? '/usr/bin/skopeo';
/** Reproducible bundles: the same bytes on every repetition. */
const EPOCH = '1700000000';

interface Args {
  quick: boolean;
  repsS: number;
  repsL: number;
  /** Which of S, L and 2xL to run (2xL needs L's data and adds its copy). */
  sets: Set<string>;
  work: string;
  keep: boolean;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const count = (name: string, fallback: number): number => {
    const v = value(name);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a whole number >= 1`);
    return n;
  };
  return {
    quick,
    repsS: count('--reps-s', quick ? 2 : 7),
    repsL: count('--reps-l', quick ? 1 : 5),
    sets: new Set((value('--sets') ?? 'S,L,2xL').split(',').filter((x) => !(x === '2xL' && argv.includes('--no-double')))),
    work: resolve(value('--work') ?? join(ROOT, 'bench', 'out', 'work')),
    keep: argv.includes('--keep'),
    out: resolve(value('--out') ?? join(ROOT, 'bench', quick ? 'out/RESULTS-quick.md' : 'RESULTS.md')),
  };
}

function log(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

/** GNU time is the one extra tool; installed the way bin/install-deps installs the others. */
function ensureTime(): void {
  if (existsSync(TIME_BIN)) return;
  log('installing GNU time with apt-get');
  const root = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (args: string[]): void => {
    const [cmd, ...rest] = [...root, 'apt-get', ...args];
    const r = spawnSync(cmd!, rest, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed; install the Debian package "time" by hand`);
  };
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', 'time']);
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? '';
  } catch {
    return 'unknown';
  }
}

function machine(): Report['machine'] {
  const model = cpus()[0]?.model ?? 'unknown';
  return {
    cpu: model.replace(/\s+/g, ' ').trim(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    skopeo: firstLine(SKOPEO, ['--version']),
    registry: firstLine('/usr/bin/docker-registry', ['--version']),
    loadBefore: loadavg()[0]!,
  };
}

const airlock = (args: string[]): Command => ({ cmd: process.execPath, args: [AIRLOCK, ...args], env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH } });
const skopeo = (args: string[]): Command => ({ cmd: SKOPEO, args: ['--insecure-policy', ...args] });

/** Full source references of a set's images, as the user lists them. */
function refs(set: DataSet, host: string): string[] {
  return set.images.map((i) => `${host}/${i.repo}:${i.tag}`);
}

async function fresh(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Every image of the set under `host/mirror/…` must carry the source's digest. */
async function checkPushed(pool: RegistryPool, set: DataSet, host: string, digests: Map<string, string>, who: string): Promise<void> {
  for (const image of set.images) {
    const got = await pool.repository({ registry: host, repository: `mirror/${image.repo}` }).resolve(image.tag);
    const want = digests.get(`${image.repo}:${image.tag}`);
    if (got.digest !== want) throw new Error(`${who}: ${host}/mirror/${image.repo}:${image.tag} is ${got.digest}, the source has ${want}`);
  }
}

interface Ctx {
  args: Args;
  source: RunningRegistry;
  keyPrefix: string;
  pool: RegistryPool;
  digests: Map<string, string>;
}

/** In repetition `rep`, runs the two sides alternately: airlock first on even repetitions. */
async function alternate(rep: number, a: () => Promise<void>, b: () => Promise<void>): Promise<void> {
  if (rep % 2 === 0) {
    await a();
    await b();
  } else {
    await b();
    await a();
  }
}

async function withRegistry<T>(fn: (r: RunningRegistry) => Promise<T>): Promise<T> {
  const r = await startRegistry();
  try {
    return await fn(r);
  } finally {
    await r.stop();
  }
}

async function benchSet(ctx: Ctx, set: DataSet, reps: number): Promise<SetResult> {
  const dir = await fresh(join(ctx.args.work, set.name));
  const scratch = ctx.args.work;
  const list = join(dir, 'images.txt');
  await writeFile(list, `${refs(set, ctx.source.host).join('\n')}\n`);
  const bundle = join(dir, 'airlock', 'bundle.tar');
  const result: SetResult = {
    name: set.name,
    images: set.images.length,
    bytes: setBytes(set),
    bundleBytes: 0,
    reps,
    pack: { airlock: new Series(), peer: new Series() },
    push: { airlock: new Series(), peer: new Series() },
    push2: { airlock: new Series(), peer: new Series() },
    verify: { airlock: new Series(), peer: new Series() },
  };

  // pack: airlock pack vs skopeo copy --all per image into one layout, then tar -cf.
  for (let rep = 0; rep < reps; rep++) {
    log(`${set.name} pack ${rep + 1}/${reps}`);
    await alternate(
      rep,
      async () => {
        await fresh(dirname(bundle));
        result.pack.airlock.add(await run(airlock(['pack', '--images', list, '--key', `${ctx.keyPrefix}.key`, '-o', bundle]), scratch));
      },
      async () => {
        const peer = await fresh(join(dir, 'skopeo'));
        const layout = join(peer, 'layout');
        const commands: Command[] = refs(set, ctx.source.host).map((ref) =>
          skopeo(['copy', '--all', '--preserve-digests', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:${ref}`]),
        );
        commands.push({ cmd: 'tar', args: ['-cf', join(peer, 'bundle.tar'), '-C', layout, '.'] });
        result.pack.peer.add(await runAll(commands, scratch));
      },
    );
  }
  await rm(join(dir, 'skopeo'), { recursive: true, force: true });
  result.bundleBytes = await sizeOf(bundle);

  // push: from the tarball into an empty registry, then again with everything present.
  for (let rep = 0; rep < reps; rep++) {
    log(`${set.name} push ${rep + 1}/${reps}`);
    await alternate(
      rep,
      () =>
        withRegistry(async (target) => {
          const to = ['--registry', `${target.host}/mirror`, '--key', `${ctx.keyPrefix}.pub`];
          result.push.airlock.add(await run(airlock(['push', bundle, ...to]), scratch));
          await checkPushed(ctx.pool, set, target.host, ctx.digests, 'airlock push');
          result.push2.airlock.add(await run(airlock(['push', bundle, ...to]), scratch));
        }),
      () =>
        withRegistry(async (target) => {
          const extracted = await fresh(join(dir, 'extracted'));
          const copies = set.images.map((i) => {
            const name = `${ctx.source.host}/${i.repo}:${i.tag}`;
            return skopeo(['copy', '--all', '--preserve-digests', '--quiet', '--dest-tls-verify=false', `oci:${extracted}:${name}`, `docker://${target.host}/mirror/${i.repo}:${i.tag}`]);
          });
          result.push.peer.add(await runAll([{ cmd: 'tar', args: ['-xf', bundle, '-C', extracted] }, ...copies], scratch));
          await checkPushed(ctx.pool, set, target.host, ctx.digests, 'skopeo copy');
          result.push2.peer.add(await runAll(copies, scratch));
          await rm(extracted, { recursive: true, force: true });
        }),
    );
  }

  // verify: airlock verify vs node's raw sha256 over the same tarball.
  for (let rep = 0; rep < reps; rep++) {
    log(`${set.name} verify ${rep + 1}/${reps}`);
    await alternate(
      rep,
      async () => void result.verify.airlock.add(await run(airlock(['verify', bundle, '--key', `${ctx.keyPrefix}.pub`]), scratch)),
      async () => void result.verify.peer.add(await run({ cmd: process.execPath, args: [SHA256, bundle] }, scratch)),
    );
  }
  if (!ctx.args.keep) await rm(dir, { recursive: true, force: true });
  return result;
}

/** L doubled: the same three airlock commands over L plus a disjoint copy of it, for peak memory. */
async function benchDouble(ctx: Ctx, sets: DataSet[]): Promise<SetResult> {
  const dir = await fresh(join(ctx.args.work, '2xL'));
  const scratch = ctx.args.work;
  const list = join(dir, 'images.txt');
  await writeFile(list, `${sets.flatMap((s) => refs(s, ctx.source.host)).join('\n')}\n`);
  const bundle = join(dir, 'bundle.tar');
  const result: SetResult = {
    name: '2xL',
    images: sets.reduce((n, s) => n + s.images.length, 0),
    bytes: sets.reduce((n, s) => n + setBytes(s), 0),
    bundleBytes: 0,
    reps: 1,
    pack: { airlock: new Series(), peer: new Series() },
    push: { airlock: new Series(), peer: new Series() },
    push2: { airlock: new Series(), peer: new Series() },
    verify: { airlock: new Series(), peer: new Series() },
  };
  log('2xL pack');
  result.pack.airlock.add(await run(airlock(['pack', '--images', list, '--key', `${ctx.keyPrefix}.key`, '-o', bundle]), scratch));
  result.bundleBytes = await sizeOf(bundle);
  log('2xL push');
  await withRegistry(async (target) => {
    const to = ['--registry', `${target.host}/mirror`, '--key', `${ctx.keyPrefix}.pub`];
    result.push.airlock.add(await run(airlock(['push', bundle, ...to]), scratch));
    for (const s of sets) await checkPushed(ctx.pool, s, target.host, ctx.digests, 'airlock push 2xL');
    result.push2.airlock.add(await run(airlock(['push', bundle, ...to]), scratch));
  });
  log('2xL verify');
  result.verify.airlock.add(await run(airlock(['verify', bundle, '--key', `${ctx.keyPrefix}.pub`]), scratch));
  if (!ctx.args.keep) await rm(dir, { recursive: true, force: true });
  return result;
}

/** `--render FILE.json`: writes FILE.md again from kept measurements and the current notes. */
async function render(json: string): Promise<void> {
  const saved = JSON.parse(await readFile(json, 'utf8')) as Report;
  const revive = (p: { airlock: { samples: Sample[] }; peer: { samples: Sample[] } }): Pair => {
    const pair: Pair = { airlock: new Series(), peer: new Series() };
    for (const s of p.airlock.samples) pair.airlock.add(s);
    for (const s of p.peer.samples) pair.peer.add(s);
    return pair;
  };
  const results = saved.results.map((r) => ({ ...r, pack: revive(r.pack), push: revive(r.push), push2: revive(r.push2), verify: revive(r.verify) }));
  const out = json.replace(/\.json$/, '.md');
  await writeFile(out, renderReport({ ...saved, results, notes: await readNotes() }));
  log(`wrote ${out} from ${json}`);
}

async function main(): Promise<void> {
  const renderFrom = process.argv.indexOf('--render');
  if (renderFrom !== -1) return render(resolve(process.argv[renderFrom + 1] ?? 'bench/RESULTS.json'));
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build first (npm run bench does)');
  if (!existsSync(SKOPEO)) throw new Error(`${SKOPEO} not found: run bin/install-deps first (npm run bench does)`);
  ensureTime();
  const started = Date.now();
  const info = machine();
  log(`${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB; ${args.quick ? 'quick' : 'full'} run of ${[...args.sets].join(', ')} (S x${args.repsS}, L x${args.repsL}, 2xL x1); work in ${args.work}`);
  await fresh(args.work);

  const keyPrefix = join(args.work, 'bench-signer');
  await run(airlock(['keygen', '--out', keyPrefix]), args.work);

  const S = setS();
  const L = setL();
  const L2 = setL('2');
  const sets = [
    ...(args.sets.has('S') ? [S] : []),
    ...(args.sets.has('L') || args.sets.has('2xL') ? [L] : []),
    ...(args.sets.has('2xL') ? [L2] : []),
  ];
  const source = await startRegistry();
  const pool = new RegistryPool({});
  const digests = new Map<string, string>();
  try {
    for (const set of sets) {
      const t0 = Date.now();
      const genDir = join(args.work, `gen-${set.name}`);
      const layout = await writeSet(set, genDir);
      for (const [name, digest] of await seedSet(set, layout, source.host, pool)) digests.set(name, digest);
      await rm(genDir, { recursive: true, force: true });
      log(`generated and seeded ${set.name}: ${set.images.length} images, ${(setBytes(set) / 1e6).toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const ctx: Ctx = { args, source, keyPrefix, pool, digests };
    const results: SetResult[] = [];
    if (args.sets.has('S')) results.push(await benchSet(ctx, S, args.repsS));
    if (args.sets.has('L')) results.push(await benchSet(ctx, L, args.repsL));
    if (args.sets.has('2xL')) results.push(await benchDouble(ctx, [L, L2]));
    const report: Report = {
      machine: { ...info, loadAfter: loadavg()[0]! },
      quick: args.quick,
      minutes: (Date.now() - started) / 60_000,
      results,
      notes: await readNotes(),
    };
    await mkdir(dirname(args.out), { recursive: true });
    // The measurements are kept, so the report can be written again (--render) after
    // bench/NOTES.md is revised, without measuring again.
    await writeFile(`${args.out.replace(/\.md$/, '')}.json`, `${JSON.stringify(report, null, 1)}\n`);
    await writeFile(args.out, renderReport(report));
    log(`wrote ${args.out} in ${report.minutes.toFixed(1)} min`);
    process.stdout.write(renderReport(report));
  } finally {
    pool.close();
    await source.stop();
    if (!args.keep) await rm(args.work, { recursive: true, force: true });
  }
}

/** The hand-written analysis (bench/NOTES.md) goes into the report below the measured tables. */
async function readNotes(): Promise<string | undefined> {
  return readFile(join(ROOT, 'bench', 'NOTES.md'), 'utf8').catch(() => undefined);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
