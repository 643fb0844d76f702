import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AirlockError, messageOf } from '../errors.js';
import { DOCKER_HUB_CONFIG_KEY, dockerConfigPath, normalizeConfigKey, type LookupOptions } from './credentials.js';

type ConfigDoc = Record<string, unknown> & { auths?: Record<string, unknown>; credHelpers?: Record<string, string>; credsStore?: string };

async function targetPath(opts: LookupOptions): Promise<string> {
  const path = dockerConfigPath(opts);
  // Write through a symlinked config (dotfile managers) instead of replacing the link.
  return realpath(path).catch(() => path);
}

async function readDoc(path: string): Promise<ConfigDoc | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirlockError('IO', `cannot read ${path}: ${messageOf(err)}`, { hint: 'check the file permissions', cause: err });
  }
  if (text.trim() === '') return {};
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as ConfigDoc;
  } catch (err) {
    // Never overwrite a file we cannot read: it may hold other logins.
    throw new AirlockError('IO', `${path} is not valid JSON (${messageOf(err)}); not touching it`, { hint: `fix or move ${path} away, then log in again` });
  }
}

/** Writes the file atomically, readable by its owner only: temp file in the same folder, fsync, rename. */
async function writeDoc(path: string, doc: ConfigDoc): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(doc, null, '\t')}\n`);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw new AirlockError('IO', `cannot write ${path}: ${messageOf(err)}`, { cause: err });
  }
  await handle.close();
  await rename(temp, path);
}

/** The key docker itself uses for a host: Docker Hub under its v1 URL, others as `HOST[:PORT]`. */
export function configKey(host: string): string {
  return normalizeConfigKey(host) === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : host.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

export interface SavedLogin {
  /** The file written. */
  path: string;
  /** A credential helper that docker (and airlock) consult before `auths` for this host, if any. */
  shadowedBy?: string;
}

/**
 * Stores a login in the docker config (`$DOCKER_CONFIG/config.json` or
 * `~/.docker/config.json`), keeping every other entry. Older entries for the same
 * host under another spelling (`https://HOST`) are replaced, so no stale one wins.
 */
export async function saveLogin(host: string, username: string, password: string, opts: LookupOptions = {}): Promise<SavedLogin> {
  if (username === '' || username.includes(':')) {
    throw new AirlockError('USAGE', 'the user name must not be empty or contain ":"', { hint: 'pass it with -u USER' });
  }
  if (password === '') throw new AirlockError('USAGE', `empty password for ${host}`, { hint: 'pipe the password in: ... | airlock login HOST -u USER --password-stdin' });
  const path = await targetPath(opts);
  const doc = (await readDoc(path)) ?? {};
  const auths: Record<string, unknown> = typeof doc.auths === 'object' && doc.auths !== null ? { ...doc.auths } : {};
  const want = normalizeConfigKey(host);
  for (const key of Object.keys(auths)) if (normalizeConfigKey(key) === want) delete auths[key];
  auths[configKey(host)] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  doc.auths = auths;
  await writeDoc(path, doc);
  const helperKey = Object.keys(doc.credHelpers ?? {}).find((k) => normalizeConfigKey(k) === want);
  const shadowedBy = helperKey !== undefined ? doc.credHelpers![helperKey] : undefined;
  return { path, ...(shadowedBy !== undefined ? { shadowedBy: `docker-credential-${shadowedBy}` } : {}) };
}

/** Removes a host's login from the docker config. Returns false when there was none. */
export async function removeLogin(host: string, opts: LookupOptions = {}): Promise<{ path: string; removed: boolean }> {
  const path = await targetPath(opts);
  const doc = await readDoc(path);
  if (doc === undefined || typeof doc.auths !== 'object' || doc.auths === null) return { path, removed: false };
  const auths = { ...doc.auths };
  const want = normalizeConfigKey(host);
  let removed = false;
  for (const key of Object.keys(auths)) {
    if (normalizeConfigKey(key) === want) {
      delete auths[key];
      removed = true;
    }
  }
  if (!removed) return { path, removed };
  doc.auths = auths;
  await writeDoc(path, doc);
  return { path, removed };
}
