/**
 * The part of Masterminds/semver v3 that chart loading needs: Helm matches a
 * subchart to its Chart.yaml entry with IsCompatibleRange(dep.version, chart
 * version), and checks Chart.yaml's kubeVersion the same way. Constraints:
 * `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards (`1.2.x`, `*`), hyphen
 * ranges, `,`/space for AND, `||` for OR; a prerelease version only satisfies a
 * constraint that names a prerelease.
 */

interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string;
}

const VERSION = /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), pre: m[4] ?? '' };
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^[0-9]+$/.test(x);
    const ny = /^[0-9]+$/.test(y);
    if (nx && ny) {
      if (Number(x) !== Number(y)) return Number(x) < Number(y) ? -1 : 1;
    } else if (nx) return -1;
    else if (ny) return 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  return comparePre(a.pre, b.pre);
}

interface Constraint {
  op: string;
  v: Version;
  minorDirty: boolean;
  patchDirty: boolean;
  dirty: boolean;
}

const WILD = /^[xX*]$/;
const CONSTRAINT = /^\s*(=>|=<|~>|>=|<=|!=|[=<>~^])?\s*v?([0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\s*$/;

function parseConstraint(text: string): Constraint | undefined {
  if (text.trim() === '') return { op: '*', v: { major: 0, minor: 0, patch: 0, pre: '' }, minorDirty: true, patchDirty: true, dirty: true };
  const m = CONSTRAINT.exec(text);
  if (!m) return undefined;
  const [core, pre] = m[2]!.split('+')[0]!.split(/-(.*)/s) as [string, string | undefined];
  const parts = core.split('.');
  const major = parts[0]!;
  const minor = parts[1];
  const patch = parts[2];
  const dirtyMajor = WILD.test(major);
  const minorDirty = dirtyMajor || minor === undefined || WILD.test(minor);
  const patchDirty = minorDirty || patch === undefined || WILD.test(patch);
  const v: Version = {
    major: dirtyMajor ? 0 : Number(major),
    minor: minorDirty ? 0 : Number(minor),
    patch: patchDirty ? 0 : Number(patch),
    pre: pre ?? '',
  };
  if ([v.major, v.minor, v.patch].some((n) => Number.isNaN(n))) return undefined;
  let op = m[1] ?? '';
  if (op === '=>') op = '>=';
  if (op === '=<') op = '<=';
  if (op === '~>') op = '~';
  if (dirtyMajor && (op === '' || op === '=')) return { op: '*', v, minorDirty, patchDirty, dirty: true };
  return { op, v, minorDirty, patchDirty, dirty: minorDirty || patchDirty };
}

function check(c: Constraint, v: Version): boolean {
  if (v.pre !== '' && c.v.pre === '' && c.op !== '!=') return false;
  const cmp = compareVersions(v, c.v);
  switch (c.op) {
    case '*':
      return true;
    case '':
    case '=':
      if (!c.dirty) return cmp === 0;
      if (v.major !== c.v.major) return false;
      if (c.minorDirty) return true;
      return v.minor === c.v.minor;
    case '!=':
      if (!c.dirty) return cmp !== 0;
      if (v.major !== c.v.major) return true;
      if (c.minorDirty) return false;
      return v.minor !== c.v.minor;
    case '>':
      if (!c.dirty) return cmp > 0;
      if (v.major !== c.v.major) return v.major > c.v.major;
      if (c.minorDirty) return false;
      return v.minor > c.v.minor;
    case '<':
      return cmp < 0;
    case '>=':
      return cmp >= 0;
    case '<=':
      if (!c.dirty) return cmp <= 0;
      if (v.major !== c.v.major) return v.major < c.v.major;
      if (c.minorDirty) return true;
      return v.minor <= c.v.minor;
    case '~':
      if (cmp < 0) return false;
      if (v.major !== c.v.major) return false;
      return c.minorDirty || v.minor === c.v.minor;
    case '^':
      if (cmp < 0) return false;
      if (c.v.major > 0) return v.major === c.v.major;
      if (v.major !== 0) return false;
      if (c.minorDirty) return true;
      if (c.v.minor > 0) return v.minor === c.v.minor;
      if (v.minor !== 0) return false;
      if (c.patchDirty) return true;
      return v.patch === c.v.patch;
  }
  return false;
}

/** Masterminds' constraint check; false when either side does not parse (IsCompatibleRange). */
export function isCompatibleRange(constraint: string, version: string): boolean {
  const v = parseVersion(version);
  if (v === undefined) return false;
  for (const alt of constraint.split('||')) {
    // Hyphen ranges: `1.2 - 1.4` is `>= 1.2, <= 1.4`.
    const text = alt.replace(/([0-9xX*][0-9A-Za-z.+-]*)\s+-\s+v?([0-9xX*][0-9A-Za-z.+-]*)/g, '>= $1, <= $2');
    const parts = [...text.matchAll(/(?:=>|=<|~>|>=|<=|!=|[=<>~^])?\s*v?[0-9xX*][0-9A-Za-z.+*-]*/g)].map((m) => m[0]);
    const leftover = text.replace(/(?:=>|=<|~>|>=|<=|!=|[=<>~^])?\s*v?[0-9xX*][0-9A-Za-z.+*-]*/g, '').replace(/[\s,]/g, '');
    if (leftover !== '') return false;
    const cs = (parts.length === 0 ? [''] : parts).map(parseConstraint);
    if (cs.some((c) => c === undefined)) return false;
    if (cs.every((c) => check(c!, v))) return true;
  }
  return false;
}
