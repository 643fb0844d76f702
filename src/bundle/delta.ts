import { join } from 'node:path';
import { digestHex, hashStream, shortDigest } from '../content/digest.js';
import { limiter } from '../content/limit.js';
import { verified } from '../content/verify.js';
import { AirlockError } from '../errors.js';
import { writeStreamAtomic } from '../layout/atomic.js';
import type { Descriptor } from '../oci/schemas.js';
import type { ImageRef } from '../ref/index.js';
import { walkGraph } from './graph.js';
import type { BaseRef, BundleManifest, FileEntry } from './manifest.js';
import { plannedTarget, type PushPlan } from './plan.js';
import { BundleSource, hexOf, openSignedBundle, type OpenedBundle } from './read.js';

export interface DeltaSummary {
  bases: BaseRef[];
  /** Blobs left out (held by a base) and their bytes. */
  omittedFiles: number;
  omittedBytes: number;
}

export function deltaSummary(manifest: BundleManifest): DeltaSummary {
  const omitted = manifest.files.filter((f) => f.base !== undefined);
  return { bases: manifest.bases ?? [], omittedFiles: omitted.length, omittedBytes: omitted.reduce((n, f) => n + f.size, 0) };
}

function describeBase(manifest: BundleManifest, digest: string): string {
  const ref = manifest.bases?.find((b) => b.digest === digest);
  return ref === undefined ? digest : `${ref.kind} ${ref.name} (${digest})`;
}

/** Files marked `base` that this copy of the bundle does not hold (an unpacked delta holds them all). */
export function missingFromBundle(bundle: OpenedBundle): FileEntry[] {
  const present = new Set(bundle.entries.filter((e) => e.type === 'file').map((e) => e.path));
  return bundle.manifest.files.filter((f) => f.base !== undefined && !present.has(`${bundle.layout.root}${f.path}`));
}

/** A base given with --base, opened: its airlock.json digest must be one the delta names. */
async function openBases(bundle: OpenedBundle, inputs: readonly string[]): Promise<Map<string, OpenedBundle>> {
  const named = new Set<string>((bundle.manifest.bases ?? []).map((b) => b.digest));
  const opened = new Map<string, OpenedBundle>();
  try {
    for (const input of inputs) {
      const base = await openSignedBundle(input);
      opened.set(hexOf(base.manifestBytes), base);
      const digest = `sha256:${hexOf(base.manifestBytes)}`;
      if (!named.has(digest)) {
        throw new AirlockError('BASE_MISMATCH', `${input} (airlock.json ${digest}) is not a base of ${bundle.reader.name}`, {
          hint: `the delta was packed against ${[...named].join(', ')}; give that bundle with --base`,
        });
      }
    }
  } catch (err) {
    await Promise.all([...opened.values()].map((b) => b.close()));
    throw err;
  }
  return opened;
}

/** Refuses a delta whose omitted blobs have no base to come from, naming the bases needed. */
export function requireBases(bundle: OpenedBundle, given: readonly string[], command: string): FileEntry[] {
  const missing = missingFromBundle(bundle);
  if (missing.length > 0 && given.length === 0) {
    const needed = [...new Set(missing.map((f) => f.base!))].map((d) => describeBase(bundle.manifest, d));
    throw new AirlockError('BASE_MISSING', `${bundle.reader.name} is a delta: ${missing.length} blob(s) are in its base, not in it. ${command} needs --base with ${needed.join(', ')}`, {
      hint: `give the earlier bundle: airlock ${command} --base OLD.tar ${bundle.reader.name}`,
    });
  }
  return missing;
}

/**
 * Every omitted blob, from the bases given, hashed against the delta's signed
 * manifest; `writeTo` (unpack) also writes it into that layout folder.
 */
export async function takeFromBases(bundle: OpenedBundle, inputs: readonly string[], command: string, writeTo?: string): Promise<{ files: number; bytes: number }> {
  const missing = requireBases(bundle, inputs, command);
  if (missing.length === 0) return { files: 0, bytes: 0 };
  const bases = await openBases(bundle, inputs);
  try {
    const problems: string[] = [];
    let bytes = 0;
    for (const f of missing) {
      const base = bases.get(digestHex(f.base!));
      const entry = base && `${base.layout.root}${f.path}`;
      if (base === undefined || !base.entries.some((e) => e.path === entry && e.type === 'file')) {
        problems.push(`${f.path}: not in the bases given (the delta names ${describeBase(bundle.manifest, f.base!)})`);
        continue;
      }
      const desc = { digest: `sha256:${f.sha256}`, size: f.size };
      const stream = verified(await base.reader.open(entry!), desc, `${f.path} from ${base.reader.name}`);
      if (writeTo !== undefined) await writeStreamAtomic(join(writeTo, f.path), stream, 'blob');
      else if ((await hashStream(stream)).hex !== f.sha256) problems.push(`${f.path} in ${base.reader.name} does not match`);
      bytes += f.size;
    }
    if (problems.length > 0) {
      throw new AirlockError('BASE_MISSING', `the bases given lack ${problems.length} blob(s) the delta left out:\n${problems.slice(0, 20).map((p) => `  - ${p}`).join('\n')}`, {
        hint: 'give the bundle the delta was packed against',
      });
    }
    return { files: missing.length, bytes };
  } finally {
    await Promise.all([...bases.values()].map((b) => b.close()));
  }
}

