import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startRegistry as start, type RegistryOptions as BaseOptions, type RunningRegistry } from '../../src/demo/registry.js';

export { REGISTRY_BIN, type RunningRegistry } from '../../src/demo/registry.js';

export interface RegistryOptions extends Omit<BaseOptions, 'htpasswdFile'> {
  /** Basic auth for one user; the htpasswd file is written here (bcrypt, cost 5 to stay fast). */
  htpasswd?: { user: string; password: string };
}

/** The test-side wrapper: writes the htpasswd file the registry process reads. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const { htpasswd, ...rest } = opts;
  if (htpasswd === undefined) return start(rest);
  const dir = await mkdtemp(join(tmpdir(), 'airlock-htpasswd-'));
  const file = join(dir, 'htpasswd');
  await writeFile(file, `${htpasswd.user}:${bcrypt.hashSync(htpasswd.password, 5)}\n`);
  return start({ ...rest, htpasswdFile: file });
}
