/**
 * The chart artifact as `helm push` writes it: chart.Metadata typed as Helm's loader
 * types it (sigs.k8s.io/yaml over go-yaml v2), encoded as encoding/json encodes the
 * struct, and the manifest annotations of Helm's generateOCIAnnotations.
 *
 * No helm binary here (Debian has none): the expectations are derived from Helm's
 * source (pkg/chart/metadata.go, dependency.go, loader/load.go, pkg/registry),
 * sigs.k8s.io/yaml (FormatFloat(f, 'g', -1, 32) for a float into a string field) and
 * go-yaml v2's resolve.go, and the shape test checks the config against the struct
 * tags copied below.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartArtifact, helmManifestAnnotations, readChartMetadata } from '../src/chart/chart.js';
import { helmMetadataJson, loadHelmMetadata, sanitizeString } from '../src/chart/helm-metadata.js';
import { formatFloat32, resolvePlain } from '../src/chart/yaml-v2.js';
import { makeChartTgz } from './helpers/seed.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-chartmeta-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What Helm's chart.Metadata field of a Chart.yaml `appVersion: TEXT` holds. */
const appVersion = (text: string) => loadHelmMetadata(`apiVersion: v2\nname: a\nversion: 1.0.0\nappVersion: ${text}\n`).appVersion;

describe('Chart.yaml scalars as Helm types them', () => {
  it('turns numbers and booleans into the strings sigs.k8s.io/yaml gives a Go string field', () => {
    expect(appVersion('1.0')).toBe('1'); // a float, FormatFloat(1, 'g', -1, 32)
    expect(appVersion('1')).toBe('1');
    expect(appVersion('true')).toBe('true');
    expect(appVersion('1.10')).toBe('1.1');
    expect(appVersion('"1.10"')).toBe('1.10'); // quoted: a string already
    expect(appVersion('1.2.3')).toBe('1.2.3');
    expect(appVersion('yes')).toBe('true'); // YAML 1.1, as go-yaml v2 reads it
    expect(appVersion('off')).toBe('false');
    expect(appVersion('017')).toBe('15'); // octal
    expect(appVersion('0x1F')).toBe('31');
    expect(appVersion('1_000')).toBe('1000');
    expect(appVersion('1e3')).toBe('1000');
    expect(appVersion('1000000')).toBe('1000000'); // an int stays decimal
    expect(appVersion('1000000.0')).toBe('1e+06'); // a float from 1e6 up takes Go's exponent form
    expect(appVersion('3.14159265358979')).toBe('3.1415927'); // float32 precision
    expect(appVersion('0.00001')).toBe('1e-05');
    expect(appVersion('.5')).toBe('0.5');
    expect(appVersion('2024-01-02')).toBe('2024-01-02'); // a timestamp stays its text
    expect(appVersion('9223372036854775808')).toBe('9223372036854775808'); // a uint64
    expect(appVersion('~')).toBeUndefined();
    expect(appVersion('')).toBeUndefined();
  });

  it('resolves plain scalars as go-yaml v2 does and formats floats as Go formats a float32', () => {
    expect(resolvePlain('08')).toEqual({ k: 'float', f: 8 }); // not octal, so ParseInt fails and the float pattern takes it
    expect(resolvePlain('-9223372036854775809')).toEqual({ k: 'float', f: -9223372036854775809 });
    expect(resolvePlain('.inf')).toEqual({ k: 'float', f: Infinity });
    expect(resolvePlain('v1')).toEqual({ k: 'str', s: 'v1' });
    expect([123456.7, 0.0001, 1e21, -0, 0.1, 16777217].map(formatFloat32)).toEqual(['123456.7', '0.0001', '1e+21', '-0', '0.1', '1.6777216e+07']);
  });

  it('sanitizes as Metadata.Validate does: spaces become " ", unprintable characters go', () => {
    expect(sanitizeString('a\tb\nc\u00a0d\u200be\u0007f\ufeffg')).toBe('a b c de' + 'fg');
  });
});

