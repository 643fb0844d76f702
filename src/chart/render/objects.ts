import { posix } from 'node:path';
import type { ChartFile, Dependency, Maintainer, Metadata } from './load.js';
import { globMatcher } from './match.js';
import { GoObject, MAP_TYPE, SLICE_TYPE, type GoFunc, type GoMap, type GoValue } from './template/types.js';

/**
 * The built-in objects Helm 3 hands a template, with Go's types where they show:
 * `.Chart` is a struct (chart.Metadata embedded, plus IsRoot), `.Capabilities` a
 * *chartutil.Capabilities, `.Files` a map type with methods. `.Release`,
 * `.Template` and `.Subcharts` are plain maps in Helm, so they are GoMaps here
 * (a missing key there is `<no value>`, not an error).
 */

function method(arity: number, f: (...args: GoValue[]) => GoValue, variadic = false): GoFunc {
  const g = ((...args: GoValue[]) => f(...args)) as GoFunc;
  g.arity = arity;
  g.variadic = variadic;
  return g;
}

function strings(list: readonly string[]): GoValue[] {
  const out: GoValue[] = [...list];
  (out as unknown as Record<symbol, string>)[SLICE_TYPE] = '[]string';
  return out;
}

function stringMap(m: Record<string, string>): GoMap {
  const out: GoMap = {};
  for (const [k, v] of Object.entries(m)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  (out as unknown as Record<symbol, string>)[MAP_TYPE] = 'map[string]string';
  return out;
}

/** Go's %v of a []string or a value inside a struct. */
function fmtList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

function fmtMap(m: Record<string, string>): string {
  return `map[${Object.keys(m).sort().map((k) => `${k}:${m[k]}`).join(' ')}]`;
}

export class MaintainerObject extends GoObject {
  readonly goType = '*chart.Maintainer';
  constructor(private readonly m: Maintainer) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    switch (name) {
      case 'Name': return this.m.name;
      case 'Email': return this.m.email;
      case 'URL': return this.m.url;
    }
    return undefined;
  }
  format(): string {
    return `&{${this.m.name} ${this.m.email} ${this.m.url}}`;
  }
  toGoJSON(): GoValue {
    const out: GoMap = {};
    if (this.m.name !== '') out.name = this.m.name;
    if (this.m.email !== '') out.email = this.m.email;
    if (this.m.url !== '') out.url = this.m.url;
    return out;
  }
}

export class DependencyObject extends GoObject {
  readonly goType = '*chart.Dependency';
  constructor(private readonly d: Dependency) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    switch (name) {
      case 'Name': return this.d.name;
      case 'Version': return this.d.version;
      case 'Repository': return this.d.repository;
      case 'Condition': return this.d.condition;
      case 'Tags': return strings(this.d.tags);
      case 'Enabled': return this.d.enabled;
      case 'ImportValues': return this.d.importValues;
      case 'Alias': return this.d.alias;
    }
    return undefined;
  }
  format(): string {
    const d = this.d;
    return `&{${d.name} ${d.version} ${d.repository} ${d.condition} ${fmtList(d.tags)} ${d.enabled} [] ${d.alias}}`;
  }
  toGoJSON(): GoValue {
    const d = this.d;
    const out: GoMap = { name: d.name };
    if (d.version !== '') out.version = d.version;
    out.repository = d.repository;
    if (d.condition !== '') out.condition = d.condition;
    if (d.tags.length > 0) out.tags = strings(d.tags);
    if (d.enabled) out.enabled = true;
    if (d.importValues.length > 0) out['import-values'] = d.importValues;
    if (d.alias !== '') out.alias = d.alias;
    return out;
  }
}

/** `.Chart`: struct { chart.Metadata; IsRoot bool }. */
export class ChartObject extends GoObject {
  readonly goType = 'struct { chart.Metadata; IsRoot bool }';
  constructor(
    readonly md: Metadata,
    readonly isRoot: boolean,
  ) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    const md = this.md;
    switch (name) {
      case 'Name': return md.name;
      case 'Home': return md.home;
      case 'Sources': return strings(md.sources);
      case 'Version': return md.version;
      case 'Description': return md.description;
      case 'Keywords': return strings(md.keywords);
      case 'Maintainers': return md.maintainers.map((m) => new MaintainerObject(m));
      case 'Icon': return md.icon;
      case 'APIVersion': return md.apiVersion;
      case 'Condition': return md.condition;
      case 'Tags': return md.tags;
      case 'AppVersion': return md.appVersion;
      case 'Deprecated': return md.deprecated;
      case 'Annotations': return stringMap(md.annotations);
      case 'KubeVersion': return md.kubeVersion;
      case 'Dependencies': return md.dependencies.map((d) => new DependencyObject(d));
      case 'Type': return md.type;
      case 'IsRoot': return this.isRoot;
      case 'Metadata': return new MetadataObject(md);
      case 'Validate': return method(0, () => null);
    }
    return undefined;
  }
  format(): string {
    return `{${formatMetadata(this.md)} ${this.isRoot}}`;
  }
  toGoJSON(): GoValue {
    return { ...metadataJson(this.md), IsRoot: this.isRoot };
  }
}

