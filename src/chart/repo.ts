import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { AirlockError } from '../errors.js';
import { isSha256Hex } from '../oci/digest.js';
import { readCapped } from '../content/verify.js';
import type { UrlFetcher } from '../registry/url.js';

/** Big public repositories publish index.yaml files of tens of MB. */
const INDEX_LIMIT = 256 * 1024 * 1024;

export interface RepoChart {
  name: string;
  version: string;
  /** Absolute download URL. */
  url: string;
  /** sha256 hex from index.yaml, when the repository publishes one. */
  sha256?: string;
}

interface IndexEntry {
  version?: unknown;
  urls?: unknown;
  digest?: unknown;
}

/** Orders x.y.z[-pre] versions; anything unparsable sorts first. */
function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(v);
    return m ? { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] } : undefined;
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  for (let i = 0; i < 3; i++) if (pa.nums[i] !== pb.nums[i]) return (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === undefined) return 1;
  if (pb.pre === undefined) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

/**
 * Finds a chart in a classic repository's index.yaml. Without a version, takes the
 * highest stable one, as `helm pull` does. Download URLs may be relative to the index.
 */
export async function resolveRepoChart(repoUrl: string, name: string, version: string | undefined, get: UrlFetcher): Promise<RepoChart> {
  const indexUrl = new URL('index.yaml', repoUrl).toString();
  const text = (await readCapped(await get(indexUrl), INDEX_LIMIT, indexUrl)).toString('utf8');
  let doc: { entries?: Record<string, IndexEntry[]> };
  try {
    doc = parseYaml(text, { maxAliasCount: -1 }) as typeof doc;
  } catch (cause) {
    throw new AirlockError('REGISTRY_ERROR', `${indexUrl} is not valid YAML`, { cause, hint: 'check that the URL is a Helm chart repository' });
  }
  const versions = doc?.entries?.[name];
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new AirlockError('NOT_FOUND', `chart "${name}" is not in the repository ${repoUrl}`, {
      hint: `check the name; the repository lists: ${Object.keys(doc?.entries ?? {}).slice(0, 20).join(', ') || 'nothing'}`,
    });
  }
  let entry: IndexEntry | undefined;
  if (version !== undefined) {
    entry = versions.find((v) => String(v.version) === version || String(v.version) === version.replace(/^v/, ''));
    if (entry === undefined) {
      const known = versions.map((v) => String(v.version)).sort(compareVersions).reverse().slice(0, 10);
      throw new AirlockError('NOT_FOUND', `chart ${name} version ${version} is not in ${indexUrl}`, {
        hint: `versions there include: ${known.join(', ')}`,
      });
    }
  } else {
    const stable = versions.filter((v) => !String(v.version).includes('-'));
    entry = [...(stable.length > 0 ? stable : versions)].sort((a, b) => compareVersions(String(a.version), String(b.version))).pop();
  }
  const urls = entry?.urls;
  if (!Array.isArray(urls) || typeof urls[0] !== 'string') {
    throw new AirlockError('REGISTRY_ERROR', `chart ${name} ${String(entry?.version)} in ${indexUrl} has no download URL`);
  }
  const chart: RepoChart = { name, version: String(entry?.version), url: new URL(urls[0], indexUrl).toString() };
  if (isSha256Hex(entry?.digest)) chart.sha256 = entry.digest;
  return chart;
}

/** Downloads a chart archive into `dir` (temp name, then rename), checking index.yaml's digest. */
export async function downloadChart(chart: RepoChart, dir: string, get: UrlFetcher): Promise<string> {
  const final = join(dir, `${chart.name}-${chart.version}.tgz`);
  const temp = `${final}.partial-${process.pid}`;
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(await get(chart.url), tap, createWriteStream(temp));
    const actual = hash.digest('hex');
    if (chart.sha256 !== undefined && actual !== chart.sha256) {
      throw new AirlockError('DIGEST_MISMATCH', `${chart.url} has sha256 ${actual}, but the repository index says ${chart.sha256}`, {
        hint: 'the chart was altered or the index is stale; do not use it',
      });
    }
    await rename(temp, final);
    return final;
  } finally {
    await rm(temp, { force: true });
  }
}
