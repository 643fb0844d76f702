import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetRegistry } from '../src/bundle/mapping.js';
import { pushBundle } from '../src/bundle/push.js';
import { openVerifiedBundle } from '../src/bundle/verified.js';
import { RegistryPool, UploadStateFiles, type RegistryEvent, type RegistryOptions } from '../src/registry/index.js';
import { defaultStateDir } from '../src/registry/upload-state.js';
import type { PublicKey } from '../src/sign/index.js';
import { startFaultProxy, type FaultProxy } from './harness/fault-proxy.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { startThrottleProxy, type ThrottleProxy } from './harness/throttle-proxy.js';
import { imageBundle } from './helpers/image-bundle.js';
import { makeBlob, makeImage } from './helpers/images.js';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB;
const CHUNK = 4 * MiB;
const big = makeBlob('resume-big', SIZE);
const bigDigest = `sha256:${createHash('sha256').update(big).digest('hex')}`;

let dir: string;
let target: RunningRegistry;
let meter: ThrottleProxy;
let faults: FaultProxy;
let bundle: string;
let pub: PublicKey;
const pools: RegistryPool[] = [];

function pool(stateDir: string | undefined, events: RegistryEvent[] = [], extra: RegistryOptions = {}): RegistryPool {
  const p = new RegistryPool({
    retry: { retries: 0 },
    upload: { monolithicLimit: MiB, chunkSize: CHUNK },
    onEvent: (e) => void events.push(e),
    ...(stateDir !== undefined ? { uploadState: new UploadStateFiles(stateDir) } : {}),
    ...extra,
  });
  pools.push(p);
  return p;
}

async function pushVia(host: string, prefix: string, p: RegistryPool, signal?: AbortSignal, onBytes?: (n: number) => void) {
  const verified = await openVerifiedBundle(bundle, { keys: [pub] });
  try {
    return await pushBundle(verified, {
      registry: parseTargetRegistry(`${host}/${prefix}`),
      openRepository: (ref) => p.repository(ref),
      ...(signal ? { signal } : {}),
      ...(onBytes ? { onEvent: (e) => e.type === 'blob-progress' && e.digest === bigDigest && onBytes(e.bytes) } : {}),
    });
  } finally {
    await verified.close();
  }
}

