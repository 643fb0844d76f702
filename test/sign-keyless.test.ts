/**
 * Keyless verification offline, against a Fulcio-like CA made here with the
 * openssl CLI: a root CA, leaf certificates carrying a SAN (URI or email) and
 * the Fulcio OIDC issuer extension (1.3.6.1.4.1.57264.1.8 UTF8String, or the
 * legacy .1.1 raw bytes), and a trusted_root.json listing only that CA with no
 * logs or timestamp authorities.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejected } from './helpers/errors.js';
import {
  SIGNATURE_ENTRY,
  generateKeyPair,
  parsePrivateKey,
  parsePublicKey,
  parseSignature,
  signPayload,
  verifyKeyless,
  verifyPayload,
  type KeylessOptions,
  type PrivateKey,
  type SignatureFile,
} from '../src/sign/index.js';

const IDENTITY = 'https://github.com/acme/release/.github/workflows/pack.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const EMAIL = 'release@acme.example';
const LEGACY_ISSUER = 'https://accounts.acme.example';

let dir: string;
const payload = Buffer.from('{"artifacts":[],"format":1}');

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function makeCa(name: string): Promise<void> {
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  await writeFile(
    join(dir, `${name}.cnf`),
    ['[req]', 'distinguished_name=dn', 'prompt=no', '[dn]', `O=airlock-test`, `CN=${name}`, '[ext]',
      'basicConstraints=critical,CA:true,pathlen:1', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'].join('\n'),
  );
  openssl('req', '-new', '-x509', '-key', `${name}.key`, '-config', `${name}.cnf`, '-extensions', 'ext', '-days', '3650', '-out', `${name}.pem`);
}

/** A leaf for the CA `ca`, with extension lines `ext`; returns its DER and private key. */
async function makeLeaf(name: string, ca: string, ext: string[], days = 1): Promise<{ der: Buffer; key: PrivateKey }> {
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  openssl('req', '-new', '-key', `${name}.key`, '-subj', '/O=airlock-test', '-out', `${name}.csr`);
  await writeFile(
    join(dir, `${name}.ext`),
    ['basicConstraints=critical,CA:false', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning',
      'authorityKeyIdentifier=keyid', 'subjectKeyIdentifier=hash', ...ext].join('\n'),
  );
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', String(days), '-extfile', `${name}.ext`, '-outform', 'DER', '-out', `${name}.der`);
  const der = await readFile(join(dir, `${name}.der`));
  const key = parsePrivateKey(await readFile(join(dir, `${name}.key`), 'utf8'), `${name}.key`);
  return { der, key };
}

