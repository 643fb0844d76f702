/**
 * Masterminds/semver v3.5 (what Helm 3.21 links) for sprig's `semver` and `semverCompare`:
 * coercing version parsing, constraint ranges (`1.2 - 1.4`), `||`, `,`, x/X/* wildcards,
 * ~ and ^, and its prerelease rule (a prerelease version only matches a constraint group
 * that itself names a prerelease).
 */
import { GoObject, TemplateFuncError, type FuncMap, type GoFunc, type GoValue } from '../template/types.js';
import { argString, fn } from './args.js';
import { quoteGo } from './gofmt.js';

const U64_MAX = (1n << 64n) - 1n;

class SemverError extends TemplateFuncError {}

function parseU64(s: string): bigint {
  const v = BigInt(s);
  if (v > U64_MAX) throw new SemverError(`error parsing version segment: strconv.ParseUint: parsing ${quoteGo(s)}: value out of range`);
  return v;
}

const NUM = /^[0-9]*$/;
const ALLOWED = /^[0-9A-Za-z-]*$/;

function validatePrerelease(p: string): void {
  for (const part of p.split('.')) {
    if (part === '') throw new SemverError('invalid prerelease string');
    if (NUM.test(part)) {
      if (part.length > 1 && part[0] === '0') throw new SemverError('version segment starts with 0');
    } else if (!ALLOWED.test(part)) throw new SemverError('invalid prerelease string');
  }
}
function validateMetadata(m: string): void {
  for (const part of m.split('.')) if (part === '' || !ALLOWED.test(part)) throw new SemverError('invalid metadata string');
}

const LOOSE = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

export class SemverVersion extends GoObject {
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string,
    readonly metadata: string,
    readonly original: string,
    /** `*semver.Version` as NewVersion returns it; methods returning Version give the value type. */
    override readonly goType: string = '*semver.Version',
  ) {
    super();
  }

  static parse(v: string): SemverVersion {
    const m = LOOSE.exec(v);
    if (!m) throw new SemverError('invalid semantic version');
    const pre = m[5] ?? '';
    const meta = m[8] ?? '';
    const sv = new SemverVersion(parseU64(m[1]!), m[2] ? parseU64(m[2].slice(1)) : 0n, m[3] ? parseU64(m[3].slice(1)) : 0n, pre, meta, v);
    if (pre !== '') validatePrerelease(pre);
    if (meta !== '') validateMetadata(meta);
    return sv;
  }

  override toString(): string {
    return `${this.major}.${this.minor}.${this.patch}${this.pre ? '-' + this.pre : ''}${this.metadata ? '+' + this.metadata : ''}`;
  }

  format(): string {
    return this.toString();
  }

  compare(o: SemverVersion): number {
    for (const [a, b] of [
      [this.major, o.major],
      [this.minor, o.minor],
      [this.patch, o.patch],
    ] as const) {
      if (a !== b) return a < b ? -1 : 1;
    }
    if (this.pre === '' && o.pre === '') return 0;
    if (this.pre === '') return 1;
    if (o.pre === '') return -1;
    return comparePrerelease(this.pre, o.pre);
  }

  private vPrefix(): string {
    return this.original.startsWith('v') ? 'v' : '';
  }

  private next(major: bigint, minor: bigint, patch: bigint, pre: string, meta: string): SemverVersion {
    const tmp = new SemverVersion(major, minor, patch, pre, meta, '', 'semver.Version');
    return new SemverVersion(major, minor, patch, pre, meta, this.vPrefix() + tmp.toString(), 'semver.Version');
  }

  /** encoding/json: Version has MarshalJSON giving its String() form. */
  toGoJSON(): GoValue {
    return this.toString();
  }

  field(name: string): GoValue | GoFunc | undefined {
    // a semver.Version value (from IncMajor…) has only the value-receiver methods
    const valueOnly = this.goType === 'semver.Version';
    if (valueOnly && ['Original', 'LessThan', 'LessThanEqual', 'GreaterThan', 'GreaterThanEqual', 'Equal', 'Compare'].includes(name)) return undefined;
    const other = (o: GoValue): SemverVersion => {
      if (o instanceof SemverVersion) return o;
      throw new TemplateFuncError(`wrong type for value; expected *semver.Version; got ${o === null ? '<nil>' : typeof o}`);
    };
    switch (name) {
      case 'Major':
        return fn(0, () => this.major);
      case 'Minor':
        return fn(0, () => this.minor);
      case 'Patch':
        return fn(0, () => this.patch);
      case 'Prerelease':
        return fn(0, () => this.pre);
      case 'Metadata':
        return fn(0, () => this.metadata);
      case 'Original':
        return fn(0, () => this.original);
      case 'String':
        return fn(0, () => this.toString());
      case 'IncPatch':
        return fn(0, () => (this.pre !== '' ? this.next(this.major, this.minor, this.patch, '', '') : this.next(this.major, this.minor, this.patch + 1n, '', '')));
      case 'IncMinor':
        return fn(0, () => this.next(this.major, this.minor + 1n, 0n, '', ''));
      case 'IncMajor':
        return fn(0, () => this.next(this.major + 1n, 0n, 0n, '', ''));
      case 'LessThan':
        return fn(1, (o) => this.compare(other(o)) < 0);
      case 'LessThanEqual':
        return fn(1, (o) => this.compare(other(o)) <= 0);
      case 'GreaterThan':
        return fn(1, (o) => this.compare(other(o)) > 0);
      case 'GreaterThanEqual':
        return fn(1, (o) => this.compare(other(o)) >= 0);
      case 'Equal':
        return fn(1, (o) => this.compare(other(o)) === 0);
      case 'Compare':
        return fn(1, (o) => BigInt(this.compare(other(o))));
    }
    return undefined;
  }
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return o !== '' ? -1 : 1;
  if (o === '') return s !== '' ? 1 : -1;
  const isNum = (x: string) => /^[0-9]+$/.test(x) && BigInt(x) <= U64_MAX;
  const on = isNum(o);
  const sn = isNum(s);
  if (!on && !sn) return s > o ? 1 : -1;
  if (!on) return -1;
  if (!sn) return 1;
  return BigInt(s) > BigInt(o) ? 1 : -1;
}

