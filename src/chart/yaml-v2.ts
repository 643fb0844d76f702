/**
 * YAML scalars typed as Helm types them when it loads Chart.yaml. Helm reads it with
 * sigs.k8s.io/yaml, which parses with go-yaml v2 (YAML 1.1 resolution: `yes` and `on`
 * are booleans, `017` is octal, `1_000` an integer) and then, for a Go string field,
 * turns a number or boolean back into text: an integer in decimal, a float with
 * strconv.FormatFloat(f, 'g', -1, 32), so `appVersion: 1.0` becomes "1" and
 * `1.10` becomes "1.1". The `yaml` package resolves by YAML 1.2 and keeps no Go
 * types, so the resolution is redone here from each plain scalar's text.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type Node } from 'yaml';

export type GoYaml =
  | { k: 'null' }
  | { k: 'str'; s: string }
  | { k: 'bool'; b: boolean }
  | { k: 'int'; i: bigint }
  | { k: 'float'; f: number }
  | { k: 'seq'; items: GoYaml[] }
  | { k: 'map'; entries: Map<string, GoYaml> };

const BOOL_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const BOOL_FALSE = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
const NULLS = ['', '~', 'null', 'Null', 'NULL'];
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseUint(s, 0, 64) without a sign: 0x, 0o, 0b, and a leading 0 for octal. */
function parseUintBase0(body: string): bigint | undefined {
  let digits = body;
  let prefix = '';
  let valid = /^[0-9]+$/;
  if (body.length > 1 && body[0] === '0') {
    const p = body[1]!.toLowerCase();
    if (p === 'x') [prefix, digits, valid] = ['0x', body.slice(2), /^[0-9a-fA-F]+$/];
    else if (p === 'o') [prefix, digits, valid] = ['0o', body.slice(2), /^[0-7]+$/];
    else if (p === 'b') [prefix, digits, valid] = ['0b', body.slice(2), /^[01]+$/];
    else [prefix, digits, valid] = ['0o', body.slice(1), /^[0-7]+$/];
  }
  if (!valid.test(digits)) return undefined;
  const n = BigInt(prefix + digits);
  return n <= UINT64_MAX ? n : undefined;
}

