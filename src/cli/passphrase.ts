import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { AirlockError } from '../errors.js';
import { PASSPHRASE_ENV, loadPrivateKey, type PrivateKey } from '../sign/index.js';

/** Asks on the terminal without echoing what is typed. */
async function ask(question: string): Promise<string> {
  process.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

const interactive = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

/**
 * The passphrase for a new key: $AIRLOCK_KEY_PASSPHRASE, or asked twice on a
 * terminal. Never a flag: a flag's value shows in shell history and `ps`.
 */
export async function newPassphrase(): Promise<string> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!interactive()) {
    throw new AirlockError('USAGE', `--encrypt needs a passphrase: set $${PASSPHRASE_ENV}, or run it on a terminal to be asked`);
  }
  const first = await ask('passphrase for the new key: ');
  if (first === '') throw new AirlockError('USAGE', 'the passphrase is empty');
  if ((await ask('again: ')) !== first) throw new AirlockError('USAGE', 'the two passphrases differ');
  return first;
}

/** Loads a private key; an encrypted one takes $AIRLOCK_KEY_PASSPHRASE, or asks on a terminal. */
export async function loadSigningKey(path: string): Promise<PrivateKey> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return loadPrivateKey(path, fromEnv);
  const pem = await readFile(path, 'utf8').catch(() => '');
  if (pem.includes('ENCRYPTED') && interactive()) return loadPrivateKey(path, await ask(`passphrase for ${path}: `));
  return loadPrivateKey(path);
}
