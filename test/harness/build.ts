import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('../../', import.meta.url).pathname;

async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? await newest(path) : (await stat(path)).mtimeMs);
  }
  return latest;
}

/**
 * The CLI tests run bin/airlock (the bundled dist/airlock.mjs) and the library test
 * imports the package by name (dist/index.js): both must be the sources under test,
 * not whatever was built last. Builds when any source is newer than the build.
 */
export async function ensureBuilt(): Promise<void> {
  const built = await Promise.all(['dist/airlock.mjs', 'dist/index.js'].map((f) => stat(join(root, f)).then((s) => s.mtimeMs, () => 0)));
  if (Math.min(...built) > (await newest(join(root, 'src')))) return;
  await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: root });
}