/** The blob as the target registry serves it, hashed. */
async function digestOnTarget(repo: string): Promise<string> {
  const res = await fetch(`http://${target.host}/v2/${repo}/blobs/${bigDigest}`);
  return `sha256:${createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-resume-'));
  ({ path: bundle, pub } = await imageBundle(dir, [{ name: 'ghcr.io/org/big:1', built: makeImage({ layers: [big], label: 'resume' }) }]));
  target = await startRegistry();
  // Counts the bytes each run sends, and cuts the link at a byte count; 64 MiB/s keeps
  // an interrupt inside one blob without a timer.
  faults = await startFaultProxy(target.host);
  meter = await startThrottleProxy(faults.host, 64 * MiB);
}, 60_000);

afterAll(async () => {
  for (const p of pools) p.close();
  await meter?.stop();
  await faults?.stop();
  await target?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('resuming a push inside a large blob', () => {
  it('a link cut between chunks keeps the session; the next run sends only the bytes the registry lacks', async () => {
    const state = join(dir, 'state-cut');
    // The third PATCH (bytes 8-12 MiB) never reaches the registry: the link drops as it starts.
    faults.setRules([{ method: 'PATCH', skip: 2, fault: { type: 'reset' } }]);
    await expect(pushVia(meter.host, 'cut', pool(state))).rejects.toMatchObject({ retryable: true });
    faults.setRules([]);
    const saved = JSON.parse(await readFile(join(state, 'uploads', (await readdir(join(state, 'uploads')))[0]!), 'utf8')) as { offset: number; digest: string };
    expect(saved).toMatchObject({ offset: 2 * CHUNK, digest: bigDigest });
    // No DELETE went to the session that is to be continued.
    expect(faults.requests.filter((r) => r.method === 'DELETE')).toEqual([]);

    const events: RegistryEvent[] = [];
    const before = meter.forwarded;
    const items = await pushVia(meter.host, 'cut', pool(state, events));
    const sent = meter.forwarded - before;
    expect(items[0]!.status).toBe('pushed');
    expect(events.filter((e) => e.kind === 'resume').map((e) => e.detail)).toEqual([`${2 * CHUNK} of ${SIZE} bytes already there`]);
    // The remaining bytes, plus request heads and the manifest: not one chunk more.
    expect(sent).toBeGreaterThanOrEqual(SIZE - 2 * CHUNK);
    expect(sent).toBeLessThanOrEqual(SIZE - 2 * CHUNK + 64 * 1024);
    expect(await digestOnTarget('cut/org/big')).toBe(bigDigest);
    expect(await readdir(join(state, 'uploads'))).toEqual([]);
  });

  it('a link cut inside a chunk: distribution refuses that session, so the next run starts the blob over, saying so once', async () => {
    const state = join(dir, 'state-mid');
    meter.cutAfter(10 * 1000 * 1000);
    await expect(pushVia(meter.host, 'mid', pool(state))).rejects.toMatchObject({ retryable: true });
    const events: RegistryEvent[] = [];
    await pushVia(meter.host, 'mid', pool(state, events));
    expect(events.filter((e) => e.kind === 'restart' || e.kind === 'resume').map((e) => e.kind)).toEqual(['restart']);
    expect(await digestOnTarget('mid/org/big')).toBe(bigDigest);
  });

  it('an interrupt mid-blob finishes the chunk in flight, keeps the session, and the next run continues it', async () => {
    const state = join(dir, 'state-int');
    const controller = new AbortController();
    await expect(pushVia(meter.host, 'int', pool(state), controller.signal, (n) => n > 10 * MiB && controller.abort())).rejects.toMatchObject({ code: 'INTERRUPTED' });
    const files = await readdir(join(state, 'uploads'));
    expect(files).toHaveLength(1);
    const events: RegistryEvent[] = [];
    const before = meter.forwarded;
    await pushVia(meter.host, 'int', pool(state, events));
    expect(events.map((e) => e.kind)).toContain('resume');
    expect(meter.forwarded - before).toBeLessThan(SIZE - CHUNK);
    expect(await digestOnTarget('int/org/big')).toBe(bigDigest);
  });

  it('an expired or unknown session starts the blob over, with one event saying so', async () => {
    const state = join(dir, 'state-gone');
    const store = new UploadStateFiles(state);
    const gone = `http://${target.host}/v2/gone/org/big/blobs/uploads/00000000-0000-0000-0000-000000000000?_state=x`;
    await store.put({ host: target.host, repository: 'gone/org/big', digest: bigDigest, location: gone, offset: 8 * CHUNK, updated: new Date().toISOString() });
    const events: RegistryEvent[] = [];
    const items = await pushVia(target.host, 'gone', pool(state, events));
    expect(items[0]!.status).toBe('pushed');
    expect(events.filter((e) => e.kind === 'restart')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'resume')).toHaveLength(0);
    expect(await digestOnTarget('gone/org/big')).toBe(bigDigest);
    expect(await readdir(join(state, 'uploads'))).toEqual([]);
  });

  it('a push stopped before it began (Ctrl-C during the signature check) sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(pushVia(target.host, 'never', pool(undefined), controller.signal)).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect((await fetch(`http://${target.host}/v2/never/org/big/tags/list`)).status).toBe(404);
  });

  it('a state folder that cannot be written costs the resume, never the push', async () => {
    const notADir = join(dir, 'a-file');
    await writeFile(notADir, 'x');
    const events: RegistryEvent[] = [];
    const items = await pushVia(target.host, 'nostate', pool(notADir, events));
    expect(items[0]!.status).toBe('pushed');
    expect(events.filter((e) => e.kind === 'unresumable').length).toBeGreaterThan(0);
    expect(await digestOnTarget('nostate/org/big')).toBe(bigDigest);
  });

  it('keeps its state under $XDG_STATE_HOME/airlock, or ~/.local/state/airlock', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/var/st' }, '/home/u')).toBe('/var/st/airlock');
    expect(defaultStateDir({ XDG_STATE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.local/state/airlock');
    expect(defaultStateDir({}, '/home/u')).toBe('/home/u/.local/state/airlock');
  });

  it('ignores a state file that names another upload', async () => {
    const state = join(dir, 'state-odd');
    const store = new UploadStateFiles(state);
    await store.put({ host: 'h', repository: 'r', digest: 'sha256:1', location: 'http://h/x', offset: 1, updated: '' });
    const file = join(state, 'uploads', (await readdir(join(state, 'uploads')))[0]!);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"r"', '"other"'));
    expect(await store.get('h', 'r', 'sha256:1')).toBeUndefined();
  });
});
