import { AirlockError } from '../errors.js';
import { RegistryClient } from './client.js';
import type { LookupOptions } from './credentials.js';
import { configKey, removeLogin, saveLogin } from './login.js';
import type { RegistryOptions } from './options.js';

export interface LoginRequest {
  /** `HOST`, `https://HOST/` or `HOST/v2/`: users paste URLs. */
  host: string;
  username: string;
  password: string;
  /** Check the login against the registry before saving it (default true). */
  verify?: boolean;
  /** Transport options for the check (CA file, insecure hosts). */
  registry?: RegistryOptions;
  /** Where the docker config is (tests point it elsewhere). */
  where?: LookupOptions;
}

export interface LoginResult {
  host: string;
  /** The docker config key written. */
  key: string;
  path: string;
  /** The registry accepted the login (false: not checked, or the registry asks for none). */
  verified: boolean;
  /** A credential helper configured for the host, which is asked first. */
  shadowedBy?: string;
}

/** `HOST`, `https://HOST/`, `HOST/v2/` → `HOST`. */
export function hostArgument(text: string | undefined): string {
  const host = (text ?? '').trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (host === '') throw new AirlockError('USAGE', 'login needs the registry host', { hint: 'e.g. airlock login registry.example.com -u USER --password-stdin' });
  return host;
}

/** `airlock login`: checks the login against the registry (unless told not to), then saves it in the docker config. */
export async function login(request: LoginRequest): Promise<LoginResult> {
  const host = hostArgument(request.host);
  if (request.password === '') throw new AirlockError('USAGE', `no password on stdin for ${host}`, { hint: 'pipe the password into the command' });
  let verified = false;
  if (request.verify !== false) {
    const client = new RegistryClient(host, {
      ...request.registry,
      credentials: { [host]: { username: request.username, password: request.password } },
      ...request.where,
      retry: { retries: 2 },
    });
    try {
      verified = await client.checkLogin();
    } finally {
      client.close();
    }
  }
  const saved = await saveLogin(host, request.username, request.password, request.where ?? {});
  return { host, key: configKey(host), path: saved.path, verified, ...(saved.shadowedBy ? { shadowedBy: saved.shadowedBy } : {}) };
}

/** `airlock logout`: removes the host's login from the docker config. */
export async function logout(hostText: string, where: LookupOptions = {}): Promise<{ host: string; key: string; path: string; removed: boolean }> {
  const host = hostArgument(hostText);
  const { path, removed } = await removeLogin(host, where);
  return { host, key: configKey(host), path, removed };
}
