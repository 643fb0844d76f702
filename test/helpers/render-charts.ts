import { gzipSync } from 'node:zlib';
import { forgeTar, type ForgeEntry } from './archives.js';

/** A chart's files in memory, from path → text. */
export function chartFiles(files: Record<string, string | Uint8Array>): Map<string, Uint8Array> {
  return new Map(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]));
}

/** A chart .tgz as `helm package` lays it out: every file under TOP/. */
export function chartTgz(top: string, files: Record<string, string | Uint8Array>, extra: ForgeEntry[] = []): Buffer {
  return gzipSync(forgeTar([...Object.entries(files).map(([k, v]) => ({ path: `${top}/${k}`, data: Buffer.from(v) })), ...extra]));
}

export function chartYaml(name: string, extra = '', version = '1.0.0'): string {
  return `apiVersion: v2\nname: ${name}\nversion: ${version}\n${extra}`;
}
