/**
 * Signing keys: ECDSA P-256 only. One curve keeps keys interoperable with
 * cosign and every Sigstore client, and keeps the verify side free of choices.
 *
 * Key files are PEM: `PREFIX.key` is PKCS#8 (encrypted PKCS#8 with a passphrase),
 * `PREFIX.pub` is SPKI. The key id (also the fingerprint people compare) is the
 * sha256 of the SPKI DER, so it names the public key whatever file it came from.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, randomBytes, type KeyObject } from 'node:crypto';
import { link, open, stat, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AirlockError, messageOf } from '../errors.js';

const generateKeyPairAsync = promisify(generateKeyPairCb);

/** Key files are a few hundred bytes; anything bigger is not a key file. */
const KEY_FILE_LIMIT = 64 * 1024;

/** The environment variable the CLI reads a private key's passphrase from. */
export const PASSPHRASE_ENV = 'AIRLOCK_KEY_PASSPHRASE';

export interface KeyPairPem {
  /** PKCS#8 PEM; `ENCRYPTED PRIVATE KEY` (PBES2, aes-256-cbc) when a passphrase was given. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

export interface PublicKey {
  keyObject: KeyObject;
  /** sha256 hex of the SPKI DER: the DSSE keyid and the bundle's key hint. */
  keyId: string;
  /** Where it came from (a file path), for messages. */
  source: string;
}

export interface PrivateKey {
  keyObject: KeyObject;
  publicKey: PublicKey;
}