async function trustedRoot(file: string, ca: string): Promise<string> {
  const pem = await readFile(join(dir, `${ca}.pem`), 'utf8');
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [
      {
        subject: { organization: 'airlock-test', commonName: ca },
        uri: 'https://ca.airlock.test',
        certChain: { certificates: [{ rawBytes: der.toString('base64') }] },
        validFor: { start: '2000-01-01T00:00:00.000Z' },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const path = join(dir, file);
  await writeFile(path, JSON.stringify(root));
  return path;
}

function sigFile(json: unknown): SignatureFile {
  return parseSignature(Buffer.from(JSON.stringify(json)), SIGNATURE_ENTRY);
}

let rootPath: string;
let strangerRootPath: string;
let uriLeaf: SignatureFile;
let emailLeaf: SignatureFile;
let base: KeylessOptions;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-keyless-'));
  await makeCa('ca');
  await makeCa('stranger');
  rootPath = await trustedRoot('trusted_root.json', 'ca');
  strangerRootPath = await trustedRoot('stranger_root.json', 'stranger');

  const uri = await makeLeaf('uri', 'ca', [`subjectAltName=URI:${IDENTITY}`, `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${ISSUER}`]);
  uriLeaf = sigFile(signPayload(payload, uri.key, { certificate: uri.der }));
  const legacyHex = Buffer.from(LEGACY_ISSUER).toString('hex').toUpperCase();
  const email = await makeLeaf('email', 'ca', [`subjectAltName=email:${EMAIL}`, `1.3.6.1.4.1.57264.1.1=DER:${legacyHex}`]);
  emailLeaf = sigFile(signPayload(payload, email.key, { certificate: email.der }));
  base = { trustedRootPath: rootPath, certificateIdentity: IDENTITY, certificateIssuer: ISSUER };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verifyKeyless', () => {
  it('verifies a certificate signature chained to the trusted root, exact identity and issuer', async () => {
    expect(uriLeaf.bundle.verificationMaterial.content.$case).toBe('certificate');
    expect(await verifyKeyless(payload, uriLeaf, base)).toEqual({ signature: SIGNATURE_ENTRY, identity: IDENTITY, issuer: ISSUER });
  });

  it('reads an email SAN and the legacy issuer extension', async () => {
    const signer = await verifyKeyless(payload, emailLeaf, { ...base, certificateIdentity: EMAIL, certificateIssuer: LEGACY_ISSUER });
    expect(signer.identity).toBe(EMAIL);
    expect(signer.issuer).toBe(LEGACY_ISSUER);
  });

  it('matches the identity exactly, never as a pattern', async () => {
    for (const identity of [IDENTITY.slice(0, -4), 'https://github.com/acme/', '.*', `${IDENTITY}x`]) {
      const e = await rejected(verifyKeyless(payload, uriLeaf, { ...base, certificateIdentity: identity }), 'SIGNATURE_INVALID');
      expect(e.message).toContain(IDENTITY);
    }
  });

  it('matches the issuer exactly', async () => {
    const e = await rejected(verifyKeyless(payload, uriLeaf, { ...base, certificateIssuer: 'https://token.actions.githubusercontent.com.evil' }), 'SIGNATURE_INVALID');
    expect(e.message).toContain('OIDC issuer');
    await rejected(verifyKeyless(payload, uriLeaf, { ...base, certificateIssuer: 'https://token.actions' }), 'SIGNATURE_INVALID');
  });

  it('rejects a certificate from a CA the trusted root does not list', async () => {
    const e = await rejected(verifyKeyless(payload, uriLeaf, { ...base, trustedRootPath: strangerRootPath }), 'SIGNATURE_INVALID');
    expect(e.message).toContain('does not verify against trusted root');
  });

  it('checks the chain at the verification time: an expired certificate fails', async () => {
    const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
    await rejected(verifyKeyless(payload, uriLeaf, { ...base, now: later }), 'SIGNATURE_INVALID');
    const earlier = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    await rejected(verifyKeyless(payload, uriLeaf, { ...base, now: earlier }), 'SIGNATURE_INVALID');
  });

  it('rejects altered content, a swapped certificate, and a key-signed bundle', async () => {
    const altered = Buffer.from(payload);
    altered[3] = (altered[3] ?? 0) ^ 1;
    await rejected(verifyKeyless(altered, uriLeaf, base), 'SIGNATURE_INVALID');

    // The email leaf's certificate on the URI leaf's signature: chains fine, wrong key.
    const swapped = JSON.parse(uriLeaf.bytes.toString());
    swapped.verificationMaterial.certificate = JSON.parse(emailLeaf.bytes.toString()).verificationMaterial.certificate;
    const e = await rejected(verifyKeyless(payload, sigFile(swapped), { ...base, certificateIdentity: EMAIL, certificateIssuer: LEGACY_ISSUER }), 'SIGNATURE_INVALID');
    expect(e.message).toContain('signature verification failed');

    const pair = await generateKeyPair();
    const keyed = sigFile(signPayload(payload, parsePrivateKey(pair.privateKeyPem, 'k.key')));
    expect((await rejected(verifyKeyless(payload, keyed, base), 'SIGNATURE_INVALID')).message).toContain('not a certificate');
  });

  it('refuses a trusted root that is not one', async () => {
    const bad = join(dir, 'bad_root.json');
    await writeFile(bad, '{"mediaType":"application/json"}');
    await rejected(verifyKeyless(payload, uriLeaf, { ...base, trustedRootPath: bad }), 'KEY_INVALID');
    await rejected(verifyKeyless(payload, uriLeaf, { ...base, trustedRootPath: join(dir, 'nope.json') }), 'IO');
  });

  it('key mode leaves a certificate signature unverified unless its key is given', async () => {
    const pair = await generateKeyPair();
    const other = parsePublicKey(pair.publicKeyPem, 'other.pub');
    await expect(async () => verifyPayload(payload, [uriLeaf], { keys: [other] })).rejects.toThrow(/did not sign/);
    const leafPub = parsePublicKey(
      execFileSync('openssl', ['x509', '-inform', 'DER', '-in', join(dir, 'uri.der'), '-noout', '-pubkey']).toString(),
      'uri.pub',
    );
    expect(verifyPayload(payload, [uriLeaf], { keys: [leafPub] }).signers).toHaveLength(1);
  });
});