/** chart.Metadata's JSON form (its json tags, omitempty). */
function metadataJson(md: Metadata): GoMap {
  const out: GoMap = {};
  const put = (k: string, v: GoValue, empty: boolean) => {
    if (!empty) out[k] = v;
  };
  put('name', md.name, md.name === '');
  put('home', md.home, md.home === '');
  put('sources', strings(md.sources), md.sources.length === 0);
  put('version', md.version, md.version === '');
  put('description', md.description, md.description === '');
  put('keywords', strings(md.keywords), md.keywords.length === 0);
  put('maintainers', md.maintainers.map((m) => new MaintainerObject(m).toGoJSON()), md.maintainers.length === 0);
  put('icon', md.icon, md.icon === '');
  put('apiVersion', md.apiVersion, md.apiVersion === '');
  put('condition', md.condition, md.condition === '');
  put('tags', md.tags, md.tags === '');
  put('appVersion', md.appVersion, md.appVersion === '');
  put('deprecated', md.deprecated, !md.deprecated);
  put('annotations', stringMap(md.annotations), Object.keys(md.annotations).length === 0);
  put('kubeVersion', md.kubeVersion, md.kubeVersion === '');
  put('dependencies', md.dependencies.map((d) => new DependencyObject(d).toGoJSON()), md.dependencies.length === 0);
  put('type', md.type, md.type === '');
  return out;
}

function formatMetadata(md: Metadata): string {
  const ptrs = (n: number) => `[${Array.from({ length: n }, () => '0xc000000000').join(' ')}]`;
  return `{${md.name} ${md.home} ${fmtList(md.sources)} ${md.version} ${md.description} ${fmtList(md.keywords)} ${ptrs(md.maintainers.length)} ${md.icon} ${md.apiVersion} ${md.condition} ${md.tags} ${md.appVersion} ${md.deprecated} ${fmtMap(md.annotations)} ${md.kubeVersion} ${ptrs(md.dependencies.length)} ${md.type}}`;
}

/** The embedded chart.Metadata, reachable as `.Chart.Metadata`. */
export class MetadataObject extends GoObject {
  readonly goType = 'chart.Metadata';
  constructor(private readonly md: Metadata) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    return name === 'IsRoot' || name === 'Metadata' ? undefined : new ChartObject(this.md, false).field(name);
  }
  format(): string {
    return formatMetadata(this.md);
  }
  toGoJSON(): GoValue {
    return metadataJson(this.md);
  }
}

/** `.Files`: engine.files (map[string][]byte) with Get, GetBytes, Glob, Lines, AsConfig, AsSecrets. */
export class FilesObject extends GoObject {
  readonly goType = 'engine.files';
  constructor(
    readonly files: ReadonlyMap<string, Uint8Array>,
    private readonly toYaml: (v: GoValue) => string,
  ) {
    super();
  }

  static of(list: readonly ChartFile[], toYaml: (v: GoValue) => string): FilesObject {
    return new FilesObject(new Map(list.map((f) => [f.name, f.data])), toYaml);
  }

  private bytes(name: string): Uint8Array {
    return this.files.get(name) ?? new Uint8Array(0);
  }

  private text(name: string): string {
    return Buffer.from(this.bytes(name)).toString('utf8');
  }

  field(name: string): GoValue | GoFunc | undefined {
    switch (name) {
      case 'GetBytes':
        return method(1, (n) => this.bytes(String(n)));
      case 'Get':
        return method(1, (n) => this.text(String(n)));
      case 'Glob':
        return method(1, (p) => this.glob(String(p)));
      case 'AsConfig':
        return method(0, () => this.asConfig());
      case 'AsSecrets':
        return method(0, () => this.asSecrets());
      case 'Lines':
        return method(1, (n) => {
          const s = this.text(String(n));
          if (s.length === 0) return strings([]);
          return strings((s.endsWith('\n') ? s.slice(0, -1) : s).split('\n'));
        });
    }
    return undefined;
  }

