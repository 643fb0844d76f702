import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON, isBundleWithDsseEnvelope, isBundleWithPublicKey, BUNDLE_V03_MEDIA_TYPE } from '@sigstore/bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockError } from '../src/errors.js';
import { rejected } from './helpers/errors.js';
import {
  AIRLOCK_PAYLOAD_TYPE,
  PASSPHRASE_ENV,
  SIGNATURE_ENTRY,
  SIGNATURE_SIZE_LIMIT,
  addSignature,
  generateKeyPair,
  keyId,
  loadPrivateKey,
  loadPublicKey,
  parsePrivateKey,
  parsePublicKey,
  parseSignature,
  parseSignatures,
  preAuthEncoding,
  signPayload,
  signatureEntryName,
  signatureOrdinal,
  toSignatureFile,
  verifyPayload,
  writeKeyPair,
  type PrivateKey,
  type PublicKey,
  type SignatureFile,
} from '../src/sign/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-sign-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Signer {
  priv: PrivateKey;
  pub: PublicKey;
}

async function newSigner(name: string): Promise<Signer> {
  const pair = await generateKeyPair();
  return { priv: parsePrivateKey(pair.privateKeyPem, `${name}.key`), pub: parsePublicKey(pair.publicKeyPem, `${name}.pub`) };
}

/** Expects `fn` to throw an AirlockError with `code`; returns it for more checks. */
function thrown(fn: () => unknown, code: string): AirlockError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AirlockError);
    expect((err as AirlockError).code).toBe(code);
    return err as AirlockError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const payload = Buffer.from('{"artifacts":[],"format":1,"tool":"airlock 0.1.0"}');

function sigFile(json: unknown, name = SIGNATURE_ENTRY): SignatureFile {
  return parseSignature(Buffer.from(JSON.stringify(json)), name);
}

