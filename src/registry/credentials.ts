import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AirlockError, messageOf } from '../errors.js';

/** What a registry login is made of. Never printed; `source` says where it came from. */
export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker config `identitytoken`, a helper's `<token>` user). */
  identityToken?: string;
  /** A bearer token sent as is (docker config `registrytoken`). */
  registryToken?: string;
  /** Where the credentials were found, for messages: a file path or a helper name, never the secret. */
  source?: string;
}

/** Explicit credentials: a function, or a map keyed by registry host (`docker.io`, `HOST:PORT`). */
export type CredentialsProvider = (host: string, repository?: string) => Promise<Credentials | undefined>;
export type ExplicitCredentials = Record<string, Credentials> | CredentialsProvider;

export interface LookupOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** How long a `docker-credential-*` helper may take (some prompt for a keychain). */
  helperTimeoutMs?: number;
}

/** Docker Hub is known under several names; credentials stored under any of them apply. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/** The key docker itself stores Docker Hub logins under. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

/** A registry host in the one form used for comparisons: lowercase, Docker Hub aliases folded. */
export function canonicalHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? 'docker.io' : lower;
}

/**
 * The registry part of a config key: `https://index.docker.io/v1/` → `docker.io`,
 * `https://myreg:5000` → `myreg:5000`. Containers auth.json keys may go on with a
 * repository path (`quay.io/org`): `keepPath` keeps it.
 */
export function normalizeConfigKey(key: string, keepPath = false): string {
  let text = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = text.indexOf('/');
  let path = '';
  if (slash !== -1) {
    path = text.slice(slash + 1).replace(/\/+$/, '');
    text = text.slice(0, slash);
  }
  const host = canonicalHost(text);
  // docker's `https://index.docker.io/v1/` carries an API version, not a namespace.
  if (!keepPath || path === '' || /^v[12]$/.test(path)) return host;
  return `${host}/${path}`;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

async function readConfig(path: string): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new AirlockError('IO', `cannot read credentials file ${path}: ${messageOf(err)}`, {
      hint: 'check the file permissions',
      cause: err,
    });
  }
  if (text.trim() === '') return undefined;
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as ConfigFile;
  } catch (err) {
    throw new AirlockError('IO', `credentials file ${path} is not valid JSON (${messageOf(err)})`, {
      hint: `fix or remove ${path}`,
    });
  }
}

function decodeEntry(entry: AuthEntry, source: string): Credentials | undefined {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon === -1) {
      throw new AirlockError('IO', `the "auth" value for a registry in ${source} is not base64 of USER:PASSWORD`, {
        hint: `log in again (airlock login HOST) or fix ${source}`,
      });
    }
    const creds: Credentials = { username: text.slice(0, colon), password: text.slice(colon + 1), source };
    if (entry.identitytoken) creds.identityToken = entry.identitytoken;
    return creds;
  }
  if (entry.identitytoken) return { ...(entry.username ? { username: entry.username } : {}), identityToken: entry.identitytoken, source };
  if (entry.registrytoken) return { registryToken: entry.registrytoken, source };
  if (entry.username !== undefined && entry.password !== undefined) {
    return { username: entry.username, password: entry.password, source };
  }
  return undefined;
}

/** The keys of `map` that name `host` (or, when `repository` is given and keys may carry paths, a parent of it), most specific first. */
function matchingKeys(map: Record<string, unknown>, host: string, repository: string | undefined, withPaths: boolean): string[] {
  const want = canonicalHost(host);
  const scored: [number, string][] = [];
  for (const key of Object.keys(map)) {
    const norm = normalizeConfigKey(key, withPaths);
    if (norm === want) scored.push([0, key]);
    else if (withPaths && repository !== undefined && norm.startsWith(`${want}/`)) {
      const path = norm.slice(want.length + 1);
      if (repository === path || repository.startsWith(`${path}/`)) scored.push([path.length, key]);
    }
  }
  return scored.sort((a, b) => b[0] - a[0]).map(([, key]) => key);
}