/** What go-yaml v2 makes of an untagged plain scalar (resolve.go), as the Go value it would hold. */
export function resolvePlain(text: string): GoYaml {
  if (NULLS.includes(text)) return { k: 'null' };
  if (BOOL_TRUE.includes(text)) return { k: 'bool', b: true };
  if (BOOL_FALSE.includes(text)) return { k: 'bool', b: false };
  if (['.nan', '.NaN', '.NAN'].includes(text)) return { k: 'float', f: NaN };
  if (['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].includes(text)) return { k: 'float', f: Infinity };
  if (['-.inf', '-.Inf', '-.INF'].includes(text)) return { k: 'float', f: -Infinity };
  const first = text[0]!;
  if (first === '.') {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? { k: 'float', f: Number(text) } : { k: 'str', s: text };
  }
  if (!/[-+0-9]/.test(first)) return { k: 'str', s: text };
  // Timestamps (`2024-01-02`) stay strings for an interface{} target: no number parses there.
  const plain = text.replace(/_/g, '');
  const sign = plain[0] === '-' || plain[0] === '+' ? plain[0] : '';
  const magnitude = parseUintBase0(plain.slice(sign.length));
  if (magnitude !== undefined) {
    const signed = sign === '-' ? -magnitude : magnitude;
    if (signed >= INT64_MIN && signed <= INT64_MAX) return { k: 'int', i: signed };
    if (sign === '') return { k: 'int', i: magnitude }; // a uint64 above int64
  }
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return { k: 'float', f }; // out of range: Go's ParseFloat errs, the text stays a string
  }
  return { k: 'str', s: text };
}

/** Go's strconv.FormatFloat(f, 'g', -1, 32): the shortest float32 digits, exponent form from 1e+06 and below 1e-04. */
export function formatFloat32(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  const f = Math.fround(value);
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const neg = f < 0 || Object.is(f, -0);
  const abs = Math.abs(f);
  if (abs === 0) return neg ? '-0' : '0';
  let exp = 0;
  let digits = '';
  for (let p = 1; p <= 9; p++) {
    const [mantissa, e] = abs.toExponential(p - 1).split('e') as [string, string];
    if (Math.fround(Number(`${mantissa}e${e}`)) === abs) {
      digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
      exp = Number(e);
      break;
    }
  }
  let out: string;
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    out = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  } else if (exp >= 0) {
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    out = frac === '' ? whole : `${whole}.${frac}`;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${out}` : out;
}

/** A scalar Go value as sigs.k8s.io/yaml hands it to a Go string field; undefined when it is not a scalar. */
export function goScalarText(v: GoYaml): string | undefined {
  switch (v.k) {
    case 'str':
      return v.s;
    case 'int':
      return v.i.toString();
    case 'float':
      return formatFloat32(v.f);
    case 'bool':
      return v.b ? 'true' : 'false';
    default:
      return undefined;
  }
}

/** A map key as sigs.k8s.io/yaml writes it into JSON; undefined for keys it refuses (null, maps, lists). */
function keyText(v: GoYaml): string | undefined {
  if (v.k === 'float') {
    const s = formatFloat32(v.f);
    return s === '+Inf' ? '.inf' : s === '-Inf' ? '-.inf' : s === 'NaN' ? '.nan' : s;
  }
  return goScalarText(v);
}

const STR_TAGS = ['tag:yaml.org,2002:str', '!!str'];

export class YamlShapeError extends Error {}

/**
 * Parses one YAML document into go-yaml v2 values. Later duplicate keys win, as in
 * go-yaml v2's non-strict decoding. `maxNodes` bounds alias expansion.
 */
export function parseGoYaml(text: string, maxNodes = 100_000): GoYaml {
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) throw doc.errors[0]!;
  let budget = maxNodes;
  const walk = (node: unknown): GoYaml => {
    if (--budget < 0) throw new YamlShapeError(`more than ${maxNodes} nodes (alias expansion)`);
    if (node === null || node === undefined) return { k: 'null' };
    if (isAlias(node)) {
      const target = node.resolve(doc as Document);
      if (target === undefined) throw new YamlShapeError(`an alias to an unknown anchor (*${node.source})`);
      return walk(target);
    }
    if (isScalar(node)) return scalar(node);
    if (isSeq(node)) return { k: 'seq', items: node.items.map(walk) };
    if (isMap(node)) {
      const entries = new Map<string, GoYaml>();
      for (const pair of node.items) {
        if (isMergeKey(pair.key)) {
          // go-yaml v2 merges in place: keys before `<<` are overwritten by it, keys after it win.
          // From a list of maps, earlier maps take precedence, so they are applied last.
          const merged = walk(pair.value as Node | null);
          const sources = merged.k === 'seq' ? [...merged.items].reverse() : [merged];
          for (const source of sources) {
            if (source.k !== 'map') throw new YamlShapeError('a merge key (<<) whose value is not a map or a list of maps');
            for (const [k, v] of source.entries) entries.set(k, v);
          }
          continue;
        }
        const key = keyText(walk(pair.key as Node | null));
        if (key === undefined) throw new YamlShapeError('a map key that is not a string, number or boolean');
        entries.set(key, walk(pair.value as Node | null));
      }
      return { k: 'map', entries };
    }
    throw new YamlShapeError('an unsupported YAML node');
  };
  return walk(doc.contents);
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.type === Scalar.PLAIN && key.tag === undefined && key.value === '<<';
}

function scalar(node: Scalar): GoYaml {
  const value = node.value === null || node.value === undefined ? '' : String(node.value);
  if (node.tag !== undefined && STR_TAGS.includes(node.tag)) return { k: 'str', s: value };
  // Quoted and block scalars are strings; only plain ones (or explicitly tagged ones) are resolved.
  if (node.tag === undefined && node.type !== Scalar.PLAIN) return { k: 'str', s: value };
  return resolvePlain(value);
}
