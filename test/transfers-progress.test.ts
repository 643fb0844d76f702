import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackTarget } from '../src/cli/unpack-args.js';
import { formatDuration, formatRate, Progress, progressMode } from '../src/cli/progress.js';
import { TransferTally } from '../src/cli/transfer-tally.js';
import { parsePublicKey } from '../src/sign/index.js';
import { unpack } from '../src/bundle/unpack.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { startThrottleProxy, type ThrottleProxy } from './harness/throttle-proxy.js';
import { imageBundle } from './helpers/image-bundle.js';
import { makeBlob, makeImage } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';

const bin = new URL('../bin/airlock', import.meta.url).pathname;
const BLOB = 24 * 1024 * 1024;
const big = makeImage({ layers: [makeBlob('progress-big', BLOB)], label: 'progress' });

function clockSink() {
  let t = 1_000_000;
  const out: string[] = [];
  return { out, tick: (ms: number) => (t += ms), sink: { write: (s: string) => void out.push(s), columns: 200, now: () => t } };
}

describe('the progress display', () => {
  it('draws one line with done/total, percent, a rate in human units, ETA and the current artifact', () => {
    const c = clockSink();
    const p = new Progress('tty', c.sink);
    p.update('pushing', 0, 100 * 1024 * 1024, { items: { done: 0, total: 2 }, current: 'reg/app:1' });
    c.tick(1000);
    p.update('pushing', 10 * 1024 * 1024, 100 * 1024 * 1024, { items: { done: 0, total: 2 }, current: 'reg/app:1' });
    const line = c.out.at(-1)!;
    expect(line).toBe('\r\x1b[Kpushing 0/2 10.0 MiB/100.0 MiB 10% 10.0 MiB/s ETA 9s  reg/app:1');
    p.done();
    expect(c.out.at(-1)).toBe('\r\x1b[K');
  });

  it('formats rates and durations for people', () => {
    expect(formatRate(525.065963060686)).toBe('525 B/s');
    expect(formatRate(3.5 * 1024 * 1024)).toBe('3.5 MiB/s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
  });

  it('plain mode writes a whole line every 10 s, json one event a line, none nothing', () => {
    const plain = clockSink();
    const p = new Progress('plain', plain.sink);
    for (let i = 0; i <= 25; i++) {
      p.update('verifying', i * 1000, 100_000);
      plain.tick(1000);
    }
    expect(plain.out).toHaveLength(2);
    expect(plain.out.every((l) => l.endsWith('\n') && !l.includes('\r') && !l.includes('\x1b'))).toBe(true);
    const json = clockSink();
    const j = new Progress('json', json.sink);
    for (let i = 0; i <= 4; i++) {
      j.update('pulling', i * 10, 40);
      json.tick(1000);
    }
    const events = json.out.map((l) => JSON.parse(l) as { type: string; done: number; total: number });
    expect(events.map((e) => e.done)).toEqual([0, 10, 20, 30, 40]);
    expect(events[0]!.type).toBe('progress');
    const none = clockSink();
    new Progress('none', none.sink).update('x', 1, 2);
    expect(none.out).toEqual([]);
  });

  it('auto is a live line only when both outputs are terminals, and never on TERM=dumb', () => {
    expect(progressMode(undefined, {}, true)).toBe('tty');
    expect(progressMode(undefined, {}, false)).toBe('none');
    expect(progressMode('auto', { TERM: 'dumb' }, true)).toBe('none');
    expect(progressMode('plain', {}, false)).toBe('plain');
    expect(() => progressMode('loud', {}, true)).toThrow(/--progress/);
  });

  it('counts bytes inside a blob, and never counts a restarted blob twice', () => {
    const t = new TransferTally();
    const base = { reference: 'r', source: 's', digest: 'sha256:a', size: 100, mediaType: 'x' };
    t.add({ ...base, type: 'blob-start' });
    t.add({ ...base, type: 'blob-progress', bytes: 40 });
    expect(t.done).toBe(40);
    t.add({ ...base, type: 'blob-progress', bytes: 10 });
    expect(t.done).toBe(40);
    expect(t.completed()).toBe(0);
    t.add({ ...base, type: 'blob-done' });
    t.add({ ...base, digest: 'sha256:b', size: 7, type: 'blob-skipped' });
    expect([t.done, t.completed(), t.known]).toEqual([107, 107, 107]);
  });
});

describe('unpack BUNDLE DIR', () => {
  it('takes the folder as the last argument when it is not an existing file, or from -o', async () => {
    const here = new URL(import.meta.url).pathname;
    expect(await unpackTarget([here, '/tmp/new-folder'], undefined)).toEqual({ bundle: [here], dir: '/tmp/new-folder' });
    expect(await unpackTarget([here], 'out')).toEqual({ bundle: [here], dir: 'out' });
    await expect(unpackTarget([here], undefined)).rejects.toThrow(/unpack BUNDLE DIR/);
    await expect(unpackTarget([here, here], undefined)).rejects.toThrow(/needs a folder/);
  });
});

describe('progress and interrupts of a real push', () => {
  let dir: string;
  let target: RunningRegistry;
  let proxy: ThrottleProxy;
  let bundle: string;
  let pub: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-progress-'));
    ({ path: bundle, pubFile: pub } = await imageBundle(dir, [{ name: 'ghcr.io/org/big:1', built: big }]));
    target = await startRegistry();
    // 24 MiB at 12 MiB/s: about two seconds inside one blob.
    proxy = await startThrottleProxy(target.host, 12 * 1024 * 1024);
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await target?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('unpack reports its bytes as they are written, and an interrupt leaves no folder behind', async () => {
    const key = { keys: [parsePublicKey(await readFile(pub, 'utf8'), 'vendor.pub')] };
    const seen: string[] = [];
    const out = join(dir, 'unpacked');
    const result = await unpack(bundle, out, key, { onProgress: (stage, done) => void seen.push(`${stage}:${done}`) });
    expect(result.dockerTyped).toEqual([]);
    expect(seen.filter((s) => s.startsWith('extracting:')).length).toBeGreaterThan(10);
    expect(seen.filter((s) => s.startsWith('checking:')).length).toBeGreaterThan(10);
    const controller = new AbortController();
    const cut = join(dir, 'cut');
    const failed = await unpack(bundle, cut, key, {
      signal: controller.signal,
      onProgress: (_s, done) => done > 1024 * 1024 && controller.abort(),
    }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'INTERRUPTED' });
    await expect(readdir(cut)).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir)).filter((n) => n.includes('cut'))).toEqual([]);
  });

  it('under a pseudo-terminal, the byte count advances within one blob', async () => {
    const cmd = [process.execPath, bin, 'push', bundle, '--registry', `${proxy.host}/tty`, '--key', pub, '--state-dir', join(dir, 'state')].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<string>((resolve, reject) => {
      execFile('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, TERM: 'xterm' }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    const counts = [...out.matchAll(/pushing 0\/1 ([\d.]+) MiB\/[\d.]+ MiB \d+% [\d.]+ (?:B|KiB|MiB)\/s ETA \S+ {2}\S*\/tty\/org\/big:1/g)].map((m) => Number(m[1]));
    const inside = [...new Set(counts.filter((n) => n > 0.5 && n < 23.5))];
    expect(inside.length).toBeGreaterThanOrEqual(3);
    expect(inside).toEqual([...inside].sort((a, b) => a - b));
    expect(out).toMatch(/pushed 1 of 1 artifact/);
  }, 60_000);

  it('writes no progress into a pipe; --progress=json writes events; Ctrl-C says where it stopped', async () => {
    const run = (args: string[], interruptAfterMs?: number, stage = 'pushing') =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => {
          stderr += d;
          // Interrupt once bytes are moving, not on a timer alone.
          if (interruptAfterMs !== undefined && stderr.includes(`"stage":"${stage}"`) && !child.killed) setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
        });
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const piped = await run(['push', bundle, '--registry', `${target.host}/piped`, '--key', pub, '--state-dir', join(dir, 'state')]);
    expect(piped.code).toBe(0);
    expect(piped.stderr + piped.stdout).not.toMatch(/[\r\x1b]/);

    const cut = await run(['push', bundle, '--registry', `${proxy.host}/cut`, '--key', pub, '--progress', 'json', '--state-dir', join(dir, 'state')], 300);
    expect(cut.stderr).not.toContain('airlock: error');
    expect(cut.code).toBe(130);
    expect(cut.stderr).toMatch(/^interrupted: 0 of 1 artifacts pushed, [\d.]+ (?:B|KiB|MiB) of 24\.0 MiB; run the same command again to continue \(completed blobs are not sent again, and a large blob goes on from its last whole chunk\)$/m);
    const events = cut.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { stage: string; done: number });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.stage === 'pushing')).toBe(true);
    // The same command again continues the blob where the interrupted run left it.
    const again = await run(['push', bundle, '--registry', `${proxy.host}/cut`, '--key', pub, '--state-dir', join(dir, 'state')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/^resuming blob .+ for cut\/org\/big: [1-9]\d* of 25165824 bytes already there$/m);

    // pack with --cache, interrupted while it pulls the same 24 MiB layer through the slow link.
    await seedWithSkopeo(target.host, [{ built: big, repo: 'src/big', tag: '1' }]);
    const packed = await run(['pack', '--image', `${proxy.host}/src/big:1`, '--no-sign', '--cache', join(dir, 'cache'), '-o', join(dir, 'packed.tar'), '--progress', 'json'], 300, 'pulling');
    expect(packed.code).toBe(130);
    const pulling = packed.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { stage: string; current?: string });
    expect(pulling.some((e) => e.stage === 'pulling' && e.current === `${proxy.host}/src/big:1`)).toBe(true);
    expect(packed.stderr).toMatch(new RegExp(`^interrupted: 0 of 1 artifacts pulled, .+ seen so far; run the same command again to continue \\(blobs in ${join(dir, 'cache')} are not downloaded again\\)$`, 'm'));
  }, 60_000);
});
