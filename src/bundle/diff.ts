import { AirlockError } from '../errors.js';
import { isManifestType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/schemas.js';
import type { PublicKey } from '../sign/index.js';
import { looksLikeJson, readJson } from './base.js';
import { walkGraph } from './graph.js';
import { BundleManifestSchema, type BundleManifest } from './manifest.js';
import { BundleSource, openSignedBundle } from './read.js';
import { isReceiptJson, parseReceipt } from './receipt.js';
import { verifySignatures } from './signers.js';

/** One tagged (or digest-pinned) root on one side of a diff. */
interface Entry {
  kind: string;
  repository: string;
  tag: string;
  digest: string;
  platforms: string[];
  /** Blobs below it (layers, not manifests), when the side holds its manifests. */
  layers?: Map<string, Descriptor>;
}

interface Side {
  name: string;
  form: 'bundle' | 'airlock.json' | 'receipt' | 'inventory';
  entries: Entry[];
  signed: boolean;
}

export interface DiffItem {
  kind: string;
  repository: string;
  tag: string;
  digest: string;
}

export interface ChangedItem {
  kind: string;
  repository: string;
  old: { tag: string; digest: string };
  new: { tag: string; digest: string };
  platformsAdded: string[];
  platformsRemoved: string[];
  layersAdded: { digest: string; size: number }[];
  layersRemoved: { digest: string; size: number }[];
}

export interface DiffReport {
  old: { name: string; form: Side['form']; signed: boolean };
  new: { name: string; form: Side['form']; signed: boolean };
  added: DiffItem[];
  removed: DiffItem[];
  changed: ChangedItem[];
  unchanged: DiffItem[];
  /** cosign-style signatures, attestations and SBOMs (tags `sha256-<hex>.sig|.att|.sbom`) added and removed. */
  attachmentsAdded: DiffItem[];
  attachmentsRemoved: DiffItem[];
  /** Bytes of layers NEW has and OLD does not. */
  bytesAdded: number;
}

function split(name: string): { repository: string; tag: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: name.slice(at + 1) };
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) } : { repository: name, tag: 'latest' };
}

function fromManifest(m: BundleManifest): Entry[] {
  return m.artifacts.map((a) => ({ kind: a.kind, ...split(a.name), digest: a.digest, platforms: a.platforms }));
}

/** Reads a bundle (any form), an airlock.json or a receipt; with keys, its signature must verify. */
async function readSide(input: string, keys: readonly PublicKey[]): Promise<Side> {
  if (await looksLikeJson(input)) {
    const { json } = await readJson(input);
    if (isReceiptJson(json)) {
      const { receipt, signed } = parseReceipt(json, input, keys);
      const entries = receipt.repositories.flatMap((r) => r.tags.map((t) => ({ kind: 'image', repository: r.name, tag: t.tag, digest: t.digest, platforms: [] })));
      return { name: input, form: receipt.kind, entries, signed };
    }
    if (keys.length > 0) {
      throw new AirlockError('USAGE', `${input}: a lone airlock.json cannot be checked here`, { hint: 'diff the bundles themselves to check their signatures' });
    }
    return { name: input, form: 'airlock.json', entries: fromManifest(BundleManifestSchema.parse(json)), signed: false };
  }
  const bundle = await openSignedBundle(input);
  try {
    if (keys.length > 0) await verifySignatures(bundle, { keys });
    const source = new BundleSource(bundle);
    const entries = fromManifest(bundle.manifest);
    for (const [i, a] of bundle.manifest.artifacts.entries()) {
      // Manifests and configs are in every bundle, deltas too: the graph can be walked.
      const graph = await walkGraph(source, await source.resolve(a.digest), a.name);
      entries[i]!.layers = new Map([...graph.nodes.values()].filter((d) => !isManifestType(d.mediaType) && !/config/.test(d.mediaType)).map((d) => [d.digest, d]));
    }
    return { name: bundle.reader.name, form: 'bundle', entries, signed: keys.length > 0 };
  } finally {
    await bundle.close();
  }
}

const ATTACHMENT = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;
const item = (e: Entry): DiffItem => ({ kind: e.kind, repository: e.repository, tag: e.tag, digest: e.digest });

/**
 * `airlock diff OLD NEW`: what changed since the last approved bundle. Roots are
 * paired by repository and tag; in one repository, a lone old tag and a lone new
 * one (`app:1.0`, `app:1.1`) are read as one image changed.
 */
export async function diff(oldInput: string, newInput: string, options: { keys?: readonly PublicKey[] } = {}): Promise<DiffReport> {
  const keys = options.keys ?? [];
  const [a, b] = [await readSide(oldInput, keys), await readSide(newInput, keys)];
  const oldLayers = new Map(a.entries.flatMap((e) => [...(e.layers ?? new Map<string, Descriptor>()).entries()]));
  const newLayers = new Map(b.entries.flatMap((e) => [...(e.layers ?? new Map<string, Descriptor>()).entries()]));
  const report: DiffReport = {
    old: { name: a.name, form: a.form, signed: a.signed },
    new: { name: b.name, form: b.form, signed: b.signed },
    added: [], removed: [], changed: [], unchanged: [], attachmentsAdded: [], attachmentsRemoved: [],
    bytesAdded: [...newLayers.values()].filter((d) => !oldLayers.has(d.digest)).reduce((n, d) => n + d.size, 0),
  };
  const change = (o: Entry, n: Entry): ChangedItem => ({
    kind: n.kind,
    repository: n.repository,
    old: { tag: o.tag, digest: o.digest },
    new: { tag: n.tag, digest: n.digest },
    platformsAdded: n.platforms.filter((p) => !o.platforms.includes(p)),
    platformsRemoved: o.platforms.filter((p) => !n.platforms.includes(p)),
    layersAdded: [...(n.layers?.values() ?? [])].filter((d) => !oldLayers.has(d.digest)).map((d) => ({ digest: d.digest, size: d.size })),
    layersRemoved: [...(o.layers?.values() ?? [])].filter((d) => !newLayers.has(d.digest)).map((d) => ({ digest: d.digest, size: d.size })),
  });
  const repositories = [...new Set([...a.entries, ...b.entries].map((e) => e.repository))].sort();
  for (const repository of repositories) {
    const olds = a.entries.filter((e) => e.repository === repository);
    const news = b.entries.filter((e) => e.repository === repository);
    const oldOnly = olds.filter((o) => !news.some((n) => n.tag === o.tag));
    const newOnly = news.filter((n) => !olds.some((o) => o.tag === n.tag));
    for (const n of news) {
      const o = olds.find((x) => x.tag === n.tag);
      if (o === undefined) continue;
      if (o.digest === n.digest) report.unchanged.push(item(n));
      else report.changed.push(change(o, n));
    }
    const plain = (list: Entry[], attached: boolean) => list.filter((e) => ATTACHMENT.test(e.tag) === attached);
    report.attachmentsAdded.push(...plain(newOnly, true).map(item));
    report.attachmentsRemoved.push(...plain(oldOnly, true).map(item));
    const [o1, n1] = [plain(oldOnly, false), plain(newOnly, false)];
    if (o1.length === 1 && n1.length === 1) report.changed.push(change(o1[0]!, n1[0]!));
    else {
      report.removed.push(...o1.map(item));
      report.added.push(...n1.map(item));
    }
  }
  return report;
}
