import type { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import type { Credentials } from '../registry/credentials.js';
import type { RegistryOptions } from '../registry/index.js';
import { VERSION } from '../version.js';
import { list } from './options.js';

export interface RegistryFlags {
  insecureRegistry?: unknown;
  caFile?: string;
  creds?: unknown;
  passwordStdin?: boolean;
}

/** The transport options every registry-facing command takes. */
export function withRegistryOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--insecure-registry <host>', 'Speak plain http, or https without verification, to HOST[:PORT] (repeatable); loopback hosts never need it')
    .option('--ca-file <pem>', 'Extra CA certificates (PEM) to trust for registries and chart repositories');
}

/** Credentials on the command line, for commands that do not have their own login flags. */
export function withCredentialOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--creds <host=user[:password]>', 'Credentials for a registry host (repeatable); they win over stored logins. Prefer --password-stdin to a password in the command line')
    .option('--password-stdin', 'Read the password of the one --creds HOST=USER given without one from standard input');
}

/** Reads all of stdin (a password), without the one line break `echo` adds. */
export async function readSecret(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    total += (chunk as Buffer).length;
    if (total > 64 * 1024) throw new AirlockError('USAGE', 'the password on stdin is longer than 64 KiB', { hint: 'pipe the password alone' });
    chunks.push(Buffer.from(chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** `--creds HOST=USER[:PASSWORD]` (and `--password-stdin`) as explicit credentials keyed by host. */
export async function credentialsFromFlags(flags: RegistryFlags, stdin: Readable = process.stdin): Promise<Record<string, Credentials> | undefined> {
  const given = list(flags.creds);
  if (given.length === 0) {
    if (flags.passwordStdin) throw new AirlockError('USAGE', '--password-stdin needs --creds HOST=USER');
    return undefined;
  }
  const out: Record<string, Credentials> = {};
  let missing: string | undefined;
  for (const text of given) {
    const m = /^([^=\s]+)=([^:]+)(?::(.*))?$/s.exec(text);
    if (!m) {
      // Never echo the value: it may hold a password.
      throw new AirlockError('USAGE', 'a --creds value is not HOST=USER[:PASSWORD]', { hint: 'e.g. --creds registry.internal=robot$push --password-stdin' });
    }
    const [, host, username, password] = m as unknown as [string, string, string, string | undefined];
    if (password === undefined) {
      if (missing !== undefined) throw new AirlockError('USAGE', `--creds for ${missing} and ${host} both lack a password; --password-stdin fills only one`);
      missing = host;
    }
    out[host] = { username, ...(password !== undefined ? { password } : {}), source: '--creds' };
  }
  if (missing !== undefined) {
    if (!flags.passwordStdin) throw new AirlockError('USAGE', `--creds ${missing}=… has no password`, { hint: 'add --password-stdin and pipe the password in' });
    out[missing]!.password = await readSecret(stdin);
  } else if (flags.passwordStdin) {
    throw new AirlockError('USAGE', '--password-stdin, but every --creds already has a password');
  }
  return out;
}

export function registryOptions(flags: RegistryFlags): RegistryOptions {
  const options: RegistryOptions = {
    insecureRegistries: list(flags.insecureRegistry).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''),
    userAgent: `airlock/${VERSION}`,
  };
  if (flags.caFile !== undefined) options.caFile = flags.caFile;
  return options;
}
