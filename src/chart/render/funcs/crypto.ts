/**
 * Sprig's crypto functions on node's crypto: keys from generateKeyPairSync (PEM forms as
 * sprig writes them: PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for Ed25519, OpenSSL's
 * DSA form), X.509 certificates built here as Go's x509.CreateCertificate builds them
 * (v3, 128-bit random serial, CN-only subject, the same extensions in the same order)
 * and signed with node's crypto.sign, bcrypt through bcryptjs (Go's "$2a$" prefix, cost
 * 10), scrypt-based derivePassword, and AES-256-CBC as sprig pads and frames it.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scryptSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import bcryptjs from 'bcryptjs';
import { GoObject, TemplateFuncError, type FuncMap, type GoFunc, type GoValue } from '../template/types.js';
import { argIntNum, argString, fn } from './args.js';
import * as der from './asn1.js';
import { formatV } from './gofmt.js';

/** sprig's `certificate` struct: templates read .Cert and .Key. */
export class Certificate extends GoObject {
  readonly goType = 'sprig.certificate';
  constructor(
    readonly cert: string,
    readonly key: string,
  ) {
    super();
  }
  format(): string {
    return `{${this.cert} ${this.key}}`;
  }
  field(name: string): GoValue | GoFunc | undefined {
    if (name === 'Cert') return this.cert;
    if (name === 'Key') return this.key;
    return undefined;
  }
  toGoJSON(): GoValue {
    return { Cert: this.cert, Key: this.key };
  }
}

class CryptoError extends TemplateFuncError {}

type Bytes = (n: number) => Buffer;

// --- keys ------------------------------------------------------------------

function pem(type: string, body: Buffer): string {
  const b64 = body.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

/** sprig's DSA PEM: SEQUENCE { version 0, p, q, g, y, x } (OpenSSL's traditional form). */
function dsaPem(key: KeyObject): string {
  const pkcs8 = der.read(key.export({ format: 'der', type: 'pkcs8' }));
  const [, algo, priv] = der.children(pkcs8);
  const params = der.children(der.children(algo!)[1]!);
  const [p, q, g] = params.map(der.readInteger) as [bigint, bigint, bigint];
  const x = der.readInteger(der.read(priv!.content));
  const y = modPow(g, x, p);
  return pem('DSA PRIVATE KEY', der.seq(der.integer(0n), der.integer(p), der.integer(q), der.integer(g), der.integer(y), der.integer(x)));
}

/** The PEM block sprig's pemBlockForKey writes. */
export function keyPem(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return key.export({ format: 'pem', type: 'pkcs1' }) as string;
    case 'ec':
      return key.export({ format: 'pem', type: 'sec1' }) as string;
    case 'dsa':
      return dsaPem(key);
    default:
      return key.export({ format: 'pem', type: 'pkcs8' }) as string;
  }
}

/**
 * RSA and DSA keys under a seeded source: node cannot seed their generation, so the
 * seeded stream picks a key from a process-wide pool instead (32 bytes of it name the
 * key). The same seed then gives the same key in every render of the process, and a
 * workflow that renders a chart twenty times (images, values) generates each key once:
 * harbor's chart makes several 2048-bit keys per render.
 */
const SEEDED_KEYS = new Map<string, KeyObject>();

function slowKey(typ: 'rsa' | 'dsa', rsaBits: number, bytes: Bytes, seeded: boolean): KeyObject {
  const make = (): KeyObject =>
    typ === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: rsaBits }).privateKey : generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey;
  if (!seeded) return make();
  const name = `${typ}/${rsaBits}/${bytes(32).toString('hex')}`;
  let key = SEEDED_KEYS.get(name);
  if (key === undefined) {
    key = make();
    SEEDED_KEYS.set(name, key);
  }
  return key;
}

/**
 * New private keys. RSA and DSA come from node's generator (repeatable only within a
 * process, through the pool above); ECDSA and Ed25519 take their secret from `bytes`,
 * so a seeded random source repeats them.
 */
export function generateKey(typ: string, bytes: Bytes, rsaBits = 4096, seeded = false): KeyObject {
  switch (typ) {
    case '':
    case 'rsa':
      return slowKey('rsa', rsaBits, bytes, seeded);
    case 'dsa':
      return slowKey('dsa', rsaBits, bytes, seeded);
    case 'ecdsa': {
      // a P-256 scalar below the group order (rejection sampling, as Go's does in spirit)
      const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
      for (;;) {
        const d = BigInt('0x' + bytes(32).toString('hex'));
        if (d === 0n || d >= n) continue;
        const sec1 = der.seq(der.integer(1n), der.octets(Buffer.from(d.toString(16).padStart(64, '0'), 'hex')), der.explicit(0, der.oid('1.2.840.10045.3.1.7')));
        return createPrivateKey({ key: sec1, format: 'der', type: 'sec1' });
      }
    }
    case 'ed25519': {
      const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), bytes(32)]);
      return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    }
  }
  throw new CryptoError(`Unknown type ${typ}`);
}

