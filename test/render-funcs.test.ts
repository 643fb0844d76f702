/**
 * What the Go oracle cannot compare byte for byte: random and time-dependent functions,
 * generated keys and certificates (checked by parsing them back), the include depth
 * limit (JS engine recursion stops earlier than Go's), and a few direct API checks.
 * Everything deterministic is in test/render/corpus/{sprig,helm}-*.json.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import bcryptjs from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { engineHooks, helmFuncMap, type HelmHooks } from '../src/chart/render/funcs/index.js';
import { GoObject, MAP_TYPE, type GoFunc, type GoValue } from '../src/chart/render/template/types.js';
import { TemplateSet } from '../src/chart/render/template/index.js';

const NOW = new Date('2024-05-06T07:08:09.5Z');
const hooks: HelmHooks = { include: (name) => `<${name}>`, tpl: (text) => text };

/** mulberry32: a small seeded source for repeatable runs. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function funcs(seed?: number, h: HelmHooks = hooks) {
  const f = helmFuncMap(h, { random: seed === undefined ? undefined : seeded(seed), now: () => NOW });
  return (name: string, ...args: GoValue[]): GoValue => {
    const g = f[name];
    if (!g) throw new Error(`no function ${name}`);
    return g(...args);
  };
}

function field(o: GoValue, name: string): GoValue {
  if (!(o instanceof GoObject)) throw new Error('not a Go object');
  const v = o.field(name);
  return typeof v === 'function' ? (v as GoFunc)() : (v ?? null);
}

/** Renders a template with the real engine and these functions, as a chart would. */
function render(text: string, data: GoValue = null, seed?: number): string {
  let set: TemplateSet;
  const h = engineHooks({ parse: (n, t) => set.parse(n, t), execute: (n, d) => set.execute(n, d), clone: () => set.clone() });
  set = new TemplateSet({ funcs: helmFuncMap(h, { random: seed === undefined ? undefined : seeded(seed), now: () => NOW }), missingKey: 'zero' });
  set.parse('t', text);
  return set.execute('t', data);
}

describe('helmFuncMap', () => {
  it('has every sprig function but env/expandenv, and Helm’s own', () => {
    const f = helmFuncMap(hooks);
    for (const n of ['toYaml', 'toYamlPretty', 'fromYaml', 'fromYamlArray', 'toJson', 'fromJson', 'fromJsonArray', 'toToml', 'fromToml', 'include', 'tpl', 'required', 'fail', 'lookup'])
      expect(f[n], n).toBeDefined();
    for (const n of ['semverCompare', 'genCA', 'derivePassword', 'dateInZone', 'regexReplaceAll', 'urlJoin', 'mustMergeOverwrite', 'sha512sum', 'randInt', 'shuffle'])
      expect(f[n], n).toBeDefined();
    expect(f['env']).toBeUndefined();
    expect(f['expandenv']).toBeUndefined();
    // every function carries its Go signature for the engine
    expect(f['repeat']!.params).toEqual(['int', 'string']);
    expect(f['merge']!.variadic).toBe(true);
  });

  it('stops nested includes at Helm’s depth of 1000', () => {
    let call: (name: string, ...a: GoValue[]) => GoValue = () => null;
    const h: HelmHooks = { include: (name, data) => String(call('include', name, data)), tpl: (t) => t };
    call = funcs(undefined, h);
    expect(() => call('include', 'loop', null)).toThrow('rendering template has a nested reference name: loop: unable to execute template');
    // and the count unwinds: a later include of the name works again
    const once: HelmHooks = { include: () => 'ok', tpl: (t) => t };
    const c2 = funcs(undefined, once);
    for (let i = 0; i < 2000; i++) expect(c2('include', 'x', null)).toBe('ok');
  });

  it('binds include to tpl’s clone, so a define inside tpl text is includable', () => {
    expect(render('{{ tpl "{{ define \\"y\\" }}Y{{ .a }}{{ end }}{{ include \\"y\\" . }}" . }}', { a: 1 })).toBe('Y1');
    expect(() => render('{{ tpl "{{ .a " . }}')).toThrow('cannot parse template "{{ .a "');
  });

  it('lookup gives an empty map, or what the hook returns', () => {
    expect(funcs()('lookup', 'v1', 'Secret', 'ns', 'n')).toEqual({});
    const h: HelmHooks = { ...hooks, lookup: (api, kind) => ({ kind, api }) };
    expect(funcs(undefined, h)('lookup', 'v1', 'Secret', 'ns', 'n')).toEqual({ kind: 'Secret', api: 'v1' });
  });
});