export interface MissingBlob {
  digest: string;
  /** The base the delta says holds it. */
  base: string;
  /** Target repositories that need it. */
  repositories: string[];
}

/** A registry repository as the delta check reads it. */
export interface DeltaTarget {
  exists(desc: Descriptor): Promise<boolean>;
}

/**
 * Before push sends anything: every blob the delta left out must be in the
 * registry already, in the repository that needs it or another one push writes
 * to (where a mount takes it from; the HEAD that found it tells the client so).
 * Throws BASE_MISSING listing each missing digest and the base that holds it.
 */
export async function checkOmittedInRegistry(
  bundle: OpenedBundle,
  plan: PushPlan,
  openRepository: (ref: Pick<ImageRef, 'registry' | 'repository'>) => DeltaTarget,
): Promise<void> {
  const omitted = new Map(missingFromBundle(bundle).map((f) => [`sha256:${f.sha256}`, f]));
  if (omitted.size === 0) return;
  const source = new BundleSource(bundle);
  const needs = new Map<string, { desc: Descriptor; repositories: Set<string> }>();
  for (const item of plan.items) {
    const graph = await walkGraph(source, await source.resolve(item.digest), item.source);
    for (const d of graph.nodes.values()) {
      if (!omitted.has(d.digest)) continue;
      const need = needs.get(d.digest) ?? { desc: d, repositories: new Set<string>() };
      need.repositories.add(plannedTarget(item).repository);
      needs.set(d.digest, need);
    }
  }
  const repositories = [...new Set(plan.items.map((i) => plannedTarget(i).repository))];
  const host = plan.registry.host;
  const few = limiter(8);
  const missing: MissingBlob[] = [];
  await Promise.all(
    [...needs.values()].map((need) =>
      few(async () => {
        // Its own repositories first, then any other one push writes to (a mount source).
        const order = [...need.repositories, ...repositories.filter((r) => !need.repositories.has(r))];
        for (const repository of order) if (await openRepository({ registry: host, repository }).exists(need.desc)) return;
        missing.push({ digest: need.desc.digest, base: describeBase(bundle.manifest, omitted.get(need.desc.digest)!.base!), repositories: [...need.repositories].sort() });
      }),
    ),
  );
  if (missing.length === 0) return;
  missing.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  const lines = missing.slice(0, 50).map((m) => `  - ${m.digest} (needed by ${m.repositories.join(', ')}; in ${m.base})`);
  throw new AirlockError('BASE_MISSING', `${host} lacks ${missing.length} blob(s) the delta left out; nothing was sent:\n${lines.join('\n')}${missing.length > 50 ? `\n  … and ${missing.length - 50} more` : ''}`, {
    hint: `push the base bundle first, or pack a full bundle (without --base); ${shortDigest(missing[0]!.digest)}… is the first missing`,
  });
}

/** verify's line for a delta: the left-out blobs checked from the bases given, or why they were not. */
export async function checkDelta(bundle: OpenedBundle, bases: readonly string[]): Promise<{ check: string; ok: boolean; detail: string } | undefined> {
  const missing = missingFromBundle(bundle);
  if (missing.length === 0) {
    if (bases.length > 0) throw new AirlockError('USAGE', `${bundle.reader.name} holds every blob it lists: --base has nothing to check`, { hint: 'drop --base' });
    return undefined;
  }
  const names = (bundle.manifest.bases ?? []).map((b) => `${b.kind} ${b.name} (${b.digest})`).join(', ');
  if (bases.length === 0) {
    const bytes = missing.reduce((n, f) => n + f.size, 0);
    return { check: 'delta', ok: true, detail: `delta: ${missing.length} blob(s), ${bytes} bytes, are in its base ${names}, not checked (give --base to check them)` };
  }
  const taken = await takeFromBases(bundle, bases, 'verify');
  return { check: 'delta', ok: true, detail: `delta: ${taken.files} blob(s), ${taken.bytes} bytes, left out and found in the base given with their digests` };
}