/** sprig's parsePrivateKeyPEM, with its error texts where node lets us tell the cases apart. */
export function parsePrivateKeyPem(text: string): KeyObject {
  const m = /-----BEGIN ([^-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) throw new CryptoError('no PEM data in input');
  const type = m[1]!;
  if (type !== 'PRIVATE KEY' && !type.endsWith(' PRIVATE KEY')) throw new CryptoError(`no private key data in PEM block of type ${type}`);
  const kind = type.slice(0, -' PRIVATE KEY'.length);
  if (type !== 'PRIVATE KEY' && !['RSA', 'EC', 'DSA'].includes(kind)) throw new CryptoError(`invalid private key type ${type}`);
  try {
    return createPrivateKey({ key: m[0], format: 'pem' });
  } catch (e) {
    const what = type === 'PRIVATE KEY' ? 'decoding PEM as PKCS#8' : kind === 'RSA' ? 'parsing RSA private key from PEM' : kind === 'EC' ? 'parsing EC private key from PEM' : 'parsing DSA private key from PEM';
    throw new CryptoError(`${what}: ${(e as Error).message}`);
  }
}

// --- certificates ------------------------------------------------------------

const OID = {
  cn: '2.5.4.3',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ed25519: '1.3.101.112',
};

/** net.ParseIP, as the bytes x509 writes (4 for IPv4, 16 for IPv6); undefined when invalid. */
export function parseIP(s: string): Buffer | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    // Go refuses leading zeros ("01.2.3.4") and values over 255
    if (v4.slice(1).some((p) => p.length > 1 && p.startsWith('0')) || parts.some((p) => p > 255)) return undefined;
    return Buffer.from(parts);
  }
  if (!s.includes(':')) return undefined;
  let head = s;
  let tailV4: Buffer | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIP(s.slice(lastColon + 1));
    if (!tailV4) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const a = group(halves[0]!);
  const b = halves.length === 2 ? group(halves[1]!) : [];
  const fill = 8 - a.length - b.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0 || (halves.length === 2 && fill < 1)) return undefined;
  const words = [...a, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...b];
  if (words.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return undefined;
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  if (tailV4) tailV4.copy(out, 12);
  // an IPv4-mapped address is written as 4 bytes, as Go's To4 does
  if (out.subarray(0, 10).every((x) => x === 0) && out[10] === 0xff && out[11] === 0xff) return out.subarray(12);
  return out;
}

function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' });
}

function sigAlgorithm(key: KeyObject): { alg: Buffer; hash: string | null } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { alg: der.seq(der.oid(OID.sha256WithRSA), der.nul()), hash: 'sha256' };
    case 'ec':
      return { alg: der.seq(der.oid(OID.ecdsaWithSHA256)), hash: 'sha256' };
    case 'ed25519':
      return { alg: der.seq(der.oid(OID.ed25519)), hash: null };
  }
  // Go: *dsa.PrivateKey does not implement crypto.Signer
  throw new CryptoError('error creating certificate: x509: certificate private key does not implement crypto.Signer');
}

/** Go >= 1.25 derives a CA's SubjectKeyId from the first 160 bits of SHA-256 of the public key bits. */
function subjectKeyId(key: KeyObject): Buffer {
  const info = der.read(spki(key));
  const bits = der.children(info)[1]!;
  return createHash('sha256').update(bits.content.subarray(1)).digest().subarray(0, 20);
}

interface Template {
  cn: string;
  ips: Buffer[];
  dns: string[];
  days: number;
  isCA: boolean;
}

interface Parent {
  subject: Buffer; // raw DER Name
  subjectKeyId?: Buffer;
  key: KeyObject;
}

function name(cn: string): Buffer {
  // pkix.Name with only CommonName: one RDN, written as a PrintableString when it fits
  const printableOk = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(cn);
  const value = printableOk ? der.printable(cn) : der.utf8(cn);
  return cn === '' ? der.seq() : der.seq(der.set(der.seq(der.oid(OID.cn), value)));
}