describe('random functions', () => {
  it('repeat with a seed and have Go’s shapes', () => {
    const a = funcs(1);
    const b = funcs(1);
    for (const n of ['randAlphaNum', 'randAlpha', 'randNumeric', 'randAscii']) expect(a(n, 24n)).toBe(b(n, 24n));
    expect(a('uuidv4')).toBe(b('uuidv4'));
    expect(a('shuffle', 'abcdefgh')).toBe(b('shuffle', 'abcdefgh'));
    const c = funcs(2);
    expect(String(c('randAlphaNum', 64n))).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(String(c('randAlpha', 64n))).toMatch(/^[A-Za-z]{64}$/);
    expect(String(c('randNumeric', 64n))).toMatch(/^[0-9]{64}$/);
    expect(String(c('randAscii', 64n))).toMatch(/^[ -~]{64}$/);
    expect(String(c('uuidv4'))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...String(c('shuffle', 'hello world'))].sort().join('')).toBe([...'hello world'].sort().join(''));
    expect(Buffer.from(String(c('randBytes', 33n)), 'base64')).toHaveLength(33);
    for (let i = 0; i < 200; i++) {
      const r = c('randInt', -3n, 4n) as bigint;
      expect(r >= -3n && r < 4n).toBe(true);
    }
    expect(() => c('randInt', 5n, 5n)).toThrow('invalid argument to Intn');
  });

  it('are random without a seed', () => {
    const f = funcs();
    expect(f('randAlphaNum', 32n)).not.toBe(f('randAlphaNum', 32n));
    expect(f('uuidv4')).not.toBe(f('uuidv4'));
  });
});

describe('dates', () => {
  it('now is the injected clock, as a time.Time', () => {
    const f = funcs();
    const now = f('now');
    expect(now).toBeInstanceOf(GoObject);
    expect((now as GoObject).goType).toBe('time.Time');
    expect((now as GoObject).format()).toMatch(/^2024-05-06 07:08:09\.5 \+0000 UTC m=\+0\.\d{9}$/);
    expect((f('dateModify', '1s', now) as GoObject).format()).toMatch(/^2024-05-06 07:08:10\.5 \+0000 UTC m=\+1\.\d{9}$/);
    expect((field(now, 'UTC') as GoObject).format()).toBe('2024-05-06 07:08:09.5 +0000 UTC');
    expect(f('date', '2006-01-02T15:04:05.000Z07:00', now)).toBe('2024-05-06T07:08:09.500Z');
    expect(f('unixEpoch', now)).toBe('1714979289');
    expect(f('htmlDate', now)).toBe('2024-05-06');
    expect(f('dateInZone', '15:04 MST', now, 'Asia/Tokyo')).toBe('16:08 JST');
    expect(f('dateInZone', '15:04 -07:00', now, 'Europe/Berlin')).toBe('09:08 +02:00');
  });

  it('ago and durationRound measure from the clock', () => {
    const f = funcs();
    const earlier = f('dateModify', '-90m', f('now'));
    expect(f('ago', earlier)).toBe('1h30m0s');
    expect(f('durationRound', earlier)).toBe('1h');
    expect(f('ago', 1714979289n - 61n)).toBe('1m2s'); // 61.5s rounds half away from zero
    // a float64 (from values) is not a time: "now"
    expect(f('date', '2006', 5.5)).toBe('2024');
  });

  it('renders dates through the engine', () => {
    expect(render('{{ now | date "Mon Jan 2 2006" }} {{ now | dateModify "24h" | htmlDate }}')).toBe('Mon May 6 2024 2024-05-07');
  });
});

