import { describe, expect, it } from 'vitest';
import { chartTag, chartVersionOfTag, formatImageRef, normalizeImageRef, parseChartRef, parseImageRef } from '../src/ref/index.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseImageRef normalizes as docker and containerd do', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['ghcr.io/org/app:v1', 'ghcr.io/org/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:v2', 'localhost:5000/app:v2'],
    ['127.0.0.1:5000/a/b/c:1.0', '127.0.0.1:5000/a/b/c:1.0'],
    ['[::1]:5000/app:v1', '[::1]:5000/app:v1'],
    ['[fe80::1]/app', '[fe80::1]/app:latest'],
    [`ghcr.io/org/app@${D}`, `ghcr.io/org/app@${D}`],
    [`ghcr.io/org/app:v1@${D}`, `ghcr.io/org/app:v1@${D}`],
    ['Registry.Example.com/app', 'Registry.Example.com/app:latest'],
    ['quay.io/a__b/c-d.e_f:tag_1.0-x', 'quay.io/a__b/c-d.e_f:tag_1.0-x'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeImageRef(input)).toBe(expected);
  });

  it('splits the parts', () => {
    expect(parseImageRef('127.0.0.1:5000/org/app:v1')).toEqual({ registry: '127.0.0.1:5000', repository: 'org/app', tag: 'v1' });
    expect(parseImageRef(`app@${D}`)).toEqual({ registry: 'docker.io', repository: 'library/app', digest: D });
  });

  it.each([
    ['', /empty/],
    ['ghcr.io/Org/app', /lowercase/],
    ['NGINX', /lowercase/],
    ['docker://nginx', /no scheme/],
    ['nginx:', /not a valid tag/],
    ['nginx:-bad', /not a valid tag/],
    ['ghcr.io/org//app', /path component/],
    ['ghcr.io/org/app_', /path component/],
    ['nginx@sha256:abc', /invalid digest/],
    ['nginx@sha512:' + 'a'.repeat(128), /unsupported digest/],
    ['a b', /white space/],
    ['ghcr.io/' + 'a'.repeat(260), /longer than 255/],
    ['-bad.host:5000/app', /not a valid registry host/],
  ])('rejects %j with a clear reason', (input, why) => {
    expect(() => parseImageRef(input)).toThrow(why);
    try {
      parseImageRef(input);
    } catch (err) {
      expect((err as { code: string }).code).toBe('REF_INVALID');
      expect((err as Error).message).toContain(`"${input}"`);
    }
  });

  it('formats what it parses', () => {
    for (const text of ['ghcr.io/org/app:v1', `[::1]:5000/x@${D}`]) expect(formatImageRef(parseImageRef(text))).toBe(text);
  });
});

describe('parseChartRef', () => {
  it('reads oci:// references with --chart-version as the tag', () => {
    const chart = parseChartRef('oci://ghcr.io/org/charts/app', '1.2.3');
    expect(chart).toMatchObject({ kind: 'oci', name: 'app', ref: { registry: 'ghcr.io', repository: 'org/charts/app', tag: '1.2.3' } });
  });
  it('maps semver build metadata to the tag helm uses', () => {
    const chart = parseChartRef('oci://127.0.0.1:5000/charts/app', '1.0.0+build.1');
    expect(chart.kind === 'oci' && chart.ref.tag).toBe('1.0.0_build.1');
  });
  it('requires a version for oci charts and refuses two different ones', () => {
    expect(() => parseChartRef('oci://ghcr.io/org/app')).toThrow(/--chart-version/);
    expect(() => parseChartRef('oci://ghcr.io/org/app:1.0.0', '2.0.0')).toThrow(/says 2.0.0/);
    expect(parseChartRef('oci://ghcr.io/org/app:1.0.0')).toMatchObject({ kind: 'oci', ref: { tag: '1.0.0' } });
  });
  it('reads classic repository URLs and local files', () => {
    expect(parseChartRef('https://charts.example.com/stable/app')).toEqual({
      kind: 'repo',
      repoUrl: 'https://charts.example.com/stable/',
      name: 'app',
    });
    expect(parseChartRef('./app-1.0.0.tgz')).toEqual({ kind: 'file', path: './app-1.0.0.tgz' });
    expect(() => parseChartRef('app')).toThrow(/unrecognized chart reference/);
  });
});

describe('chart versions and tags', () => {
  it('maps + to _ for the tag and back', () => {
    expect(chartTag('1.2.3+build.7')).toBe('1.2.3_build.7');
    expect(chartVersionOfTag('1.2.3_build.7')).toBe('1.2.3+build.7');
  });

  it('accepts + in an oci:// tag, as Helm does, and looks it up under _', () => {
    expect(parseChartRef('oci://127.0.0.1:5000/charts/app:1.2.3+build.7')).toMatchObject({
      kind: 'oci',
      ref: { registry: '127.0.0.1:5000', repository: 'charts/app', tag: '1.2.3_build.7' },
    });
    expect(parseChartRef('oci://127.0.0.1:5000/charts/app:1.2.3+build.7', '1.2.3+build.7')).toMatchObject({ ref: { tag: '1.2.3_build.7' } });
    expect(parseChartRef('oci://127.0.0.1:5000/charts/app:1.2.3_build.7', '1.2.3+build.7')).toMatchObject({ ref: { tag: '1.2.3_build.7' } });
    expect(() => parseChartRef('oci://127.0.0.1:5000/charts/app:1.2.3+build.7', '1.2.3+build.8')).toThrow(/says 1.2.3\+build.8/);
    // A port is not a tag; a digest keeps its own text.
    expect(parseChartRef('oci://127.0.0.1:5000/charts/app', '1.0.0+b')).toMatchObject({ ref: { registry: '127.0.0.1:5000', tag: '1.0.0_b' } });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseChartRef(`oci://127.0.0.1:5000/charts/app:1.0.0+b@${digest}`)).toMatchObject({ ref: { tag: '1.0.0_b', digest } });
  });
});