function createCertificate(t: Template, subjectKey: KeyObject, parent: Parent | null, now: Date, bytes: Bytes): Buffer {
  const signer = parent?.key ?? subjectKey;
  const { alg, hash } = sigAlgorithm(signer);
  const subject = name(t.cn);
  const issuer = parent?.subject ?? subject;
  // 128-bit serial: rand.Int(rand.Reader, 2^128)
  const serial = BigInt('0x' + bytes(16).toString('hex'));
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + t.days * 86400_000);
  const exts: Buffer[] = [];
  const ext = (id: string, critical: boolean, value: Buffer) => exts.push(der.seq(der.oid(id), ...(critical ? [der.bool(true)] : []), der.octets(value)));
  ext(OID.keyUsage, true, der.keyUsageBits(t.isCA ? [0, 2, 5] : [0, 2]));
  ext(OID.extKeyUsage, false, der.seq(der.oid(OID.serverAuth), der.oid(OID.clientAuth)));
  ext(OID.basicConstraints, true, t.isCA ? der.seq(der.bool(true)) : der.seq());
  const ski = t.isCA ? subjectKeyId(subjectKey) : undefined;
  if (ski) ext(OID.subjectKeyId, false, der.octets(ski));
  if (parent?.subjectKeyId && !parent.subject.equals(subject)) ext(OID.authorityKeyId, false, der.seq(der.implicitPrim(0, parent.subjectKeyId)));
  if (t.dns.length > 0 || t.ips.length > 0) {
    const names = [...t.dns.map((d) => der.implicitPrim(2, Buffer.from(d, 'ascii'))), ...t.ips.map((ip) => der.implicitPrim(7, ip))];
    // Go marks the SAN critical when the subject is empty
    ext(OID.subjectAltName, t.cn === '', der.seq(...names));
  }
  const tbs = der.seq(
    der.explicit(0, der.integer(2n)),
    der.integer(serial),
    alg,
    issuer,
    der.seq(der.time(notBefore), der.time(notAfter)),
    subject,
    spki(subjectKey),
    der.explicit(3, der.seq(...exts)),
  );
  const signature = sign(hash, tbs, signer);
  return der.seq(tbs, alg, der.bitString(signature));
}

/** The subject and subject key id of a certificate, for signing with it. */
function parentOf(certPem: string, key: KeyObject): Parent {
  const m = /-----BEGIN ([^-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(certPem);
  if (!m) throw new CryptoError('unable to decode certificate');
  const body = Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
  try {
    new X509Certificate(body);
  } catch (e) {
    throw new CryptoError(`error parsing certificate: decodedSignerCert.Bytes: ${(e as Error).message}`);
  }
  const fields = der.children(der.children(der.read(body))[0]!);
  const hasVersion = fields[0]!.tag === 0xa0;
  const subject = fields[hasVersion ? 5 : 4]!.raw;
  let subjectKeyId: Buffer | undefined;
  const extsField = fields.find((f) => f.tag === 0xa3);
  if (extsField) {
    for (const e of der.children(der.children(extsField)[0]!)) {
      const parts = der.children(e);
      if (parts[0]!.content.equals(der.oid(OID.subjectKeyId).subarray(2))) subjectKeyId = der.read(parts[parts.length - 1]!.content).content;
    }
  }
  return { subject, subjectKeyId, key };
}

function listOfStrings(v: GoValue, what: (x: GoValue) => string): string[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new CryptoError(what(v));
  return v.map((x) => {
    if (typeof x !== 'string') throw new CryptoError(what(x));
    return x;
  });
}

function ipsOf(v: GoValue): Buffer[] {
  return listOfStrings(v, (x) => `error parsing ip: ${formatV(x)} is not a string`).map((s) => {
    const ip = parseIP(s);
    if (!ip) throw new CryptoError(`error parsing ip: ${s}`);
    return ip;
  });
}

function dnsOf(v: GoValue): string[] {
  return listOfStrings(v, (x) => `error processing alternate dns name: ${formatV(x)} is not a string`);
}

function certOf(v: GoValue): Certificate {
  if (v instanceof Certificate) return v;
  throw new TemplateFuncError(`wrong type for value; expected sprig.certificate; got ${v === null ? '<nil>' : typeof v}`);
}

// --- AES ---------------------------------------------------------------------

function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(password, 'utf8').copy(key, 0, 0, 32);
  return key;
}

export function encryptAES(password: string, plaintext: string, bytes: Bytes): string {
  if (plaintext === '') return '';
  const content = Buffer.from(plaintext, 'utf8');
  const padding = 16 - (content.length % 16);
  const padded = Buffer.concat([content, Buffer.alloc(padding, padding)]);
  const iv = bytes(16);
  const c = createCipheriv('aes-256-cbc', aesKey(password), iv).setAutoPadding(false);
  return Buffer.concat([iv, c.update(padded), c.final()]).toString('base64');
}

export function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === '') return '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(crypt64) || crypt64.length % 4 !== 0) throw new CryptoError('illegal base64 data at input byte ' + Math.max(0, crypt64.search(/[^A-Za-z0-9+/=]/)));
  const crypt = Buffer.from(crypt64, 'base64');
  if (crypt.length < 16) throw new CryptoError(`runtime error: slice bounds out of range [:16] with capacity ${crypt.length}`);
  const body = crypt.subarray(16);
  if (body.length % 16 !== 0) throw new CryptoError('crypto/cipher: input not full blocks');
  if (body.length === 0) throw new CryptoError('runtime error: index out of range [-1]');
  const d = createDecipheriv('aes-256-cbc', aesKey(password), crypt.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([d.update(body), d.final()]);
  const pad = plain[plain.length - 1]!;
  if (pad > plain.length) throw new CryptoError(`runtime error: slice bounds out of range [:${plain.length - pad}]`);
  return plain.subarray(0, plain.length - pad).toString('utf8');
}