describe('keys and certificates', () => {
  it('genPrivateKey writes the PEM forms sprig writes', () => {
    const f = funcs(3);
    const rsa = String(f('genPrivateKey', 'rsa'));
    expect(rsa).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(createPrivateKey(rsa).asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(String(f('genPrivateKey', ''))).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const ec = String(f('genPrivateKey', 'ecdsa'));
    expect(ec).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(createPrivateKey(ec).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const ed = String(f('genPrivateKey', 'ed25519'));
    expect(ed).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(ed).asymmetricKeyType).toBe('ed25519');
    const dsa = String(f('genPrivateKey', 'dsa'));
    expect(dsa).toMatch(/^-----BEGIN DSA PRIVATE KEY-----\n/);
    expect(createPrivateKey(dsa).asymmetricKeyType).toBe('dsa');
    expect(f('genPrivateKey', 'x')).toBe('Unknown type x');
    // ECDSA and Ed25519 keys come from the seeded source
    expect(funcs(9)('genPrivateKey', 'ecdsa')).toBe(funcs(9)('genPrivateKey', 'ecdsa'));
    expect(funcs(9)('genPrivateKey', 'ed25519')).toBe(funcs(9)('genPrivateKey', 'ed25519'));
  });

  it('genCA and genSignedCert make a chain X.509 verifiers accept', () => {
    const f = funcs(4);
    const ca = f('genCA', 'my-ca', 365n);
    const caCert = new X509Certificate(String(field(ca, 'Cert')));
    expect(caCert.subject).toBe('CN=my-ca');
    expect(caCert.issuer).toBe('CN=my-ca');
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(createPublicKey(String(field(ca, 'Key'))))).toBe(true);
    expect(new Date(caCert.validFrom).toISOString()).toBe('2024-05-06T07:08:09.000Z');
    expect(new Date(caCert.validTo).toISOString()).toBe('2025-05-06T07:08:09.000Z');

    const leaf = f('genSignedCert', 'svc.example', ['10.0.0.1', '::1'], ['a.example', 'b.example'], 30n, ca);
    const leafCert = new X509Certificate(String(field(leaf, 'Cert')));
    expect(leafCert.subject).toBe('CN=svc.example');
    expect(leafCert.issuer).toBe('CN=my-ca');
    expect(leafCert.ca).toBe(false);
    expect(leafCert.subjectAltName).toBe('DNS:a.example, DNS:b.example, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(leafCert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(leafCert.checkIssued(caCert)).toBe(true);
    expect(leafCert.verify(caCert.publicKey)).toBe(true);
    expect(String(field(leaf, 'Key'))).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(leafCert.serialNumber).toMatch(/^[0-9A-F]+$/);
  });

  it('the WithKey forms use the given key, of any type Go can sign with', () => {
    const f = funcs(5);
    const key = String(f('genPrivateKey', 'ecdsa'));
    const ss = f('genSelfSignedCertWithKey', 'me', [], ['me.example'], 1n, key);
    expect(field(ss, 'Key')).toBe(key);
    const cert = new X509Certificate(String(field(ss, 'Cert')));
    expect(cert.publicKey.export({ format: 'der', type: 'spki' })).toEqual(createPublicKey(key).export({ format: 'der', type: 'spki' }));
    expect(cert.verify(cert.publicKey)).toBe(true);
    const edKey = String(f('genPrivateKey', 'ed25519'));
    const edCA = f('genCAWithKey', 'ed-ca', 10n, edKey);
    const leaf = f('genSignedCertWithKey', 'leaf', null, null, 1n, edCA, key);
    expect(new X509Certificate(String(field(leaf, 'Cert'))).verify(createPublicKey(edKey))).toBe(true);
    // Go cannot sign with DSA: *dsa.PrivateKey is no crypto.Signer
    const dsa = String(f('genPrivateKey', 'dsa'));
    expect(() => f('genCAWithKey', 'x', 1n, dsa)).toThrow('x509: certificate private key does not implement crypto.Signer');
  });

  it('bcrypt and htpasswd hash as Go’s x/crypto does ($2a$, cost 10)', () => {
    const f = funcs(6);
    const h = String(f('bcrypt', 'hunter2'));
    expect(h).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcryptjs.compareSync('hunter2', h)).toBe(true);
    expect(funcs(6)('bcrypt', 'hunter2')).toBe(h);
    const line = String(f('htpasswd', 'admin', 'pw'));
    expect(line.startsWith('admin:$2a$10$')).toBe(true);
    expect(bcryptjs.compareSync('pw', line.slice('admin:'.length))).toBe(true);
    expect(f('bcrypt', 'x'.repeat(73))).toBe('failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes');
  });

  it('encryptAES uses a fresh IV, decryptAES inverts it', () => {
    const f = funcs();
    const a = String(f('encryptAES', 'k', 'same text'));
    const b = String(f('encryptAES', 'k', 'same text'));
    expect(a).not.toBe(b);
    expect(f('decryptAES', 'k', a)).toBe('same text');
    expect(() => f('decryptAES', 'k', 'AAAA')).toThrow('slice bounds out of range');
  });
});

