/**
 * Repeat transfers (issue 15): push receipts, inventories, delta bundles packed
 * against a base, their use on the far side, and `airlock diff`. Real registries
 * on 127.0.0.1, images built here: v1 = app:1.0 + db:1, v2 = app:1.1 (sharing
 * app's base layers) + db:1.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExitCode } from '../src/cli/exit.js';
import { BundleManifestSchema } from '../src/bundle/manifest.js';
import type { Digest } from '../src/oci/digest.js';
import { startRegistry, type RunningRegistry } from './harness/registry.js';
import { rawManifest, skopeoCopy } from './harness/skopeo.js';
import { makeBlob, makeImage, type Built } from './helpers/images.js';
import { seedWithSkopeo } from './helpers/seed.js';
import { airlock, airlockOk } from './helpers/cli-run.js';

const source = inject('registry');
const ns = `delta-${process.pid}`;
let dir: string;
const running: RunningRegistry[] = [];

const ok = airlockOk;

const base1 = makeBlob('delta-base-1', 300_000);
const base2 = makeBlob('delta-base-2', 200_000);
const app10 = makeImage({ layers: [base1, base2, makeBlob('delta-app-1.0', 100_000)], label: 'app 1.0' });
const app11 = makeImage({ layers: [base1, base2, makeBlob('delta-app-1.1', 120_000)], label: 'app 1.1' });
const db1 = makeImage({ layers: [makeBlob('delta-db-1', 150_000)], label: 'db 1' });
const layerOf = (built: Built, i: number): string => (JSON.parse(built.manifest.toString('utf8')) as { layers: { digest: string }[] }).layers[i]!.digest;

const v1Images = [`${source}/${ns}/app:1.0`, `${source}/${ns}/db:1`];
const v2Images = [`${source}/${ns}/app:1.1`, `${source}/${ns}/db:1`];
const path = (name: string): string => join(dir, name);
const packArgs = (images: string[], out: string, ...extra: string[]): string[] => ['pack', ...images.flatMap((i) => ['--image', i]), '--key', path('vendor.key'), '-o', path(out), ...extra];

/** Every file under the registry's storage, with its size: what "nothing was uploaded" means on disk. */
async function storageListing(registry: RunningRegistry): Promise<string[]> {
  const root = join(registry.dir, 'storage');
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      out.push(`${p.slice(root.length)} ${e.isFile() ? (await stat(p)).size : 'dir'}`);
    }
  };
  await walk(root);
  return out.sort();
}

async function manifestOf(bundle: string): Promise<ReturnType<typeof BundleManifestSchema.parse>> {
  const run = await ok('inspect', bundle, '--json');
  expect(run.code).toBe(0);
  // inspect --json gives the summary; the files list comes from the unpacked manifest (airlock.json is first in the tar).
  const tar = await readFile(bundle);
  const size = parseInt(tar.subarray(124, 136).toString('utf8').replace(/\0.*$/, '').trim(), 8);
  return BundleManifestSchema.parse(JSON.parse(tar.subarray(512, 512 + size).toString('utf8')));
}

/** Layer digests a bundle's tar holds (blobs that are not manifests or configs). */
function layerDigests(m: ReturnType<typeof BundleManifestSchema.parse>, which: 'held' | 'omitted'): string[] {
  const layers = new Set([app10, app11, db1].flatMap((b) => [0, 1, 2].map((i) => { try { return layerOf(b, i); } catch { return ''; } })));
  return m.files
    .filter((f) => f.path.startsWith('blobs/') && layers.has(`sha256:${f.sha256}`) && (which === 'held' ? f.base === undefined : f.base !== undefined))
    .map((f) => `sha256:${f.sha256}`)
    .sort();
}

let target: RunningRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-delta-'));
  await seedWithSkopeo(source, [
    { built: app10, repo: `${ns}/app`, tag: '1.0' },
    { built: app11, repo: `${ns}/app`, tag: '1.1' },
    { built: db1, repo: `${ns}/db`, tag: '1' },
  ]);
  await ok('keygen', '--out', path('vendor'));
  await ok('keygen', '--out', path('operator'));
  await ok(...packArgs(v1Images, 'v1.tar'));
  await ok(...packArgs(v2Images, 'v2.tar'));
  target = await startRegistry();
  running.push(target);
  await ok('push', path('v1.tar'), '--registry', `${target.host}/site`, '--key', path('vendor.pub'), '--receipt', path('r1.json'), '--receipt-key', path('operator.key'));
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await rm(dir, { recursive: true, force: true });
});

const newLayers = (): string[] => [layerOf(app11, 2)].sort();
const sharedLayers = (): string[] => [layerOf(app11, 0), layerOf(app11, 1), layerOf(db1, 0)].sort();