/** A fresh ECDSA P-256 key pair as PEM text. */
export async function generateKeyPair(options: { passphrase?: string } = {}): Promise<KeyPairPem> {
  const { passphrase } = options;
  if (passphrase !== undefined && passphrase.length === 0) {
    throw new AirlockError('USAGE', 'the key passphrase is empty', {
      hint: `Set ${PASSPHRASE_ENV} to a non-empty passphrase, or unset it for an unencrypted key.`,
    });
  }
  const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const privateKeyPem =
    passphrase === undefined
      ? privateKey.export({ type: 'pkcs8', format: 'pem' })
      : privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase });
  return {
    privateKeyPem: privateKeyPem.toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** sha256 hex of the SPKI DER encoding of a public key (or a private key's public half). */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** How a key id is shown to people: the same `sha256:` form as every digest in airlock. */
export function fingerprint(id: string): string {
  return `sha256:${id}`;
}

/**
 * Writes `PREFIX.key` (mode 0600) and `PREFIX.pub`. Never overwrites: each file
 * is written to a temp name in the same folder and hard-linked into place, and
 * link(2) fails if the name exists, so even a concurrent writer cannot be
 * clobbered. Returns the two paths.
 */
export async function writeKeyPair(prefix: string, pair: KeyPairPem): Promise<{ privateKeyPath: string; publicKeyPath: string }> {
  const privateKeyPath = `${prefix}.key`;
  const publicKeyPath = `${prefix}.pub`;
  // Check both first so a refusal leaves nothing half-written behind.
  for (const path of [privateKeyPath, publicKeyPath]) await refuseExisting(path);
  await placeNew(privateKeyPath, pair.privateKeyPem, 0o600);
  try {
    await placeNew(publicKeyPath, pair.publicKeyPem, 0o644);
  } catch (err) {
    // We created the private key a moment ago; do not leave an orphan.
    await unlink(privateKeyPath).catch(() => undefined);
    throw err;
  }
  return { privateKeyPath, publicKeyPath };
}

async function refuseExisting(path: string): Promise<void> {
  try {
    await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(path, err);
  }
  throw existsError(path);
}

function existsError(path: string): AirlockError {
  return new AirlockError('FILE_EXISTS', `${path} already exists; refusing to overwrite a key file`, {
    hint: 'Choose another --out prefix, or move the old key away yourself if you really mean to replace it.',
  });
}

function ioError(path: string, err: unknown): AirlockError {
  return new AirlockError('IO', `cannot write ${path}: ${messageOf(err)}`, {
    hint: 'Check that the folder exists and is writable.',
    cause: err,
  });
}

async function placeNew(path: string, text: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeSynced(temp, text, mode);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw ioError(path, err);
  }
  try {
    await link(temp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw existsError(path);
    // Filesystems without hard links (FAT32 sticks, some network mounts):
    // an exclusive create still cannot overwrite, it is just not atomic.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await writeExclusiveFallback(path, text, mode);
    } else {
      throw ioError(path, err);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function writeSynced(path: string, text: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(text);
    // The mode argument is masked by umask; a private key must be 0600 regardless.
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeExclusiveFallback(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeSynced(path, text, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(path);
    await unlink(path).catch(() => undefined);
    throw ioError(path, err);
  }
}

async function readKeyFile(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw keyInvalid(path, 'is not a file', 'Pass the path of a PEM key file.');
    if (info.size > KEY_FILE_LIMIT) {
      throw keyInvalid(path, `is ${info.size} bytes, too big for a key file`, 'Pass the path of a PEM key file.');
    }
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw new AirlockError('IO', `cannot read key file ${path}: ${messageOf(err)}`, {
      hint: 'Check the path and its permissions.',
      cause: err,
    });
  }
}

function keyInvalid(source: string, what: string, hint: string, cause?: unknown): AirlockError {
  return new AirlockError('KEY_INVALID', `key ${source} ${what}`, { hint, cause });
}

interface PemBlock {
  label: string;
  pem: string;
}

/**
 * The PEM blocks of a key file, in order, with nothing else in the file but
 * whitespace. OpenSSL reads the first block and ignores the rest, so a second
 * key (or text that hides one) would be a key nobody looked at: the callers
 * refuse any file that is not exactly one key.
 */
function pemBlocks(text: string, source: string, hint: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let last = 0;
  const outside = (from: number, to: number): void => {
    const at = text.slice(from, to).search(/\S/);
    if (at >= 0) throw keyInvalid(source, `holds text outside its PEM block (at character ${from + at}); a key file holds exactly one key and nothing else`, hint);
  };
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    outside(last, m.index);
    if (m[0].indexOf('-----BEGIN', 1) >= 0) throw keyInvalid(source, `holds a PEM block inside another (at byte ${m.index})`, hint);
    blocks.push({ label: m[1] ?? '', pem: m[0] });
    last = m.index + m[0].length;
  }
  if (blocks.length > 0) outside(last, text.length);
  return blocks;
}

function describeBlocks(blocks: readonly PemBlock[]): string {
  return blocks.map((b) => `"${b.label}"`).join(', ');
}

function requireP256(key: KeyObject, source: string): void {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  if (curve !== 'prime256v1') {
    const what = key.asymmetricKeyType === 'ec' ? `an EC key on curve ${curve ?? 'unknown'}` : `a ${key.asymmetricKeyType ?? 'unknown'} key`;
    throw keyInvalid(source, `is ${what}; airlock uses ECDSA P-256 keys only`, 'Create a key pair with `airlock keygen --out PREFIX`.');
  }
}

/** Parses a SPKI PEM public key. `source` names it in errors. */
export function parsePublicKey(pem: string, source: string): PublicKey {
  const hint = 'Pass the PREFIX.pub file written by `airlock keygen`.';
  const blocks = pemBlocks(pem, source, hint);
  if (blocks.length === 0) {
    throw keyInvalid(source, 'is not a PEM file', hint);
  }
  if (blocks.some((b) => b.label.includes('PRIVATE'))) {
    throw keyInvalid(source, 'is a private key; verification takes the public key', 'Pass the PREFIX.pub file, and keep PREFIX.key to yourself.');
  }
  if (blocks.length > 1) {
    throw keyInvalid(source, `holds ${blocks.length} PEM blocks (${describeBlocks(blocks)}); a public key file holds exactly one public key`, 'Give each key as its own --key FILE.');
  }
  const block = blocks[0]!;
  if (block.label !== 'PUBLIC KEY') {
    throw keyInvalid(source, `holds a "${block.label}" PEM block, not a "PUBLIC KEY"`, hint);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: block.pem, format: 'pem' });
  } catch (err) {
    throw keyInvalid(source, `cannot be read: ${messageOf(err)}`, 'Pass the PREFIX.pub file written by `airlock keygen`.', err);
  }
  requireP256(keyObject, source);
  return { keyObject, keyId: keyId(keyObject), source };
}

/** Parses a PKCS#8 (or SEC1 "EC PRIVATE KEY") PEM private key, encrypted or not. */
export function parsePrivateKey(text: string, source: string, passphrase?: string): PrivateKey {
  // `openssl ecparam -genkey` writes the curve's parameters before the key: not a key, allowed.
  const blocks = pemBlocks(text, source, 'Pass the PREFIX.key file written by `airlock keygen`.').filter((b) => b.label !== 'EC PARAMETERS');
  if (blocks.length === 0) {
    throw keyInvalid(source, 'is not a PEM file', 'Pass the PREFIX.key file written by `airlock keygen`.');
  }
  if (blocks.length > 1) {
    throw keyInvalid(source, `holds ${blocks.length} PEM blocks (${describeBlocks(blocks)}); a private key file holds exactly one private key`, 'Keep one key per file: PREFIX.key as `airlock keygen` writes it.');
  }
  const { label, pem } = blocks[0]!;
  if (!label.includes('PRIVATE KEY')) {
    throw keyInvalid(source, `holds a "${label}" PEM block, not a private key`, 'Signing takes PREFIX.key, not PREFIX.pub.');
  }
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,\s*ENCRYPTED/.test(pem);
  if (encrypted && !passphrase) {
    throw keyInvalid(source, 'is encrypted and no passphrase was given', `Set ${PASSPHRASE_ENV} to the key's passphrase.`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase: passphrase ?? '' } : { key: pem, format: 'pem' });
  } catch (err) {
    if (encrypted) {
      throw keyInvalid(source, 'cannot be decrypted: wrong passphrase?', `Check ${PASSPHRASE_ENV}.`, err);
    }
    throw keyInvalid(source, `cannot be read: ${messageOf(err)}`, 'Pass the PREFIX.key file written by `airlock keygen`.', err);
  }
  requireP256(keyObject, source);
  const pub = createPublicKey(keyObject);
  return { keyObject, publicKey: { keyObject: pub, keyId: keyId(pub), source: `${source} (public half)` } };
}

export async function loadPublicKey(path: string): Promise<PublicKey> {
  return parsePublicKey(await readKeyFile(path), path);
}

/** The CLI passes `process.env[PASSPHRASE_ENV]`; library code does not read the environment. */
export async function loadPrivateKey(path: string, passphrase?: string): Promise<PrivateKey> {
  return parsePrivateKey(await readKeyFile(path), path, passphrase);
}
