/**
 * Seeded fuzzing of tar headers against GNU tar: random mutations of a valid
 * bundle's header blocks (PAX headers and bodies included). Each mutant is either
 * read by airlock with exactly the files and bytes GNU tar extracts, or refused
 * with a typed AirlockError: never a crash, a hang, or a disagreement.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../src/archive/index.js';
import { isAirlockError } from '../src/errors.js';
import { readAll, sampleBundleFiles, tarEntries, writeBundleTar } from './helpers/archives.js';
import { fixChecksum, gnuExtract, treeOf } from './helpers/hostile.js';

const run = promisify(execFile);
const MUTANTS = 300;
const TIME_BUDGET_MS = 60_000;
/** Fixed, so a failure reproduces; AIRLOCK_FUZZ_SEED explores others. */
const SEED = Number(process.env.AIRLOCK_FUZZ_SEED ?? 0xa1c0c);

/** mulberry32: small, seeded, good enough to pick bytes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dir: string;

/** A valid tar to mutate: byte ranges [start, end) holding headers and extension bodies, and where header blocks start. */
interface Corpus {
  name: string;
  bytes: Buffer;
  ranges: [number, number][];
  headerBlocks: number[];
}
const corpora: Corpus[] = [];

async function corpus(name: string, path: string): Promise<Corpus> {
  const bytes = await readFile(path);
  const c: Corpus = { name, bytes, ranges: [], headerBlocks: [] };
  let end = 0;
  for (const e of await tarEntries(path)) {
    c.ranges.push([e.headerOffset!, e.offset!]);
    c.headerBlocks.push(e.headerOffset!, e.offset! - 512);
    end = e.offset! + e.size + ((512 - (e.size % 512)) % 512);
  }
  // The end-of-archive blocks too.
  c.ranges.push([end, end + 1024]);
  return c;
}

/** What airlock reads: every file entry's bytes by path, through both the indexer and the stream parser. */
async function airlockRead(path: string): Promise<Map<string, Buffer>> {
  const reader = await openBundle(path);
  try {
    const files = new Map<string, Buffer>();
    for await (const { entry, stream } of reader.sequential()) {
      const bytes = await readAll(stream);
      if (entry.type === 'file') {
        if (files.has(entry.path)) throw new Error(`duplicate ${entry.path} accepted`);
        files.set(entry.path, bytes);
      } else if (entry.type !== 'directory') {
        files.set(entry.path, Buffer.from(`not a regular file`));
      }
    }
    const listed = (await reader.entries()).filter((e) => e.type === 'file').map((e) => e.path);
    expect(listed.sort()).toEqual([...files.keys()].filter((k) => !files.get(k)!.equals(Buffer.from('not a regular file'))).sort());
    return files;
  } finally {
    await reader.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-fuzz-'));
  const path = join(dir, 'valid.tar');
  // A non-ASCII folder name makes TarWriter put a PAX header before every entry.
  await writeBundleTar(path, sampleBundleFiles([10, 700]), { prefix: 'bündle/' });
  corpora.push(await corpus('airlock (PAX)', path));
  // GNU tar's own format: a name over 100 bytes gets a GNU long-name ('L') header.
  const src = join(dir, 'src');
  const long = `blobs/${'x'.repeat(120)}.json`;
  await mkdir(join(src, 'blobs'), { recursive: true });
  await writeFile(join(src, long), '{"long":true}');
  await writeFile(join(src, 'index.json'), '{"schemaVersion":2}');
  const gnu = join(dir, 'gnu.tar');
  await run('tar', ['--format=gnu', '--sort=name', '-cf', gnu, '-C', src, 'index.json', long]);
  corpora.push(await corpus('GNU tar (long names)', gnu));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tar header fuzzing against GNU tar', () => {
  it(`${MUTANTS} seeded mutants: each agrees with GNU tar or is refused with an AirlockError`, async () => {
    const random = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const interesting = [0x00, 0x20, 0x0a, 0x2f, 0x30, 0x37, 0x78, 0x67, 0x4c, 0x53, 0x35, 0x31, 0x32, 0x3d, 0x80, 0xff];
    const started = Date.now();
    let accepted = 0;
    let refused = 0;
    const path = join(dir, 'mutant.tar');
    for (let i = 0; i < MUTANTS && Date.now() - started < TIME_BUDGET_MS; i++) {
      const c = corpora[i % corpora.length]!;
      const bytes = Buffer.from(c.bytes);
      const [start, end] = pick(c.ranges);
      const count = 1 + Math.floor(random() * 3);
      for (let k = 0; k < count; k++) {
        const at = start + Math.floor(random() * (end - start));
        bytes[at] = random() < 0.5 ? pick(interesting) : Math.floor(random() * 256);
      }
      // Half the mutants get a valid checksum again, so they reach past the first check.
      if (random() < 0.5) for (const b of c.headerBlocks) if (b >= start && b < end) fixChecksum(bytes.subarray(b, b + 512));
      await writeFile(path, bytes);

      let ours: Map<string, Buffer> | undefined;
      try {
        ours = await airlockRead(path);
      } catch (err) {
        if (!isAirlockError(err)) throw new Error(`mutant ${i} of ${c.name}: not an AirlockError: ${(err as Error).stack}`);
        refused++;
        continue;
      }
      accepted++;
      const gnu = await gnuExtract(path);
      try {
        const theirs = await treeOf(gnu.dir);
        const show = (m: Map<string, Buffer | string>): string[] => [...m.keys()].sort();
        expect(show(theirs), `mutant ${i} of ${c.name}: GNU tar extracted other files (${gnu.stderr})`).toEqual(show(ours));
        for (const [name, data] of ours) expect(theirs.get(name), `mutant ${i} of ${c.name}: ${name}`).toEqual(data);
      } finally {
        await rm(gnu.dir, { recursive: true, force: true });
      }
    }
    // Both outcomes happen: the mutations are neither all harmless nor all fatal.
    console.log(`fuzz seed ${SEED}: ${accepted} accepted (identical to GNU tar), ${refused} refused`);
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  }, 120_000);
});