describe('push --receipt and inventory', () => {
  it('writes a signed receipt of every repository, tag and digest pushed', async () => {
    const r = JSON.parse(await readFile(path('r1.json'), 'utf8')) as { kind: string; registry: string; repositories: { name: string; tags: { tag: string }[] }[]; digests: string[]; signature?: unknown };
    expect(r.kind).toBe('receipt');
    expect(r.registry).toBe(`${target.host}/site`);
    expect(r.repositories.map((x) => x.name)).toEqual([`site/${ns}/app`, `site/${ns}/db`]);
    expect(r.repositories[0]!.tags.map((t) => t.tag)).toEqual(['1.0']);
    for (const d of [...sharedLayers(), layerOf(app10, 2)]) expect(r.digests).toContain(d);
    expect(r.signature).toBeDefined();
    expect((await stat(path('r1.json'))).size).toBeLessThan(8 * 1024);
  });

  it('inventories a registry filled by skopeo, and a delta against it leaves out what it holds', async () => {
    const other = await startRegistry();
    running.push(other);
    await seedWithSkopeo(other.host, [
      { built: app10, repo: `mirror/${ns}/app`, tag: '1.0' },
      { built: db1, repo: `mirror/${ns}/db`, tag: '1' },
    ]);
    await ok('inventory', '--registry', `${other.host}/mirror`, '--repositories', `${ns}/app,${ns}/db`, '-o', path('inv.json'));
    const inv = JSON.parse(await readFile(path('inv.json'), 'utf8')) as { kind: string; digests: string[] };
    expect(inv.kind).toBe('inventory');
    for (const d of sharedLayers()) expect(inv.digests).toContain(d);
    await ok(...packArgs(v2Images, 'd-inv.tar', '--base', path('inv.json')));
    const m = await manifestOf(path('d-inv.tar'));
    expect(layerDigests(m, 'held')).toEqual(newLayers());
    expect(layerDigests(m, 'omitted')).toEqual(sharedLayers());
    expect(m.bases?.[0]?.kind).toBe('inventory');
    // --from-bundle finds the same content by HEAD.
    await ok('inventory', '--registry', `${other.host}/mirror`, '--from-bundle', path('v1.tar'), '-o', path('inv2.json'));
    const inv2 = JSON.parse(await readFile(path('inv2.json'), 'utf8')) as { digests: string[] };
    for (const d of sharedLayers()) expect(inv2.digests).toContain(d);
  });
});

describe('pack --base', () => {
  it('against the earlier bundle: holds exactly the new layers, lists the whole graph, names the base by digest', async () => {
    const run = await ok(...packArgs(v2Images, 'd1.tar', '--base', path('v1.tar')));
    expect(run.stdout).toContain('left out');
    const m = await manifestOf(path('d1.tar'));
    const full = await manifestOf(path('v2.tar'));
    expect(m.files.map((f) => f.path)).toEqual(full.files.map((f) => f.path));
    expect(layerDigests(m, 'held')).toEqual(newLayers());
    expect(layerDigests(m, 'omitted')).toEqual(sharedLayers());
    const v1 = await readFile(path('v1.tar'));
    const v1Size = parseInt(v1.subarray(124, 136).toString('utf8').replace(/\0.*$/, '').trim(), 8);
    const { createHash } = await import('node:crypto');
    const v1Digest = `sha256:${createHash('sha256').update(v1.subarray(512, 512 + v1Size)).digest('hex')}`;
    expect(m.bases).toEqual([{ kind: 'bundle', digest: v1Digest, name: 'v1.tar' }]);
    for (const f of m.files.filter((x) => x.base !== undefined)) expect(f.base).toBe(v1Digest);
    expect((await stat(path('d1.tar'))).size).toBeLessThanOrEqual(120_000 + 1024 * 1024);
    const shown = await ok('inspect', path('d1.tar'));
    expect(shown.stdout).toContain('delta:');
    expect(shown.stdout).toContain(v1Digest);
    expect(shown.stdout).toMatch(/3 blob\(s\)/);
    await ok('verify', path('d1.tar'), '--key', path('vendor.pub'));
  });

  it('against a signed receipt, checked with --base-key; a receipt edited after signing is refused', async () => {
    await ok(...packArgs(v2Images, 'd2.tar', '--base', path('r1.json'), '--base-key', path('operator.pub')));
    const m = await manifestOf(path('d2.tar'));
    expect(layerDigests(m, 'held')).toEqual(newLayers());
    expect(layerDigests(m, 'omitted')).toEqual(sharedLayers());
    expect(m.bases?.[0]?.kind).toBe('receipt');
    const r = JSON.parse(await readFile(path('r1.json'), 'utf8')) as { digests: string[] };
    r.digests.push(layerOf(app11, 2));
    r.digests.sort();
    await writeFile(path('r1-edited.json'), JSON.stringify(r, null, 2));
    const refused = await airlock(...packArgs(v2Images, 'd-bad.tar', '--base', path('r1-edited.json'), '--base-key', path('operator.pub')));
    expect(refused.code).toBe(ExitCode.SIGNATURE);
    await expect(stat(path('d-bad.tar'))).rejects.toThrow();
  });
});