describe('keys', () => {
  it('generates a P-256 PKCS#8 / SPKI pair whose key id is the sha256 of the SPKI DER (as openssl computes it)', async () => {
    const pair = await generateKeyPair();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const pub = parsePublicKey(pair.publicKeyPem, 'x.pub');
    expect(pub.keyObject.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const pubPath = join(dir, 'id.pub');
    await writeFile(pubPath, pair.publicKeyPem);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', pubPath, '-outform', 'DER']);
    expect(pub.keyId).toBe(createHash('sha256').update(der).digest('hex'));
    const priv = parsePrivateKey(pair.privateKeyPem, 'x.key');
    expect(priv.publicKey.keyId).toBe(pub.keyId);
    expect(keyId(priv.keyObject)).toBe(pub.keyId);
  });

  it('encrypts the private key with aes-256-cbc PKCS#8 when given a passphrase, and needs it to load', async () => {
    const pair = await generateKeyPair({ passphrase: 'correct horse' });
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const keyPath = join(dir, 'enc.key');
    await writeFile(keyPath, pair.privateKeyPem);
    const asn1 = execFileSync('openssl', ['asn1parse', '-in', keyPath]).toString();
    expect(asn1).toContain('aes-256-cbc');
    expect(asn1).toContain('PBES2');

    const noPass = await rejected(loadPrivateKey(keyPath), 'KEY_INVALID');
    expect(noPass.message).toContain(keyPath);
    expect(noPass.message).toContain('encrypted');
    expect(noPass.hint).toContain(PASSPHRASE_ENV);

    const wrong = await rejected(loadPrivateKey(keyPath, 'wrong'), 'KEY_INVALID');
    expect(wrong.message).toContain('passphrase');

    const key = await loadPrivateKey(keyPath, 'correct horse');
    expect(key.publicKey.keyId).toBe(parsePublicKey(pair.publicKeyPem, 'p').keyId);
    // The decrypted key signs, and the signature verifies with the public key.
    const file = toSignatureFile(SIGNATURE_ENTRY, signPayload(payload, key));
    expect(verifyPayload(payload, [file], { keys: [parsePublicKey(pair.publicKeyPem, 'p')] }).signers).toHaveLength(1);
  });

  it('refuses an empty passphrase rather than writing an unprotected key', async () => {
    await rejected(generateKeyPair({ passphrase: '' }), 'USAGE');
  });

  it('writes PREFIX.key with mode 0600 and PREFIX.pub, and leaves no temp file', async () => {
    const sub = await mkdtemp(join(dir, 'w-'));
    const pair = await generateKeyPair();
    const paths = await writeKeyPair(join(sub, 'signer'), pair);
    expect(paths).toEqual({ privateKeyPath: join(sub, 'signer.key'), publicKeyPath: join(sub, 'signer.pub') });
    expect((await stat(paths.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(paths.privateKeyPath, 'utf8')).toBe(pair.privateKeyPem);
    expect(await readFile(paths.publicKeyPath, 'utf8')).toBe(pair.publicKeyPem);
    expect((await readdir(sub)).sort()).toEqual(['signer.key', 'signer.pub']);
    const loaded = await loadPublicKey(paths.publicKeyPath);
    expect(loaded.source).toBe(paths.publicKeyPath);
    expect((await loadPrivateKey(paths.privateKeyPath)).publicKey.keyId).toBe(loaded.keyId);
  });

  it('refuses to overwrite either file, naming it, and writes nothing', async () => {
    const sub = await mkdtemp(join(dir, 'o-'));
    await writeFile(join(sub, 'a.key'), 'precious');
    const e1 = await rejected(writeKeyPair(join(sub, 'a'), await generateKeyPair()), 'FILE_EXISTS');
    expect(e1.message).toContain(join(sub, 'a.key'));
    expect(await readFile(join(sub, 'a.key'), 'utf8')).toBe('precious');
    expect(await readdir(sub)).toEqual(['a.key']);

    await writeFile(join(sub, 'b.pub'), 'precious');
    const e2 = await rejected(writeKeyPair(join(sub, 'b'), await generateKeyPair()), 'FILE_EXISTS');
    expect(e2.message).toContain(join(sub, 'b.pub'));
    expect((await readdir(sub)).sort()).toEqual(['a.key', 'b.pub']);
  });

  it('lets exactly one of two racing writers win', async () => {
    const sub = await mkdtemp(join(dir, 'r-'));
    const [p1, p2] = [await generateKeyPair(), await generateKeyPair()];
    const results = await Promise.allSettled([writeKeyPair(join(sub, 'k'), p1), writeKeyPair(join(sub, 'k'), p2)]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results[1 - won];
    expect(lost?.status === 'rejected' && (lost.reason as AirlockError).code).toBe('FILE_EXISTS');
    const winner = won === 0 ? p1 : p2;
    expect(await readFile(join(sub, 'k.key'), 'utf8')).toBe(winner.privateKeyPem);
    expect(await readFile(join(sub, 'k.pub'), 'utf8')).toBe(winner.publicKeyPem);
    expect((await readdir(sub)).sort()).toEqual(['k.key', 'k.pub']);
  });

  it('explains bad key files: not PEM, private key as public, public as private, wrong curve', async () => {
    const notPem = join(dir, 'notpem.pub');
    await writeFile(notPem, 'hello');
    expect((await rejected(loadPublicKey(notPem), 'KEY_INVALID')).message).toContain('not a PEM');
    await rejected(loadPublicKey(join(dir, 'missing.pub')), 'IO');

    const pair = await generateKeyPair();
    expect(thrown(() => parsePublicKey(pair.privateKeyPem, 'k.key'), 'KEY_INVALID').message).toContain('private key');
    expect(thrown(() => parsePrivateKey(pair.publicKeyPem, 'k.pub'), 'KEY_INVALID').message).toContain('not a private key');

    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const e = thrown(() => parsePublicKey(p384.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'p384.pub'), 'KEY_INVALID');
    expect(e.message).toContain('secp384r1');
    thrown(() => parsePrivateKey(p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'p384.key'), 'KEY_INVALID');
    const ed = generateKeyPairSync('ed25519');
    expect(thrown(() => parsePublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'ed.pub'), 'KEY_INVALID').message).toContain('ed25519');
  });
});

describe('signPayload', () => {
  it('produces a Sigstore v0.3 DSSE bundle that @sigstore/bundle accepts, naming the key by its id', async () => {
    const { priv, pub } = await newSigner('a');
    const json = signPayload(payload, priv);
    expect(json.mediaType).toBe(BUNDLE_V03_MEDIA_TYPE);
    expect(json.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(json.verificationMaterial).toEqual({
      publicKey: { hint: pub.keyId },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    });
    expect(json.dsseEnvelope?.payloadType).toBe(AIRLOCK_PAYLOAD_TYPE);
    expect(Buffer.from(json.dsseEnvelope?.payload ?? '', 'base64').equals(payload)).toBe(true);
    expect(json.dsseEnvelope?.signatures).toHaveLength(1);
    expect(json.dsseEnvelope?.signatures[0]?.keyid).toBe(pub.keyId);

    const bundle = bundleFromJSON(JSON.parse(JSON.stringify(json)));
    expect(isBundleWithPublicKey(bundle)).toBe(true);
    expect(isBundleWithDsseEnvelope(bundle)).toBe(true);
  });

  it('signs PAE(payloadType, payload) with a DER ECDSA signature that openssl verifies independently', async () => {
    const { priv, pub } = await newSigner('o');
    const json = signPayload(payload, priv);
    const sig = Buffer.from(json.dsseEnvelope?.signatures[0]?.sig ?? '', 'base64');
    const pae = preAuthEncoding(AIRLOCK_PAYLOAD_TYPE, payload);
    expect(pae.toString()).toBe(`DSSEv1 ${AIRLOCK_PAYLOAD_TYPE.length} ${AIRLOCK_PAYLOAD_TYPE} ${payload.length} ${payload.toString()}`);
    const sub = await mkdtemp(join(dir, 'ossl-'));
    await writeFile(join(sub, 'pub.pem'), pub.keyObject.export({ type: 'spki', format: 'pem' }));
    await writeFile(join(sub, 'pae.bin'), pae);
    await writeFile(join(sub, 'sig.der'), sig);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(sub, 'pub.pem'), '-signature', join(sub, 'sig.der'), join(sub, 'pae.bin')]);
    expect(out.toString()).toContain('Verified OK');
  });
});

describe('verifyPayload', () => {
  let a: Signer;
  let b: Signer;
  let signedByA: SignatureFile;
  beforeAll(async () => {
    a = await newSigner('alice');
    b = await newSigner('bob');
    signedByA = sigFile(signPayload(payload, a.priv));
  });

  it('round-trips: the signer is reported with key id, fingerprint, key file and entry', () => {
    const result = verifyPayload(payload, [signedByA], { keys: [a.pub] });
    expect(result).toEqual({
      signers: [{ keyId: a.pub.keyId, fingerprint: `sha256:${a.pub.keyId}`, source: 'alice.pub', signature: SIGNATURE_ENTRY }],
      unverified: [],
    });
  });

  it('rejects the wrong key, naming its fingerprint', () => {
    const e = thrown(() => verifyPayload(payload, [signedByA], { keys: [b.pub] }), 'SIGNATURE_INVALID');
    expect(e.message).toContain(`sha256:${b.pub.keyId}`);
    expect(e.message).toContain('bob.pub');
    expect(e.message).toContain('did not sign');
    expect(e.hint).toBeTruthy();
  });

  it('rejects airlock.json altered by one byte', () => {
    const altered = Buffer.from(payload);
    altered[5] = (altered[5] ?? 0) ^ 1;
    const e = thrown(() => verifyPayload(altered, [signedByA], { keys: [a.pub] }), 'SIGNATURE_INVALID');
    expect(e.message).toContain('covers different content');
    expect(e.message).toContain(SIGNATURE_ENTRY);
  });

  it('rejects an envelope whose payload was altered to match altered bytes (the signature no longer verifies)', () => {
    const altered = Buffer.from(payload);
    altered[5] = (altered[5] ?? 0) ^ 1;
    const json = JSON.parse(signedByA.bytes.toString());
    json.dsseEnvelope.payload = altered.toString('base64');
    const e = thrown(() => verifyPayload(altered, [sigFile(json)], { keys: [a.pub] }), 'SIGNATURE_INVALID');
    expect(e.message).toContain('does not verify');
    expect(e.message).toContain(`sha256:${a.pub.keyId}`);
  });

  it('rejects an envelope payload that differs from the given bytes, even when correctly signed', () => {
    const other = sigFile(signPayload(Buffer.from('{"other":true}'), a.priv));
    const e = thrown(() => verifyPayload(payload, [other], { keys: [a.pub] }), 'SIGNATURE_INVALID');
    expect(e.message).toContain('covers different content');
  });

  it('rejects a changed payload type and a flipped signature byte', () => {
    const typed = sigFile(signPayload(payload, a.priv, { payloadType: 'application/vnd.in-toto+json' }));
    expect(thrown(() => verifyPayload(payload, [typed], { keys: [a.pub] }), 'SIGNATURE_INVALID').message).toContain('application/vnd.in-toto+json');

    const json = JSON.parse(signedByA.bytes.toString());
    const sig = Buffer.from(json.dsseEnvelope.signatures[0].sig, 'base64');
    sig[sig.length - 3] = (sig[sig.length - 3] ?? 0) ^ 0x40;
    json.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    thrown(() => verifyPayload(payload, [sigFile(json)], { keys: [a.pub] }), 'SIGNATURE_INVALID');
  });

  it('ignores the unsigned key hint: a relabelled signature still verifies only with the real key', () => {
    const json = JSON.parse(signedByA.bytes.toString());
    json.verificationMaterial.publicKey.hint = 'f'.repeat(64);
    json.dsseEnvelope.signatures[0].keyid = 'f'.repeat(64);
    expect(verifyPayload(payload, [sigFile(json)], { keys: [a.pub] }).signers).toHaveLength(1);
    thrown(() => verifyPayload(payload, [sigFile(json)], { keys: [b.pub] }), 'SIGNATURE_INVALID');
  });

  it('SIGNATURE_MISSING when there is no signature; USAGE without keys', () => {
    const e = thrown(() => verifyPayload(payload, [], { keys: [a.pub] }), 'SIGNATURE_MISSING');
    expect(e.message).toContain(SIGNATURE_ENTRY);
    thrown(() => verifyPayload(payload, [signedByA], { keys: [] }), 'USAGE');
  });

  it('two signers: both required and present passes; one missing names the missing key', () => {
    const second = addSignature([signedByA], payload, b.priv);
    expect(second.added).toBe(true);
    expect(second.file.name).toBe('airlock.json.sigstore.2.json');
    const both = verifyPayload(payload, [signedByA, second.file], { keys: [a.pub, b.pub] });
    expect(both.signers.map((s) => [s.keyId, s.signature])).toEqual([
      [a.pub.keyId, SIGNATURE_ENTRY],
      [b.pub.keyId, 'airlock.json.sigstore.2.json'],
    ]);

    const e = thrown(() => verifyPayload(payload, [signedByA], { keys: [a.pub, b.pub] }), 'SIGNATURE_INVALID');
    expect(e.message).toMatch(new RegExp(`^key sha256:${b.pub.keyId} \\(bob\\.pub\\) did not sign`));
    expect(e.message).not.toMatch(new RegExp(`key sha256:${a.pub.keyId} \\(alice`));

    // requireAll: false accepts any one of the keys, and reports the other signer as unverified.
    const any = verifyPayload(payload, [signedByA, second.file], { keys: [b.pub], requireAll: false });
    expect(any.signers.map((s) => s.keyId)).toEqual([b.pub.keyId]);
    expect(any.unverified).toEqual([{ signature: SIGNATURE_ENTRY, keyHint: a.pub.keyId }]);
  });

  it('refuses a signature that names a trusted key but does not verify with it, even if another key verified', async () => {
    const c = await newSigner('carol');
    const json = JSON.parse(sigFile(signPayload(payload, c.priv), 'airlock.json.sigstore.2.json').bytes.toString());
    json.verificationMaterial.publicKey.hint = b.pub.keyId;
    const forged = sigFile(json, 'airlock.json.sigstore.2.json');
    const e = thrown(() => verifyPayload(payload, [signedByA, forged], { keys: [a.pub, b.pub], requireAll: false }), 'SIGNATURE_INVALID');
    expect(e.message).toContain('airlock.json.sigstore.2.json');
    expect(e.message).toContain(`sha256:${b.pub.keyId}`);
  });

  it('addSignature is idempotent per key and refuses signatures over other content', () => {
    const again = addSignature([signedByA], payload, a.priv);
    expect(again).toEqual({ file: signedByA, added: false });
    const other = Buffer.from('{"other":true}');
    thrown(() => addSignature([signedByA], other, b.priv), 'SIGNATURE_INVALID');
    const first = addSignature([], payload, a.priv);
    expect(first.file.name).toBe(SIGNATURE_ENTRY);
  });
});

describe('signature entries', () => {
  it('names signers 1, 2, 3… and recognises only those names', () => {
    expect(signatureEntryName(1)).toBe('airlock.json.sigstore.json');
    expect(signatureEntryName(2)).toBe('airlock.json.sigstore.2.json');
    expect(signatureOrdinal('airlock.json.sigstore.json')).toBe(1);
    expect(signatureOrdinal('airlock.json.sigstore.12.json')).toBe(12);
    for (const bad of ['airlock.json.sigstore.1.json', 'airlock.json.sigstore.02.json', './airlock.json.sigstore.json', 'x/airlock.json.sigstore.json', 'airlock.json', 'airlock.json.sigstore.json.tmp']) {
      expect(signatureOrdinal(bad), bad).toBeUndefined();
    }
  });

  it('parses entries in signer order, ignores other entries, refuses duplicates and junk', async () => {
    const a = await newSigner('a');
    const b = await newSigner('b');
    const one = Buffer.from(JSON.stringify(signPayload(payload, a.priv)));
    const two = Buffer.from(JSON.stringify(signPayload(payload, b.priv)));
    const files = parseSignatures([
      { name: 'airlock.json.sigstore.2.json', bytes: two },
      { name: 'airlock.json', bytes: payload },
      { name: SIGNATURE_ENTRY, bytes: one },
    ]);
    expect(files.map((f) => f.name)).toEqual([SIGNATURE_ENTRY, 'airlock.json.sigstore.2.json']);
    expect(files[0]?.bytes.equals(one)).toBe(true);

    expect(thrown(() => parseSignatures([{ name: SIGNATURE_ENTRY, bytes: one }, { name: SIGNATURE_ENTRY, bytes: two }]), 'SIGNATURE_INVALID').message).toContain('twice');
    expect(thrown(() => parseSignature(Buffer.from('{nope'), SIGNATURE_ENTRY), 'SIGNATURE_INVALID').message).toContain('not JSON');
    const notBundle = thrown(() => parseSignature(Buffer.from('{"mediaType":"text/plain"}'), SIGNATURE_ENTRY), 'SIGNATURE_INVALID');
    expect(notBundle.message).toContain('not a valid Sigstore bundle');
    thrown(() => parseSignature(Buffer.alloc(SIGNATURE_SIZE_LIMIT + 1, 0x20), SIGNATURE_ENTRY), 'SIZE_LIMIT');
  });
});

describe('deterministic signatures', () => {
  it('signs the same payload twice with the same bytes (RFC 6979), and still verifies', async () => {
    const { generateKeyPair: gen, parsePrivateKey: priv, signPayload: signIt, verifyPayload: check, toSignatureFile: toFile, parsePublicKey: pub } = await import('../src/sign/index.js');
    const pair = await gen();
    const key = priv(pair.privateKeyPem, 'k.key');
    const payload = Buffer.from('{"format":"airlock.bundle.v1"}');
    const a = JSON.stringify(signIt(payload, key));
    const b = JSON.stringify(signIt(payload, key));
    expect(a).toBe(b);
    const other = JSON.stringify(signIt(Buffer.from('{"format":"other"}'), key));
    expect(other).not.toBe(a);
    const result = check(payload, [toFile('airlock.json.sigstore.json', JSON.parse(a))], { keys: [pub(pair.publicKeyPem, 'k.pub')] });
    expect(result.signers).toHaveLength(1);
  });
});
