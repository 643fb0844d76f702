import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { AirlockError, messageOf } from '../errors.js';

/**
 * Charts are small: a chart archive (and every nested subchart archive) is read
 * into memory, so each is capped. 50 MiB is far above any real chart (the largest
 * public ones are a few MiB) and well below what would hurt.
 */
export const CHART_ARCHIVE_LIMIT = 50 * 1024 * 1024;
/** Bytes kept from one archive (the files we read: Chart.yaml, values, templates, subcharts). */
const KEPT_LIMIT = 50 * 1024 * 1024;
/** Bytes decompressed from one archive, kept or not: a gzip bomb stops here. */
const SCANNED_LIMIT = 512 * 1024 * 1024;

/** The files of one chart that matter for finding images, by path below the chart's own folder. */
export interface ChartFiles {
  /** Where the chart was read from, for messages: `app-1.0.0.tgz`, `app-1.0.0.tgz!charts/web-0.1.0.tgz`. */
  origin: string;
  files: Map<string, Buffer>;
}

/**
 * Which files are read: the chart's Chart.yaml, requirements.yaml (apiVersion v1),
 * values.yaml and templates, and the same for subchart folders under charts/,
 * nested to any depth, plus subchart archives. README, crds/ and files/ are not.
 */
const WANTED = /^(?:charts\/[^/]+\/)*(?:Chart\.yaml|requirements\.yaml|values\.yaml|templates\/.+|charts\/[^/]+\.tgz)$/;

export function isWanted(path: string): boolean {
  return WANTED.test(path);
}

/** Splits an entry path into clean parts; undefined for anything that climbs out (`..`) or is absolute. */
function cleanParts(path: string): string[] | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return undefined;
  const parts = path.split(/[/\\]/).filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? undefined : parts;
}

/**
 * Reads a chart archive (.tgz; a plain tar works too) without extracting it.
 * Entry names are used only as map keys, never as file system paths, and one
 * that climbs out of its folder is ignored. The chart is the folder that holds
 * `TOP/Chart.yaml`; files outside it are ignored, as helm does.
 */
export async function readChartArchive(input: Buffer | string, origin: string, options: { all?: boolean } = {}): Promise<ChartFiles> {
  // `all` keeps every file (rendering needs them for .Files) and, as helm does, refuses
  // an entry that climbs out (`../`) or is absolute instead of skipping it.
  const wanted = options.all === true ? () => true : isWanted;
  let unsafe: string | undefined;
  if (typeof input === 'string') {
    const size = (await stat(input)).size;
    if (size > CHART_ARCHIVE_LIMIT) throw tooBig(origin, size);
  } else if (input.length > CHART_ARCHIVE_LIMIT) throw tooBig(origin, input.length);

  const byTop = new Map<string, Map<string, Buffer>>();
  let kept = 0;
  let scanned = 0;
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err === undefined) resolve();
      else reject(err);
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const parts = entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile' ? cleanParts(entry.path) : undefined;
        const rel = parts && parts.length > 1 ? parts.slice(1).join('/') : undefined;
        if (options.all === true && cleanParts(entry.path) === undefined) unsafe ??= entry.path;
        if (parts === undefined || rel === undefined || !wanted(rel)) {
          entry.on('data', (chunk: Buffer) => {
            scanned += chunk.length;
            if (scanned > SCANNED_LIMIT) parser.abort(new Error(`more than ${SCANNED_LIMIT} bytes once decompressed`));
          });
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => {
          scanned += chunk.length;
          kept += chunk.length;
          if (kept > KEPT_LIMIT || scanned > SCANNED_LIMIT) parser.abort(new Error(`its chart files are larger than ${KEPT_LIMIT} bytes`));
          else chunks.push(chunk);
        });
        entry.on('end', () => {
          let files = byTop.get(parts[0]!);
          if (files === undefined) byTop.set(parts[0]!, (files = new Map()));
          files.set(rel, Buffer.concat(chunks));
        });
      },
    });
    parser.on('error', (err: unknown) => settle(err));
    parser.on('end', () => settle());
    parser.on('close', () => settle());
    if (typeof input === 'string') {
      const stream = createReadStream(input);
      stream.on('error', (err) => settle(err));
      stream.pipe(parser);
    } else parser.end(input);
  }).catch((cause: unknown) => {
    throw new AirlockError('ARCHIVE_INVALID', `${origin} is not a readable chart archive (.tgz): ${messageOf(cause)}`, {
      cause,
      hint: 'a Helm chart archive is what `helm package` writes; check the file',
    });
  });

  if (unsafe !== undefined) {
    throw new AirlockError('PATH_UNSAFE', `${origin}: chart illegally references parent directory or an absolute path: ${JSON.stringify(unsafe)}`, {
      hint: 'this archive is not one helm would load; check where it came from',
    });
  }
  const tops = [...byTop.entries()].filter(([, files]) => files.has('Chart.yaml'));
  if (tops.length !== 1) {
    throw new AirlockError('ARCHIVE_INVALID', `${origin} has ${tops.length === 0 ? 'no' : 'more than one'} top-level */Chart.yaml`, {
      hint: 'a Helm chart archive holds exactly one folder NAME/ with NAME/Chart.yaml',
    });
  }
  return { origin, files: tops[0]![1] };
}

function tooBig(origin: string, size: number): AirlockError {
  return new AirlockError('SIZE_LIMIT', `${origin} is ${size} bytes, more than the ${CHART_ARCHIVE_LIMIT}-byte limit for a chart archive`, {
    hint: 'charts are small; this is not a chart archive, or it carries images or data it should not',
  });
}

/** Reads a chart folder (as `helm create` makes, or an unpacked chart) with the same selection as an archive. */
export async function readChartFolder(dir: string): Promise<ChartFiles> {
  const files = new Map<string, Buffer>();
  let kept = 0;
  // Symlinked folders are not followed: a link loop or a link out of the chart would make the walk unbounded.
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > 32) return;
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (/^(?:charts\/[^/]+\/)*(?:templates(?:\/.*)?|charts|charts\/[^/]+)$/.test(path)) await walk(path, depth + 1);
        continue;
      }
      if (!isWanted(path)) continue;
      const s = await stat(join(dir, path));
      if (!s.isFile()) continue;
      kept += s.size;
      if (kept > KEPT_LIMIT) {
        throw new AirlockError('SIZE_LIMIT', `${dir}: its chart files are larger than ${KEPT_LIMIT} bytes`, {
          hint: 'point at the chart folder itself (the one with Chart.yaml)',
        });
      }
      files.set(path, await readFile(join(dir, path)));
    }
  };
  try {
    await walk('', 0);
  } catch (cause) {
    if (cause instanceof AirlockError) throw cause;
    throw new AirlockError('IO', `cannot read the chart folder ${dir}: ${messageOf(cause)}`, { cause });
  }
  if (!files.has('Chart.yaml')) {
    throw new AirlockError('USAGE', `${dir} has no Chart.yaml: it is not a chart folder`, {
      hint: 'give the folder that holds Chart.yaml, a chart .tgz, or an oci:// reference',
    });
  }
  return { origin: dir, files };
}