// --- derivePassword, bcrypt ----------------------------------------------------

const TEMPLATES: Record<string, string[]> = {
  maximum: ['anoxxxxxxxxxxxxxxxxx', 'axxxxxxxxxxxxxxxxxno'],
  long: [
    'CvcvnoCvcvCvcv', 'CvcvCvcvnoCvcv', 'CvcvCvcvCvcvno', 'CvccnoCvcvCvcv', 'CvccCvcvnoCvcv', 'CvccCvcvCvcvno', 'CvcvnoCvccCvcv', 'CvcvCvccnoCvcv',
    'CvcvCvccCvcvno', 'CvcvnoCvcvCvcc', 'CvcvCvcvnoCvcc', 'CvcvCvcvCvccno', 'CvccnoCvccCvcv', 'CvccCvccnoCvcv', 'CvccCvccCvcvno', 'CvcvnoCvccCvcc',
    'CvcvCvccnoCvcc', 'CvcvCvccCvccno', 'CvccnoCvcvCvcc', 'CvccCvcvnoCvcc', 'CvccCvcvCvccno',
  ],
  medium: ['CvcnoCvc', 'CvcCvcno'],
  short: ['Cvcn'],
  basic: ['aaanaaan', 'aannaaan', 'aaannaaa'],
  pin: ['nnnn'],
};
const CHARS: Record<string, string> = {
  V: 'AEIOU',
  C: 'BCDFGHJKLMNPQRSTVWXYZ',
  v: 'aeiou',
  c: 'bcdfghjklmnpqrstvwxyz',
  A: 'AEIOUBCDFGHJKLMNPQRSTVWXYZ',
  a: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz',
  n: '0123456789',
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()',
};

/** Master Password's algorithm, as sprig implements it (scrypt N=32768 r=8 p=2, HMAC-SHA256). */
export function derivePassword(counter: number, passwordType: string, password: string, user: string, site: string): string {
  const templates = TEMPLATES[passwordType];
  if (!templates) return `cannot find password template ${passwordType}`;
  const seed = Buffer.from('com.lyndir.masterpassword');
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const userB = Buffer.from(user, 'utf8');
  const salt = Buffer.concat([seed, u32(userB.length), userB]);
  const key = scryptSync(Buffer.from(password, 'utf8'), salt, 64, { N: 32768, r: 8, p: 2, maxmem: 256 * 1024 * 1024 });
  const siteB = Buffer.from(site, 'utf8');
  const mac = createHmac('sha256', key)
    .update(Buffer.concat([seed, u32(siteB.length), siteB, u32(counter)]))
    .digest();
  const temp = templates[mac[0]! % templates.length]!;
  let out = '';
  for (let i = 0; i < temp.length; i++) {
    const chars = CHARS[temp[i]!]!;
    out += chars[mac[i + 1]! % chars.length];
  }
  return out;
}

/** x/crypto/bcrypt GenerateFromPassword at DefaultCost (10), version 2a. */
export function bcrypt(input: string, bytes: Bytes): string {
  if (Buffer.byteLength(input, 'utf8') > 72) return 'failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes';
  const salt = '$2a$10$' + bcryptjs.encodeBase64(Array.from(bytes(16)), 16);
  return bcryptjs.hashSync(input, salt);
}

// --- the function map ------------------------------------------------------------