const TYPED = `apiVersion: v2
name: app
version: 1.2.3+build.7
appVersion: 1.0
description: "Web <b>app</b> & more\\nsecond line"
home: https://example.com/app
sources: [https://git.example.com/app, https://mirror.example.com/app]
keywords: [1, web, true, 1.50]
icon: ""
deprecated: true
kubeVersion: ">=1.25"
annotations:
  artifacthub.io/prerelease: false
  count: 3
  "10": ten
  "9": nine
  org.opencontainers.image.title: not-the-name
maintainers:
  - name: Ann
    email: ann@example.com
  - name: Bob
  - email: ops@example.com
    url: https://example.com/ops
dependencies:
  - name: db
    version: 1.0
    condition: db.enabled
    tags: [backend, 2]
    import-values: [{child: b, parent: a}, data]
  - name: cache
    repository: oci://registry.example.com/charts
    alias: redis
    enabled: true
type: application
unknownField: ignored
`;

// The config Helm writes for TYPED: json.Marshal(chart.Metadata), field by field in
// the struct's order, omitempty fields left out, dependency name and repository always present.
const TYPED_CONFIG =
  '{"name":"app","home":"https://example.com/app","sources":["https://git.example.com/app","https://mirror.example.com/app"],' +
  '"version":"1.2.3+build.7","description":"Web \\u003cb\\u003eapp\\u003c/b\\u003e \\u0026 more second line",' +
  '"keywords":["1","web","true","1.5"],' +
  '"maintainers":[{"name":"Ann","email":"ann@example.com"},{"name":"Bob"},{"email":"ops@example.com","url":"https://example.com/ops"}],' +
  '"apiVersion":"v2","appVersion":"1","deprecated":true,' +
  '"annotations":{"10":"ten","9":"nine","artifacthub.io/prerelease":"false","count":"3","org.opencontainers.image.title":"not-the-name"},' +
  '"kubeVersion":"\\u003e=1.25",' +
  '"dependencies":[{"name":"db","version":"1","repository":"","condition":"db.enabled","tags":["backend","2"],"import-values":[{"child":"b","parent":"a"},"data"]},' +
  '{"name":"cache","repository":"oci://registry.example.com/charts","enabled":true,"alias":"redis"}],' +
  '"type":"application"}';

/**
 * chart.Metadata, Maintainer and Dependency as their Go declarations say
 * (helm.sh/helm/v3 pkg/chart): JSON name, Go type, and whether `omitempty` is set.
 */
type GoType = 'string' | '[]string' | 'bool' | 'map[string]string' | '[]interface{}' | '[]*Maintainer' | '[]*Dependency';
const HELM_STRUCTS: Record<string, [string, GoType, boolean][]> = {
  Metadata: [
    ['name', 'string', true], ['home', 'string', true], ['sources', '[]string', true], ['version', 'string', true],
    ['description', 'string', true], ['keywords', '[]string', true], ['maintainers', '[]*Maintainer', true],
    ['icon', 'string', true], ['apiVersion', 'string', true], ['condition', 'string', true], ['tags', 'string', true],
    ['appVersion', 'string', true], ['deprecated', 'bool', true], ['annotations', 'map[string]string', true],
    ['kubeVersion', 'string', true], ['dependencies', '[]*Dependency', true], ['type', 'string', true],
  ],
  Maintainer: [['name', 'string', true], ['email', 'string', true], ['url', 'string', true]],
  Dependency: [
    ['name', 'string', false], ['version', 'string', true], ['repository', 'string', false], ['condition', 'string', true],
    ['tags', '[]string', true], ['enabled', 'bool', true], ['import-values', '[]interface{}', true], ['alias', 'string', true],
  ],
};