describe('a delta on the far side', () => {
  it('pushes into the registry that holds v1: every v2 digest equals the source', async () => {
    await ok('push', path('d1.tar'), '--registry', `${target.host}/site`, '--key', path('vendor.pub'));
    for (const [repo, tag] of [['app', '1.1'], ['db', '1']] as const) {
      expect(await rawManifest(`docker://${target.host}/site/${ns}/${repo}:${tag}`)).toEqual(await rawManifest(`docker://${source}/${ns}/${repo}:${tag}`));
    }
    // Every blob is there: skopeo reads the whole image back.
    await skopeoCopy(`docker://${target.host}/site/${ns}/app:1.1`, `oci:${path('pulled')}:app`);
  });

  it('refuses an empty registry before uploading anything, listing the missing digests', async () => {
    const empty = await startRegistry();
    running.push(empty);
    const before = await storageListing(empty);
    const run = await airlock('push', path('d1.tar'), '--registry', `${empty.host}/site`, '--key', path('vendor.pub'));
    expect(run.code).toBe(ExitCode.BASE);
    for (const d of sharedLayers()) expect(run.stderr).toContain(d);
    expect(run.stderr).toContain('v1.tar');
    expect(await storageListing(empty)).toEqual(before);
  });

  it('refuses a registry where one v1 layer was deleted, naming that layer', async () => {
    const holed = await startRegistry();
    running.push(holed);
    await ok('push', path('v1.tar'), '--registry', `${holed.host}/site`, '--key', path('vendor.pub'));
    const gone = layerOf(app10, 0);
    const res = await fetch(`${holed.url}/v2/site/${ns}/app/blobs/${gone}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    const before = await storageListing(holed);
    const run = await airlock('push', path('d1.tar'), '--registry', `${holed.host}/site`, '--key', path('vendor.pub'));
    expect(run.code).toBe(ExitCode.BASE);
    expect(run.stderr).toContain(gone);
    expect(run.stderr).not.toContain(layerOf(app10, 1));
    expect(await storageListing(holed)).toEqual(before);
  });

  it('unpack --base gives a complete layout skopeo copies with identical digests; without --base it names the base', async () => {
    const refused = await airlock('unpack', path('d1.tar'), '-o', path('nobase'), '--key', path('vendor.pub'));
    expect(refused.code).toBe(ExitCode.BASE);
    expect(refused.stderr).toContain('v1.tar');
    await expect(stat(path('nobase'))).rejects.toThrow();
    await ok('unpack', '--base', path('v1.tar'), path('d1.tar'), '-o', path('layout'), '--key', path('vendor.pub'));
    const copy = await startRegistry();
    running.push(copy);
    for (const [repo, tag] of [['app', '1.1'], ['db', '1']] as const) {
      await skopeoCopy(`oci:${path('layout')}:${source}/${ns}/${repo}:${tag}`, `docker://${copy.host}/${repo}:${tag}`, ['--preserve-digests']);
      expect(await rawManifest(`docker://${copy.host}/${repo}:${tag}`)).toEqual(await rawManifest(`docker://${source}/${ns}/${repo}:${tag}`));
    }
    // The unpacked folder holds every blob: verify needs no base for it.
    await ok('verify', path('layout'), '--key', path('vendor.pub'));
  });

  it('verify --base checks the left-out blobs; a base whose digest the delta does not name is refused', async () => {
    const run = await ok('verify', path('d1.tar'), '--base', path('v1.tar'), '--key', path('vendor.pub'));
    expect(run.stdout).toContain('found in the base');
    const wrong = await airlock('verify', path('d1.tar'), '--base', path('v2.tar'), '--key', path('vendor.pub'));
    expect(wrong.code).toBe(ExitCode.BASE);
    expect(wrong.stderr).toContain('is not a base of');
    const wrongUnpack = await airlock('unpack', '--base', path('v2.tar'), path('d1.tar'), '-o', path('wrong'), '--key', path('vendor.pub'));
    expect(wrongUnpack.code).toBe(ExitCode.BASE);
  });
});