/** Runs `docker-credential-NAME get`, the protocol every docker credential helper speaks. */
export async function runCredentialHelper(
  name: string,
  serverUrl: string,
  opts: LookupOptions = {},
): Promise<Credentials | undefined> {
  const bin = `docker-credential-${name}`;
  const env = opts.env ?? process.env;
  const timeoutMs = opts.helperTimeoutMs ?? 30_000;
  const result = await new Promise<{ code: number | null; out: string; err: string; missing: boolean }>((resolve) => {
    let out = '';
    let errText = '';
    const child = spawn(bin, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (errText += d.toString('utf8')));
    child.on('error', (err) => resolve({ code: null, out, err: messageOf(err), missing: (err as NodeJS.ErrnoException).code === 'ENOENT' }));
    child.on('close', (code) => resolve({ code, out, err: errText, missing: false }));
    child.stdin.on('error', () => {
      /* the helper may exit before reading stdin; its exit status tells the story */
    });
    child.stdin.end(serverUrl);
  });
  if (result.missing) {
    throw new AirlockError('UNAUTHORIZED', `credential helper ${bin} is configured for ${serverUrl} but not installed`, {
      hint: `install ${bin}, or remove it from credHelpers / credsStore in your docker config`,
    });
  }
  if (result.code !== 0) {
    // The protocol's "not found" answer: no login stored here, which is fine.
    if (/credentials not found|not found in native keychain|no credentials/i.test(`${result.out} ${result.err}`)) return undefined;
    throw new AirlockError('UNAUTHORIZED', `credential helper ${bin} failed for ${serverUrl} (exit ${result.code ?? 'killed'})`, {
      hint: `run: echo ${serverUrl} | ${bin} get   to see what it says`,
    });
  }
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(result.out) as typeof doc;
  } catch {
    throw new AirlockError('UNAUTHORIZED', `credential helper ${bin} printed something that is not JSON for ${serverUrl}`, {
      hint: `run: echo ${serverUrl} | ${bin} get   to check it`,
    });
  }
  const username = typeof doc.Username === 'string' ? doc.Username : '';
  const secret = typeof doc.Secret === 'string' ? doc.Secret : '';
  if (secret === '') return undefined;
  // A helper answering with the user `<token>` hands out an OAuth2 refresh token.
  if (username === '<token>') return { identityToken: secret, source: bin };
  return { username, password: secret, source: bin };
}

/** What a helper is asked for: docker keeps Docker Hub under its v1 URL. */
function helperServerUrl(host: string): string {
  return canonicalHost(host) === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : host;
}

/** Looks a host up in one docker-format config file (auths, credHelpers, credsStore). */
async function fromConfig(
  file: string,
  host: string,
  repository: string | undefined,
  withPaths: boolean,
  opts: LookupOptions,
): Promise<Credentials | undefined> {
  const config = await readConfig(file);
  if (config === undefined) return undefined;
  const helpers = config.credHelpers ?? {};
  const helperKey = matchingKeys(helpers, host, repository, withPaths)[0];
  if (helperKey !== undefined && helpers[helperKey]) return runCredentialHelper(helpers[helperKey], helperServerUrl(host), opts);
  const auths = config.auths ?? {};
  for (const key of matchingKeys(auths, host, repository, withPaths)) {
    const entry = auths[key];
    if (entry === undefined || typeof entry !== 'object') continue;
    const creds = decodeEntry(entry, file);
    if (creds !== undefined) return creds;
  }
  if (config.credsStore) {
    const found = await runCredentialHelper(config.credsStore, helperServerUrl(host), opts);
    if (found !== undefined) return found;
    // docker may have stored the login under the exact key the user typed (`https://host`).
    for (const key of matchingKeys(auths, host, repository, false)) {
      if (key === helperServerUrl(host)) continue;
      const again = await runCredentialHelper(config.credsStore, key, opts);
      if (again !== undefined) return again;
    }
  }
  return undefined;
}

/** The files looked at, in order: containers' auth.json, docker's config.json, Helm's registry config. */
export function credentialFiles(opts: LookupOptions = {}): { path: string; withPaths: boolean }[] {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const xdgConfig = env.XDG_CONFIG_HOME || join(home, '.config');
  const files: { path: string; withPaths: boolean }[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push({ path: env.REGISTRY_AUTH_FILE, withPaths: true });
  if (env.XDG_RUNTIME_DIR) files.push({ path: join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'), withPaths: true });
  files.push({ path: join(xdgConfig, 'containers', 'auth.json'), withPaths: true });
  files.push({ path: dockerConfigPath(opts), withPaths: false });
  files.push({ path: env.HELM_REGISTRY_CONFIG || join(xdgConfig, 'helm', 'registry', 'config.json'), withPaths: false });
  return files;
}

/** `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: where `airlock login` writes. */
export function dockerConfigPath(opts: LookupOptions = {}): string {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  return join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json');
}

/**
 * Finds the credentials for a registry where users keep them, in this order: explicit
 * (flags), REGISTRY_AUTH_FILE, containers auth.json, docker config (with helpers), Helm.
 * The first source that knows the host wins. Undefined means anonymous.
 */
export async function findCredentials(
  host: string,
  repository: string | undefined,
  explicit: ExplicitCredentials | undefined,
  opts: LookupOptions = {},
): Promise<Credentials | undefined> {
  if (typeof explicit === 'function') {
    const found = await explicit(host, repository);
    if (found !== undefined) return { source: 'explicit options', ...found };
  } else if (explicit !== undefined) {
    const key = matchingKeys(explicit, host, undefined, false)[0];
    const found = key === undefined ? undefined : explicit[key];
    if (found !== undefined) return { source: 'explicit options', ...found };
  }
  for (const file of credentialFiles(opts)) {
    const found = await fromConfig(file.path, host, repository, file.withPaths, opts);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every secret in a set of credentials, for redaction from messages. */
export function secretsOf(creds: Credentials | undefined): string[] {
  if (creds === undefined) return [];
  const out: string[] = [];
  for (const s of [creds.password, creds.identityToken, creds.registryToken]) if (s) out.push(s);
  if (creds.username !== undefined && creds.password !== undefined) {
    out.push(Buffer.from(`${creds.username}:${creds.password}`).toString('base64'));
  }
  return out;
}