/** Checks a decoded JSON object against a Go struct: only its fields, in its order, each of its JSON type, empties omitted. */
function checkShape(value: unknown, struct: string, path: string): void {
  const fields = HELM_STRUCTS[struct]!;
  expect(value, path).toBeTypeOf('object');
  const keys = Object.keys(value as object);
  const order = fields.map(([k]) => k).filter((k) => keys.includes(k));
  expect(keys, `${path}: only declared fields, in declaration order`).toEqual(order);
  for (const [key, type, omitempty] of fields) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) {
      expect(omitempty, `${path}.${key} may only be absent with omitempty`).toBe(true);
      continue;
    }
    const at = `${path}.${key}`;
    switch (type) {
      case 'string':
        expect(v, at).toBeTypeOf('string');
        if (omitempty) expect(v, at).not.toBe('');
        break;
      case 'bool':
        expect(v, at).toBe(true); // false is omitted
        break;
      case '[]string':
        expect(Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string'), at).toBe(true);
        break;
      case 'map[string]string':
        expect(Object.values(v as object).every((s) => typeof s === 'string') && Object.keys(v as object).length > 0, at).toBe(true);
        break;
      case '[]interface{}':
        expect(Array.isArray(v) && v.length > 0, at).toBe(true);
        break;
      case '[]*Maintainer':
      case '[]*Dependency':
        (v as unknown[]).forEach((item, i) => checkShape(item, type.slice(3), `${at}[${i}]`));
        break;
    }
  }
}

describe('the config blob', () => {
  it('is json.Marshal of chart.Metadata as Helm loads TYPED: exact bytes', () => {
    expect(helmMetadataJson(loadHelmMetadata(TYPED))).toBe(TYPED_CONFIG);
  });

  it('has the shape of Helm\'s struct tags, so encoding/json decodes it into chart.Metadata', () => {
    const config = JSON.parse(helmMetadataJson(loadHelmMetadata(TYPED))) as unknown;
    checkShape(config, 'Metadata', 'config');
  });

  it('writes apiVersion v1 for a chart without one and takes its dependencies from requirements.yaml', () => {
    const meta = loadHelmMetadata('name: old\nversion: 0.1.0\n', 'dependencies:\n  - name: sub\n    version: ~1.2\n    repository: https://charts.example.com\n');
    expect(helmMetadataJson(meta)).toBe(
      '{"name":"old","version":"0.1.0","apiVersion":"v1","dependencies":[{"name":"sub","version":"~1.2","repository":"https://charts.example.com"}]}',
    );
  });

  it('follows anchors, aliases and merge keys as go-yaml v2 does', () => {
    const meta = loadHelmMetadata(
      'apiVersion: v2\nname: a\nversion: 1.0.0\nx-common: &common {appVersion: 2.0, home: https://h}\nicon: &x https://i\n' +
        'annotations:\n  first: before\n  <<: [{first: merged, second: one}, {second: two}]\n  third: *x\n<<: *common\n',
    );
    expect(meta).toMatchObject({ appVersion: '2', home: 'https://h', icon: 'https://i' });
    expect(meta.annotations).toEqual({ first: 'merged', second: 'one', third: 'https://i' });
    expect(() => loadHelmMetadata('name: a\nversion: 1.0.0\nicon: *later\nhome: &later h\n')).toThrow('unknown anchor');
    const level = (name: string, of: string) => `${name}: &${name} [${Array(10).fill(of).join(', ')}]\n`;
    const bomb = level('a', 'x') + level('b', '*a') + level('c', '*b') + level('d', '*c') + level('e', '*d') + level('f', '*e');
    expect(() => loadHelmMetadata(`name: a\nversion: 1.0.0\n${bomb}`)).toThrow('more than 100000 nodes (alias expansion)');
  });

  it('matches keys as encoding/json does: exact first, else ignoring case; unknown keys dropped', () => {
    expect(helmMetadataJson(loadHelmMetadata('apiVersion: v2\nName: app\nversion: 1.0.0\nAPPVERSION: 2\nextra: {a: 1}\n'))).toBe(
      '{"name":"app","version":"1.0.0","apiVersion":"v2","appVersion":"2"}',
    );
  });

  it('refuses what Helm\'s loader refuses, in encoding/json\'s words', () => {
    const load = (extra: string) => () => loadHelmMetadata(`apiVersion: v2\nname: a\nversion: 1.0.0\n${extra}\n`);
    expect(load('keywords: web')).toThrow('cannot unmarshal string into keywords of type array');
    expect(load('appVersion: [1]')).toThrow('cannot unmarshal array into appVersion of type string');
    expect(load('deprecated: "yes"')).toThrow('cannot unmarshal string into deprecated of type bool');
    expect(load('annotations: {a: [1]}')).toThrow('cannot unmarshal array into annotations.a of type string');
    expect(load('maintainers: [~]')).toThrow('maintainers must not contain empty or null nodes');
  });
});