describe('airlock diff', () => {
  it('names app 1.0 -> 1.1 with its added layer, and db:1 as unchanged', async () => {
    const run = await ok('diff', path('v1.tar'), path('v2.tar'), '--key', path('vendor.pub'));
    expect(run.stdout).toMatch(new RegExp(`changed +image .*${ns}/app 1\\.0 -> 1\\.1`));
    expect(run.stdout).toContain(`+ layer ${layerOf(app11, 2)}`);
    expect(run.stdout).toContain(`- layer ${layerOf(app10, 2)}`);
    expect(run.stdout).toMatch(new RegExp(`unchanged +image .*${ns}/db:1`));
    const json = JSON.parse((await ok('diff', path('v1.tar'), path('d1.tar'), '--json')).stdout) as {
      changed: { repository: string; old: { tag: string }; new: { tag: string }; layersAdded: { digest: string; size: number }[] }[];
      unchanged: { tag: string }[];
      added: unknown[];
      removed: unknown[];
    };
    expect(json.changed).toHaveLength(1);
    expect(json.changed[0]!.old.tag).toBe('1.0');
    expect(json.changed[0]!.new.tag).toBe('1.1');
    expect(json.changed[0]!.layersAdded).toEqual([{ digest: layerOf(app11, 2), size: 120_000 }]);
    expect(json.unchanged.map((u) => u.tag)).toEqual(['1']);
    expect(json.added).toEqual([]);
    expect(json.removed).toEqual([]);
  });

  it('diffs receipts too, and refuses an edited one when the key is given', async () => {
    await ok('push', path('d1.tar'), '--registry', `${target.host}/site`, '--key', path('vendor.pub'), '--receipt', path('r2.json'), '--receipt-key', path('operator.key'));
    const run = await ok('diff', path('r1.json'), path('r2.json'), '--key', path('operator.pub'));
    expect(run.stdout).toContain('1.0 -> 1.1');
    const edited = await airlock('diff', path('r1-edited.json'), path('r2.json'), '--key', path('operator.pub'));
    expect(edited.code).toBe(ExitCode.SIGNATURE);
  });
});

describe('the library', () => {
  it('pushBundle checks a delta too: BASE_MISSING before anything is sent', async () => {
    const { openVerifiedBundle } = await import('../src/bundle/verified.js');
    const { pushBundle } = await import('../src/bundle/push.js');
    const { parseTargetRegistry } = await import('../src/bundle/mapping.js');
    const { RegistryPool } = await import('../src/registry/index.js');
    const { loadPublicKey } = await import('../src/sign/index.js');
    const empty = await startRegistry();
    running.push(empty);
    const before = await storageListing(empty);
    const pool = new RegistryPool({});
    const verified = await openVerifiedBundle(path('d1.tar'), { keys: [await loadPublicKey(path('vendor.pub'))] });
    try {
      await expect(pushBundle(verified, { registry: parseTargetRegistry(`${empty.host}/lib`), openRepository: (ref) => pool.repository(ref) })).rejects.toMatchObject({ code: 'BASE_MISSING' });
    } finally {
      await verified.close();
      pool.close();
    }
    expect(await storageListing(empty)).toEqual(before);
  });

  it('receipts: signed over their canonical JSON, whatever the layout; any edit or a missing signature is refused when a key is given', async () => {
    const { parseReceipt, receiptText, RECEIPT_FORMAT } = await import('../src/bundle/receipt.js');
    const { generateKeyPair, parsePrivateKey, parsePublicKey } = await import('../src/sign/index.js');
    const pair = await generateKeyPair();
    const key = parsePrivateKey(pair.privateKeyPem, 'op.key');
    const pub = parsePublicKey(pair.publicKeyPem, 'op.pub');
    const receipt = { format: RECEIPT_FORMAT as typeof RECEIPT_FORMAT, kind: 'receipt' as const, created: '2026-01-01T00:00:00Z', registry: '127.0.0.1:5000/site', repositories: [], digests: [layerOf(app10, 0) as Digest] };
    const signed = JSON.parse(receiptText(receipt, key)) as Record<string, unknown>;
    // Re-indented and keys reordered: the same receipt.
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(parseReceipt(JSON.parse(JSON.stringify(reordered)), 'r', [pub]).signed).toBe(true);
    expect(() => parseReceipt({ ...signed, registry: '127.0.0.1:5000/other' }, 'r', [pub])).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    expect(() => parseReceipt(JSON.parse(receiptText(receipt)), 'r', [pub])).toThrow(expect.objectContaining({ code: 'SIGNATURE_MISSING' }));
    // Without a key it is a hint, read as is.
    expect(parseReceipt(JSON.parse(receiptText(receipt)), 'r').receipt.digests).toEqual([layerOf(app10, 0)]);
  });
});
