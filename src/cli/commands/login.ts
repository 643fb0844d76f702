import type { Readable } from 'node:stream';
import type { CAC } from 'cac';
import { AirlockError } from '../../errors.js';
import { hostArgument, login as saveVerifiedLogin, logout as removeLogin, type LookupOptions } from '../../registry/index.js';
import { readSecret, registryOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.js';
import { processIo, runAction, type Io } from '../run.js';

export interface LoginFlags extends RegistryFlags {
  username?: string;
  passwordStdin?: boolean;
  /** cac's `--no-verify` sets this false. */
  verify?: boolean;
  json?: boolean;
}

/** The `login` command as a function, for tests: flags checked, the password read from stdin, the result printed. */
export async function login(hostText: string | undefined, flags: LoginFlags, io: Io, stdin: Readable, where: LookupOptions = {}): Promise<void> {
  const host = hostArgument(hostText);
  if (flags.username === undefined || flags.username === '') throw new AirlockError('USAGE', 'login needs -u USER', { hint: `airlock login ${host} -u USER --password-stdin` });
  if (!flags.passwordStdin) {
    throw new AirlockError('USAGE', 'login reads the password from stdin only: pass --password-stdin', {
      hint: `e.g. cat token.txt | airlock login ${host} -u ${flags.username} --password-stdin (a password argument would show in ps and shell history)`,
    });
  }
  const password = await readSecret(stdin);
  const saved = await saveVerifiedLogin({ host, username: flags.username, password, verify: flags.verify !== false, registry: registryOptions(flags), where });
  if (flags.json) {
    io.out(JSON.stringify({ ok: true, host: saved.key, path: saved.path, verified: saved.verified, ...(saved.shadowedBy ? { shadowedBy: saved.shadowedBy } : {}) }));
    return;
  }
  const note = saved.verified ? 'login succeeded' : flags.verify === false ? 'login saved without checking' : 'the registry asks for no login; saved anyway';
  io.out(`${note} for ${host} (saved to ${saved.path})`);
  if (saved.shadowedBy !== undefined) io.err(`warning: ${saved.shadowedBy} is configured for ${host} in credHelpers and is asked first; remove it there to use this login`);
}

export async function logout(hostText: string | undefined, flags: { json?: boolean }, io: Io, where: LookupOptions = {}): Promise<void> {
  const { host, key, path, removed } = await removeLogin(hostText ?? '', where);
  if (flags.json) io.out(JSON.stringify({ ok: true, host: key, path, removed }));
  else io.out(removed ? `removed the login for ${host} from ${path}` : `not logged in to ${host} (nothing in ${path})`);
}

export function register(cli: CAC): void {
  withRegistryOptions(
    cli
      .command('login [host]', 'Log in to a registry; the login is stored in the docker config (mode 0600)')
      .option('-u, --username <user>', 'User name')
      .option('--password-stdin', 'Read the password (or token) from stdin')
      .option('--no-verify', 'Save without checking the login against the registry'),
  )
    .option('--json', 'Print the result as JSON')
    .example('  aws ecr get-login-password | airlock login 123456789012.dkr.ecr.eu-west-1.amazonaws.com -u AWS --password-stdin')
    .action((host: string | undefined, flags: LoginFlags) => runAction(() => login(host, flags, processIo, process.stdin), flags.json === true));
  cli
    .command('logout [host]', 'Remove a registry login from the docker config')
    .option('--json', 'Print the result as JSON')
    .action((host: string | undefined, flags: { json?: boolean }) => runAction(() => logout(host, flags, processIo), flags.json === true));
}