describe('the chart artifact', () => {
  it('builds the manifest helm push builds: no mediaType, no created, Helm\'s annotations, exact bytes', async () => {
    const tgz = await makeChartTgz(dir, 'app', '1.2.3+build.7', { 'Chart.yaml': TYPED });
    const artifact = await chartArtifact(tgz);
    expect(artifact.config.bytes.toString()).toBe(TYPED_CONFIG);
    expect(artifact.metadata).toMatchObject({ name: 'app', version: '1.2.3+build.7', appVersion: '1' });
    const config = artifact.config.descriptor;
    const layer = artifact.layer.descriptor;
    expect(artifact.manifest.bytes.toString()).toBe(
      '{"schemaVersion":2,' +
        `"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"${config.digest}","size":${config.size}},` +
        `"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"${layer.digest}","size":${layer.size}}],` +
        '"annotations":{"10":"ten","9":"nine","artifacthub.io/prerelease":"false","count":"3",' +
        '"org.opencontainers.image.authors":"Ann (ann@example.com), Bob,  (ops@example.com)",' +
        '"org.opencontainers.image.description":"Web \\u003cb\\u003eapp\\u003c/b\\u003e \\u0026 more second line",' +
        '"org.opencontainers.image.source":"https://git.example.com/app",' +
        '"org.opencontainers.image.title":"app",' + // the chart's own annotation may not replace it
        '"org.opencontainers.image.url":"https://example.com/app",' +
        '"org.opencontainers.image.version":"1.2.3+build.7"}}',
    );
    // The same chart gives the same digest, whenever it is packed.
    expect((await chartArtifact(tgz)).manifest.descriptor.digest).toBe(artifact.manifest.descriptor.digest);
  });

  it('leaves out blank annotations, as Helm\'s addToMap does', () => {
    const meta = loadHelmMetadata('apiVersion: v2\nname: a\nversion: 1.0.0\ndescription: "  "\nhome: ""\nmaintainers: [{url: https://x}]\n');
    expect(helmManifestAnnotations(meta)).toEqual({ 'org.opencontainers.image.title': 'a', 'org.opencontainers.image.version': '1.0.0' });
  });

  it('reads a v1 chart\'s requirements.yaml from the archive and refuses a Chart.yaml Helm cannot load', async () => {
    const v1 = await makeChartTgz(dir, 'old', '0.1.0', {
      'Chart.yaml': 'name: old\nversion: 0.1.0\nappVersion: 1\n',
      'requirements.yaml': 'dependencies:\n  - name: sub\n    version: 1.x\n    repository: "@stable"\n',
      'charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 1.0.0\nappVersion: 9\n',
    });
    expect((await readChartMetadata(v1))).toEqual({
      name: 'old', version: '0.1.0', apiVersion: 'v1', appVersion: '1',
      dependencies: [{ name: 'sub', version: '1.x', repository: '@stable' }],
    });
    const bad = await makeChartTgz(dir, 'bad', '1.0.0', { 'Chart.yaml': 'apiVersion: v2\nname: bad\nversion: 1.0.0\nsources: https://x\n' });
    await expect(readChartMetadata(bad)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringContaining('cannot unmarshal string into sources of type array'),
    });
  });
});
