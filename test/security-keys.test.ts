/**
 * A key file is exactly one key: OpenSSL (and so node) reads the first PEM block
 * and ignores the rest, so a file with two keys would verify with a key nobody
 * looked at. Every such file is refused, naming the file and what it holds.
 */
import { describe, expect, it } from 'vitest';
import { AirlockError } from '../src/errors.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey } from '../src/sign/index.js';

function refusal(fn: () => unknown): AirlockError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AirlockError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('key files hold exactly one key (item 8)', () => {
  it('a public key file with two PEM blocks is refused', async () => {
    const a = await generateKeyPair();
    const b = await generateKeyPair();
    const err = refusal(() => parsePublicKey(a.publicKeyPem + b.publicKeyPem, 'vendor.pub'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toBe('key vendor.pub holds 2 PEM blocks ("PUBLIC KEY", "PUBLIC KEY"); a public key file holds exactly one public key');
  });

  it('a public key followed by a certificate, or by text, is refused', async () => {
    const a = await generateKeyPair();
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(refusal(() => parsePublicKey(a.publicKeyPem + cert, 'v.pub')).message).toContain('holds 2 PEM blocks ("PUBLIC KEY", "CERTIFICATE")');
    expect(refusal(() => parsePublicKey(`${a.publicKeyPem}trailing words\n`, 'v.pub')).message).toBe(
      `key v.pub holds text outside its PEM block (at character ${a.publicKeyPem.length}); a key file holds exactly one key and nothing else`,
    );
    expect(refusal(() => parsePublicKey(`note\n${a.publicKeyPem}`, 'v.pub')).message).toContain('holds text outside its PEM block (at character 0)');
  });

  it('a private key file with two keys, or a private and a public key, is refused', async () => {
    const a = await generateKeyPair();
    const b = await generateKeyPair();
    expect(refusal(() => parsePrivateKey(a.privateKeyPem + b.privateKeyPem, 'vendor.key'))).toMatchObject({
      code: 'KEY_INVALID',
      message: 'key vendor.key holds 2 PEM blocks ("PRIVATE KEY", "PRIVATE KEY"); a private key file holds exactly one private key',
    });
    expect(refusal(() => parsePrivateKey(a.privateKeyPem + a.publicKeyPem, 'vendor.key')).message).toContain('("PRIVATE KEY", "PUBLIC KEY")');
  });

  it('one key, with surrounding whitespace, and openssl\'s EC PARAMETERS block, are still read', async () => {
    const a = await generateKeyPair();
    expect(parsePublicKey(`\n${a.publicKeyPem}\n\n`, 'v.pub').keyId).toMatch(/^[0-9a-f]{64}$/);
    const params = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    expect(parsePrivateKey(params + a.privateKeyPem, 'v.key').publicKey.keyId).toBe(parsePublicKey(a.publicKeyPem, 'v.pub').keyId);
  });
});
