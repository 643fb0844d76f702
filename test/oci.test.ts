import { describe, expect, it } from 'vitest';
import { MediaType, parseManifest, parsePlatform, platformMatches, successors, isHelmChart, formatPlatform } from '../src/oci/index.js';

const d = (c: string, mediaType: string = MediaType.OciLayerGzip, size = 10) => ({ mediaType, digest: `sha256:${c.repeat(64)}`, size });
const bytes = (doc: unknown) => Buffer.from(JSON.stringify(doc));

describe('parseManifest', () => {
  const manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: d('c', MediaType.OciConfig), layers: [d('1'), d('2')] };
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [
      { ...d('a', MediaType.OciManifest), platform: { os: 'linux', architecture: 'amd64' } },
      { ...d('b', MediaType.OciManifest), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  };

  it('reads an OCI manifest and lists config then layers as successors', () => {
    const parsed = parseManifest(bytes(manifest), MediaType.OciManifest, 'x');
    expect(parsed.kind).toBe('manifest');
    expect(successors(parsed).map((s) => s.digest)).toEqual([d('c').digest, d('1').digest, d('2').digest]);
  });

  it('reads an index and a Docker manifest list', () => {
    expect(successors(parseManifest(bytes(index), undefined, 'x'))).toHaveLength(2);
    const list = { ...index, mediaType: MediaType.DockerManifestList };
    expect(parseManifest(bytes(list), MediaType.DockerManifestList, 'x').mediaType).toBe(MediaType.DockerManifestList);
  });

  it('infers the kind when neither the document nor the server names it', () => {
    const { mediaType: _, ...bare } = index;
    expect(parseManifest(bytes(bare), 'application/json', 'x').kind).toBe('index');
  });

  it('does not follow subject: a referrer must not drag its subject along', () => {
    const referrer = { ...manifest, subject: d('f', MediaType.OciManifest) };
    expect(successors(parseManifest(bytes(referrer), undefined, 'x')).map((s) => s.digest)).not.toContain(d('f').digest);
  });

  it('refuses Docker schema1 with a hint', () => {
    expect(() => parseManifest(bytes({ schemaVersion: 1, name: 'x', fsLayers: [] }), undefined, 'docker.io/old/app:1')).toThrow(
      /docker.io\/old\/app:1 is a Docker schema1 manifest/,
    );
    expect(() => parseManifest(bytes({}), MediaType.DockerSchema1Signed, 'y')).toThrow(/schema1/);
  });

  it('names the problem in malformed or mismatched documents', () => {
    expect(() => parseManifest(Buffer.from('{nope'), undefined, 'ref1')).toThrow(/ref1 is not valid JSON/);
    expect(() => parseManifest(bytes({ ...manifest, layers: [{ digest: 'md5:1' }] }), undefined, 'ref2')).toThrow(/ref2 is malformed: layers.0/);
    expect(() => parseManifest(bytes(manifest), MediaType.OciIndex, 'ref3')).toThrow(/served as/);
    expect(() => parseManifest(bytes({ ...manifest, mediaType: 'application/x-other' }), undefined, 'ref4')).toThrow(/unsupported media type/);
  });

  it('recognizes Helm chart artifacts', () => {
    const chart = { ...manifest, config: d('e', MediaType.HelmConfig), layers: [d('f', MediaType.HelmChart)] };
    expect(isHelmChart(parseManifest(bytes(chart), undefined, 'c'))).toBe(true);
    expect(isHelmChart(parseManifest(bytes(manifest), undefined, 'c'))).toBe(false);
  });
});

describe('platforms', () => {
  it('parses and formats OS/ARCH[/VARIANT]', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(formatPlatform(parsePlatform('linux/amd64'))).toBe('linux/amd64');
    expect(() => parsePlatform('linux')).toThrow(/OS\/ARCH/);
    expect(() => parsePlatform('linux//x')).toThrow(/invalid platform/);
  });
  it('matches as the runtimes do', () => {
    const arm64 = { os: 'linux', architecture: 'arm64' };
    expect(platformMatches(parsePlatform('linux/arm64'), { ...arm64, variant: 'v8' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm64/v8'), arm64)).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm' })).toBe(false);
    expect(platformMatches(parsePlatform('linux/amd64'), arm64)).toBe(false);
    expect(platformMatches(parsePlatform('linux/amd64'), undefined)).toBe(false);
  });
});