export function cryptoFuncs(random: (() => number) | undefined, now: () => Date): FuncMap {
  const bytes: Bytes = (n) => {
    if (!random) return randomBytes(n);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
    return b;
  };
  const result = (f: () => Certificate): Certificate => f();
  const newKey = () => generateKey('rsa', bytes, 2048, random !== undefined);
  const withKey = (pemText: string): KeyObject => {
    try {
      return parsePrivateKeyPem(pemText);
    } catch (e) {
      throw new CryptoError(`parsing private key: ${(e as Error).message}`);
    }
  };
  const make = (t: Template, key: KeyObject, ca: Certificate | null): Certificate =>
    result(() => {
      let parent: Parent | null = null;
      if (ca) {
        let caKey: KeyObject;
        try {
          caKey = parsePrivateKeyPem(ca.key);
        } catch (e) {
          throw new CryptoError(`error parsing private key: ${(e as Error).message}`);
        }
        parent = parentOf(ca.cert, caKey);
      }
      const derBytes = createCertificate(t, key, parent, now(), bytes);
      return new Certificate(pem('CERTIFICATE', derBytes), keyPem(key));
    });
  const tmpl = (cn: string, ips: GoValue, dns: GoValue, days: number, isCA = false): Template => ({ cn, ips: ipsOf(ips), dns: dnsOf(dns), days, isCA });
  return {
    bcrypt: fn(1, (s) => bcrypt(argString(s), bytes)),
    htpasswd: fn(2, (u, p) => {
      const [user, pass] = [argString(u), argString(p)];
      if (user.includes(':')) return `invalid username: ${user}`;
      return `${user}:${bcrypt(pass, bytes)}`;
    }),
    derivePassword: fn(5, (c, t, p, u, s) => derivePassword(Number(c), argString(t), argString(p), argString(u), argString(s))),
    genPrivateKey: fn(1, (t) => {
      const typ = argString(t);
      if (!['', 'rsa', 'dsa', 'ecdsa', 'ed25519'].includes(typ)) return `Unknown type ${typ}`;
      return keyPem(generateKey(typ, bytes, 4096, random !== undefined));
    }),
    buildCustomCert: fn(2, (c, k) => {
      const [b64cert, b64key] = [argString(c), argString(k)];
      const b64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;
      if (!b64.test(b64cert)) throw new CryptoError('unable to decode base64 certificate');
      if (!b64.test(b64key)) throw new CryptoError('unable to decode base64 private key');
      const cert = Buffer.from(b64cert, 'base64').toString('utf8');
      const key = Buffer.from(b64key, 'base64').toString('utf8');
      const m = /-----BEGIN ([^-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(cert);
      if (!m) throw new CryptoError('unable to decode certificate');
      try {
        new X509Certificate(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
      } catch (e) {
        throw new CryptoError(`error parsing certificate: decodedCert.Bytes: ${(e as Error).message}`);
      }
      try {
        parsePrivateKeyPem(key);
      } catch (e) {
        throw new CryptoError(`error parsing private key: ${(e as Error).message}`);
      }
      return new Certificate(cert, key);
    }),
    genCA: fn(2, (cn, d) => make(tmpl(argString(cn), null, null, argIntNum(d), true), newKey(), null)),
    genCAWithKey: fn(3, (cn, d, k) => make(tmpl(argString(cn), null, null, argIntNum(d), true), withKey(argString(k)), null)),
    genSelfSignedCert: fn(4, (cn, ips, dns, d) => make(tmpl(argString(cn), ips, dns, argIntNum(d)), newKey(), null)),
    genSelfSignedCertWithKey: fn(5, (cn, ips, dns, d, k) => {
      const t = tmpl(argString(cn), ips, dns, argIntNum(d));
      return make(t, withKey(argString(k)), null);
    }),
    genSignedCert: fn(5, (cn, ips, dns, d, ca) => {
      const t = tmpl(argString(cn), ips, dns, argIntNum(d));
      return make(t, newKey(), certOf(ca));
    }),
    genSignedCertWithKey: fn(6, (cn, ips, dns, d, ca, k) => {
      const t = tmpl(argString(cn), ips, dns, argIntNum(d));
      return make(t, withKey(argString(k)), certOf(ca));
    }),
    encryptAES: fn(2, (p, t) => encryptAES(argString(p), argString(t), bytes)),
    decryptAES: fn(2, (p, t) => decryptAES(argString(p), argString(t))),
    randBytes: fn(1, (c) => {
      const n = argIntNum(c);
      if (n < 0) throw new CryptoError('runtime error: makeslice: len out of range');
      return bytes(n).toString('base64');
    }),
  };
}