  /**
   * The files matching a gobwas/glob pattern (one that does not compile matches
   * everything: Helm falls back to `**`). Charts both `range` over the result and
   * call `.AsConfig`/`.AsSecrets` on it; the engine ranges over maps only, so the
   * result is an `engine.files` map whose AsConfig and AsSecrets are hidden
   * (non-enumerable, computed on use) keys. Methods with arguments (`.Get`) on a
   * Glob result are not available this way.
   */
  glob(pattern: string): GoMap {
    const re = globMatcher(pattern) ?? /^.*$/s;
    const matched = new FilesObject(new Map([...this.files].filter(([name]) => re.test(name))), this.toYaml);
    const out: GoMap = {};
    for (const [name, data] of [...matched.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      Object.defineProperty(out, name, { value: data, enumerable: true, writable: true, configurable: true });
    }
    (out as unknown as Record<symbol, string>)[MAP_TYPE] = 'engine.files';
    for (const [key, compute] of [['AsConfig', () => matched.asConfig()], ['AsSecrets', () => matched.asSecrets()]] as const) {
      if (!Object.hasOwn(out, key)) Object.defineProperty(out, key, { get: compute, enumerable: false, configurable: true });
    }
    return out;
  }

  /** Base name to content; a later file of the same base name wins (Go map order: by path). */
  private flatten(encode: (b: Uint8Array) => string): string {
    if (this.files.size === 0) return this.toYaml({});
    const m: GoMap = {};
    for (const [name, data] of [...this.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      Object.defineProperty(m, posix.basename(name), { value: encode(data), enumerable: true, writable: true, configurable: true });
    }
    (m as unknown as Record<symbol, string>)[MAP_TYPE] = 'map[string]string';
    return this.toYaml(m);
  }

  asConfig(): string {
    return this.flatten((b) => Buffer.from(b).toString('utf8'));
  }

  asSecrets(): string {
    return this.flatten((b) => Buffer.from(b).toString('base64'));
  }

  private sorted(): [string, Uint8Array][] {
    return [...this.files].sort(([a], [b]) => (a < b ? -1 : 1));
  }
  format(): string {
    return `map[${this.sorted().map(([k, v]) => `${k}:[${[...v].join(' ')}]`).join(' ')}]`;
  }
  toGoJSON(): GoValue {
    const out: GoMap = {};
    for (const [k, v] of this.sorted()) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  }
}

/** chartutil.VersionSet: []string with Has. */
export class VersionSetObject extends GoObject {
  readonly goType = 'chartutil.VersionSet';
  constructor(readonly versions: readonly string[]) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    if (name === 'Has') return method(1, (v) => this.versions.includes(String(v)));
    return undefined;
  }
  format(): string {
    return fmtList(this.versions);
  }
  toGoJSON(): GoValue {
    return strings(this.versions);
  }
}

export interface KubeVersion {
  version: string;
  major: string;
  minor: string;
}

export class KubeVersionObject extends GoObject {
  readonly goType = 'chartutil.KubeVersion';
  constructor(readonly kv: KubeVersion) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    switch (name) {
      case 'Version': return this.kv.version;
      case 'Major': return this.kv.major;
      case 'Minor': return this.kv.minor;
      case 'String': return method(0, () => this.kv.version);
      case 'GitVersion': return method(0, () => this.kv.version);
    }
    return undefined;
  }
  format(): string {
    return this.kv.version;
  }
  toGoJSON(): GoValue {
    return { Version: this.kv.version, Major: this.kv.major, Minor: this.kv.minor };
  }
}

export interface HelmVersion {
  version: string;
  gitCommit: string;
  gitTreeState: string;
  goVersion: string;
}

export class BuildInfoObject extends GoObject {
  readonly goType = 'version.BuildInfo';
  constructor(readonly info: HelmVersion) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    switch (name) {
      case 'Version': return this.info.version;
      case 'GitCommit': return this.info.gitCommit;
      case 'GitTreeState': return this.info.gitTreeState;
      case 'GoVersion': return this.info.goVersion;
    }
    return undefined;
  }
  format(): string {
    const i = this.info;
    return `{${i.version} ${i.gitCommit} ${i.gitTreeState} ${i.goVersion}}`;
  }
  toGoJSON(): GoValue {
    const out: GoMap = {};
    if (this.info.version !== '') out.version = this.info.version;
    if (this.info.gitCommit !== '') out.git_commit = this.info.gitCommit;
    if (this.info.gitTreeState !== '') out.git_tree_state = this.info.gitTreeState;
    if (this.info.goVersion !== '') out.go_version = this.info.goVersion;
    return out;
  }
}

/** `.Capabilities`: *chartutil.Capabilities. */
export class CapabilitiesObject extends GoObject {
  readonly goType = '*chartutil.Capabilities';
  constructor(
    readonly kubeVersion: KubeVersion,
    readonly apiVersions: readonly string[],
    readonly helmVersion: HelmVersion,
  ) {
    super();
  }
  field(name: string): GoValue | GoFunc | undefined {
    switch (name) {
      case 'KubeVersion': return new KubeVersionObject(this.kubeVersion);
      case 'APIVersions': return new VersionSetObject(this.apiVersions);
      case 'HelmVersion': return new BuildInfoObject(this.helmVersion);
      case 'Copy': return method(0, () => new CapabilitiesObject(this.kubeVersion, this.apiVersions, this.helmVersion));
    }
    return undefined;
  }
  format(): string {
    const kv = this.kubeVersion;
    const h = this.helmVersion;
    return `&{{${kv.version} ${kv.major} ${kv.minor}} ${fmtList(this.apiVersions)} {${h.version} ${h.gitCommit} ${h.gitTreeState} ${h.goVersion}}}`;
  }
  toGoJSON(): GoValue {
    return {
      KubeVersion: new KubeVersionObject(this.kubeVersion).toGoJSON(),
      APIVersions: strings(this.apiVersions),
      HelmVersion: new BuildInfoObject(this.helmVersion).toGoJSON(),
    };
  }
}