function comparePrerelease(v: string, o: string): number {
  const sp = v.split('.');
  const op = o.split('.');
  for (let i = 0; i < Math.max(sp.length, op.length); i++) {
    const d = comparePrePart(sp[i] ?? '', op[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

// --- constraints -----------------------------------------------------------

const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
// Go's \s is [\t\n\f\r ]
const S = String.raw`[\t\n\f\r ]`;
const constraintRegex = new RegExp(`^${S}*(${OPS})${S}*(${CV})${S}*$`);
const constraintRangeRegex = new RegExp(`${S}*(${CV})${S}+-${S}+(${CV})${S}*`, 'g');
const findConstraintRegex = new RegExp(`(${OPS})${S}*(${CV})`, 'g');
const validConstraintRegex = new RegExp(`^(${S}*(${OPS})${S}*(${CV})${S}*)((?:${S}+|,${S}*)(${OPS})${S}*(${CV})${S}*)*$`);

interface Constraint {
  con: SemverVersion;
  orig: string;
  op: string;
  minorDirty: boolean;
  patchDirty: boolean;
  dirty: boolean;
}

const isX = (x: string | undefined): boolean => x === 'x' || x === '*' || x === 'X';

/**
 * Go's regexp alternation is leftmost-first like JS, but Go's FindAllString over `OPS`
 * tries the alternatives in order: `=` before `>=`… JS does the same, so the same split.
 */
function parseConstraint(c: string): Constraint {
  if (c.length > 0) {
    const m = constraintRegex.exec(c);
    if (!m) throw new SemverError(`improper constraint: ${quoteGo(c)}`);
    const [op, orig] = [m[1] ?? '', m[2] ?? ''];
    const [m3, m4, m5, m6] = [m[3] ?? '', m[4] ?? '', m[5] ?? '', m[6] ?? ''];
    let ver = orig;
    let minorDirty = false;
    let patchDirty = false;
    let dirty = false;
    if (isX(m3) || m3 === '') {
      ver = `0.0.0${m6}`;
      dirty = true;
    } else if (isX(m4.replace(/^\./, '')) || m4 === '') {
      minorDirty = true;
      dirty = true;
      ver = `${m3}.0.0${m6}`;
    } else if (isX(m5.replace(/^\./, '')) || m5 === '') {
      dirty = true;
      patchDirty = true;
      ver = `${m3}${m4}.0${m6}`;
    }
    let con: SemverVersion;
    try {
      con = SemverVersion.parse(ver);
    } catch {
      throw new SemverError('constraint parser error');
    }
    return { con, orig, op, minorDirty, patchDirty, dirty };
  }
  return { con: SemverVersion.parse('0.0.0'), orig: c, op: '', minorDirty: false, patchDirty: false, dirty: true };
}

function rewriteRange(i: string): string {
  let o = i;
  for (const m of i.matchAll(constraintRangeRegex)) o = o.replace(m[0], `>= ${m[1]}, <= ${m[11]} `);
  return o;
}

function check(v: SemverVersion, c: Constraint, includePre: boolean): boolean {
  if (v.pre !== '' && !includePre) return false;
  const cmp = v.compare(c.con);
  const { con } = c;
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : cmp === 0;
    case '!=':
      if (c.dirty) {
        if (con.major !== v.major) return true;
        if (con.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (con.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) {
          if (v.pre !== '' || con.pre !== '') return comparePrerelease(v.pre, con.pre) !== 0;
          return false;
        }
      }
      return cmp !== 0;
    case '>':
      if (!c.dirty) return cmp === 1;
      if (v.major > con.major) return true;
      if (v.major < con.major) return false;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > con.minor;
      return cmp === 1;
    case '<':
      return cmp < 0;
    case '>=':
    case '=>':
      return cmp >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return cmp <= 0;
      if (v.major > con.major) return false;
      if (v.major === con.major && v.minor > con.minor && !c.minorDirty) return false;
      return true;
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      if (cmp < 0) return false;
      if (con.major > 0n || c.minorDirty) return v.major === con.major;
      if (con.major === 0n && v.major > 0n) return false;
      if (con.minor > 0n || c.patchDirty) return v.minor === con.minor;
      if (con.minor === 0n && v.minor > 0n) return false;
      return con.patch === v.patch;
  }
  return false;
}

function tilde(v: SemverVersion, c: Constraint): boolean {
  if (v.compare(c.con) < 0) return false;
  const { con } = c;
  if (con.major === 0n && con.minor === 0n && con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== con.major) return false;
  if (v.minor !== con.minor && !c.minorDirty) return false;
  return true;
}

export function parseConstraints(text: string): { groups: Constraint[][]; hasPre: boolean[] } {
  const c = rewriteRange(text);
  const ors = c.split('||');
  const groups: Constraint[][] = [];
  const hasPre: boolean[] = [];
  for (const v of ors) {
    if (!validConstraintRegex.test(v)) throw new SemverError(`improper constraint: ${quoteGo(v)}`);
    const cs = [...v.matchAll(findConstraintRegex)].map((m) => m[0]);
    if (cs.length === 0) cs.push(v);
    const group = cs.map(parseConstraint);
    groups.push(group);
    hasPre.push(group.some((g) => g.con.pre !== ''));
  }
  return { groups, hasPre };
}

export function semverCompare(constraint: string, version: string): boolean {
  const { groups, hasPre } = parseConstraints(constraint);
  const v = SemverVersion.parse(version);
  return groups.some((g, i) => g.every((c) => check(v, c, hasPre[i]!)));
}

export const semverFuncs: FuncMap = {
  semver: fn(1, (s) => SemverVersion.parse(argString(s))),
  semverCompare: fn(2, (c, v) => semverCompare(argString(c), argString(v))),
};