describe('value kinds the oracle prints the same way', () => {
  it('returns Go kinds: int64/int as bigint, float64 as number, []string tagged', () => {
    const f = funcs();
    expect(f('add', 1n, 2n)).toBe(3n);
    expect(f('addf', 1n, 2n)).toBe(3);
    expect(f('atoi', '7')).toBe(7n);
    expect(f('float64', '1.5')).toBe(1.5);
    expect(f('splitList', ',', 'a,b')).toEqual(['a', 'b']);
    expect(f('toYaml', { b: 'yes', a: [1, 'x'], c: {}, d: [], e: 'multi\nline', f: 1e6, g: '', h: null, a10: 1, a9: 2 })).toBe(
      'a:\n- 1\n- x\na9: 2\na10: 1\nb: "yes"\nc: {}\nd: []\ne: |-\n  multi\n  line\nf: 1000000\ng: ""\nh: null',
    );
  });
});

describe('named map types', () => {
  it('dig refuses a chartutil.Values (a type assertion in Go), other functions take it', () => {
    const values = { a: { b: 1 } } as Record<string, GoValue>;
    Object.defineProperty(values, MAP_TYPE, { value: 'chartutil.Values' });
    const f = funcs();
    expect(() => f('dig', 'a', 'b', 'none', values)).toThrow('interface conversion: interface {} is chartutil.Values, not map[string]interface {}');
    expect(f('dig', 'b', 'none', (values as { a: GoValue }).a)).toBe(1);
    expect(f('hasKey', values, 'a')).toBe(true);
    expect(f('typeOf', values)).toBe('chartutil.Values');
  });
});

describe('fromToml', () => {
  it('reads the TOML charts carry (no Go oracle has BurntSushi/toml here)', () => {
    const f = funcs();
    const doc = [
      'title = "x" # comment',
      'n = 1_000',
      'h = 0xff',
      'f = 1.5e3',
      'b = true',
      "lit = 'C:\\path'",
      'multi = """',
      'one',
      'two"""',
      'arr = [',
      '  1,',
      '  2, # trailing',
      ']',
      'inline = { a = 1, b.c = "d" }',
      'when = 1979-05-27T07:32:00Z',
      '[server."web-1"]',
      'port = 8080',
      '[[items]]',
      'name = "a"',
      '[[items]]',
      'name = "b"',
    ].join('\n');
    expect(f('fromToml', doc)).toEqual({
      title: 'x',
      n: 1000n,
      h: 255n,
      f: 1500,
      b: true,
      lit: 'C:\\path',
      multi: 'one\ntwo',
      arr: [1n, 2n],
      inline: { a: 1n, b: { c: 'd' } },
      when: '1979-05-27T07:32:00Z',
      server: { 'web-1': { port: 8080n } },
      items: [{ name: 'a' }, { name: 'b' }],
    });
    expect(f('fromToml', 'a = 1\na = 2')).toEqual({ Error: "toml: line 2: Key 'a' has already been defined." });
  });
});
