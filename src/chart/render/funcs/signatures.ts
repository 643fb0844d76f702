/**
 * The Go parameter types of every function (sprig v3.3 and Helm 3.21 signatures), set as
 * `params` on each GoFunc so the engine converts constants and reports type errors as
 * Go's reflect call does (`wrong type for value; expected int; got float64` at the
 * argument, not "error calling"). For a variadic function the last entry is the element
 * type of its `...` parameter. time.Time and semver parameters are 'any' here and checked
 * by the functions themselves.
 */
import { TemplateFuncError, type FuncMap, type GoFunc, type GoParamType, type GoValue } from '../template/types.js';

const S: GoParamType = 'string';
const I: GoParamType = 'int';
const A: GoParamType = 'interface {}';
const F: GoParamType = 'float64';
const M: GoParamType = 'map[string]interface {}';
const L: GoParamType = '[]interface {}';

export const SIGNATURES: Record<string, readonly GoParamType[]> = {
  hello: [],
  // strings
  abbrev: [I, S],
  abbrevboth: [I, I, S],
  trunc: [I, S],
  trim: [S],
  upper: [S],
  lower: [S],
  title: [S],
  untitle: [S],
  substr: [I, I, S],
  repeat: [I, S],
  trimall: [S, S],
  trimAll: [S, S],
  trimSuffix: [S, S],
  trimPrefix: [S, S],
  nospace: [S],
  initials: [S],
  randAlphaNum: [I],
  randAlpha: [I],
  randAscii: [I],
  randNumeric: [I],
  swapcase: [S],
  shuffle: [S],
  snakecase: [S],
  camelcase: [S],
  kebabcase: [S],
  wrap: [I, S],
  wrapWith: [I, S, S],
  contains: [S, S],
  hasPrefix: [S, S],
  hasSuffix: [S, S],
  quote: [A],
  squote: [A],
  cat: [A],
  indent: [I, S],
  nindent: [I, S],
  replace: [S, S, S],
  plural: [S, S, I],
  sha1sum: [S],
  sha256sum: [S],
  sha512sum: [S],
  adler32sum: [S],
  toString: [A],
  atoi: [S],
  int64: [A],
  int: [A],
  float64: [A],
  seq: [I],
  toDecimal: [A],
  split: [S, S],
  splitList: [S, S],
  splitn: [S, I, S],
  toStrings: [A],
  until: [I],
  untilStep: [I, I, I],
  // math
  add1: [A],
  add: [A],
  sub: [A, A],
  div: [A, A],
  mod: [A, A],
  mul: [A, A],
  randInt: [I, I],
  add1f: [A],
  addf: [A],
  subf: [A, A],
  divf: [A, A],
  mulf: [A, A],
  biggest: [A, A],
  max: [A, A],
  min: [A, A],
  maxf: [A, A],
  minf: [A, A],
  ceil: [A],
  floor: [A],
  round: [A, I, F],
  join: [S, A],
  sortAlpha: [A],
  // defaults, json, reflection
  default: [A, A],
  empty: [A],
  coalesce: [A],
  all: [A],
  any: [A],
  compact: [A],
  mustCompact: [A],
  fromJson: [S],
  toJson: [A],
  toPrettyJson: [A],
  toRawJson: [A],
  mustFromJson: [S],
  mustToJson: [A],
  mustToPrettyJson: [A],
  mustToRawJson: [A],
  ternary: [A, A, 'bool'],
  deepCopy: [A],
  mustDeepCopy: [A],
  typeOf: [A],
  typeIs: [S, A],
  typeIsLike: [S, A],
  kindOf: [A],
  kindIs: [S, A],
  deepEqual: [A, A],
  getHostByName: [S],
  // paths
  base: [S],
  dir: [S],
  clean: [S],
  ext: [S],
  isAbs: [S],
  osBase: [S],
  osClean: [S],
  osDir: [S],
  osExt: [S],
  osIsAbs: [S],
  // encoding
  b64enc: [S],
  b64dec: [S],
  b32enc: [S],
  b32dec: [S],
  // data structures
  tuple: [A],
  list: [A],
  dict: [A],
  get: [M, S],
  set: [M, S, A],
  unset: [M, S],
  hasKey: [M, S],
  pluck: [S, M],
  keys: [M],
  pick: [M, S],
  omit: [M, S],
  merge: [M, M],
  mergeOverwrite: [M, M],
  mustMerge: [M, M],
  mustMergeOverwrite: [M, M],
  values: [M],
  append: [A, A],
  push: [A, A],
  mustAppend: [A, A],
  mustPush: [A, A],
  prepend: [A, A],
  mustPrepend: [A, A],
  first: [A],
  mustFirst: [A],
  rest: [A],
  mustRest: [A],
  last: [A],
  mustLast: [A],
  initial: [A],
  mustInitial: [A],
  reverse: [A],
  mustReverse: [A],
  uniq: [A],
  mustUniq: [A],
  without: [A, A],
  mustWithout: [A, A],
  has: [A, A],
  mustHas: [A, A],
  slice: [A, A],
  mustSlice: [A, A],
  concat: [A],
  dig: [A],
  chunk: [I, A],
  mustChunk: [I, A],
  // crypto
  bcrypt: [S],
  htpasswd: [S, S],
  genPrivateKey: [S],
  derivePassword: ['uint32', S, S, S, S],
  buildCustomCert: [S, S],
  genCA: [S, I],
  genCAWithKey: [S, I, S],
  genSelfSignedCert: [S, L, L, I],
  genSelfSignedCertWithKey: [S, L, L, I, S],
  genSignedCert: [S, L, L, I, A],
  genSignedCertWithKey: [S, L, L, I, A, S],
  encryptAES: [S, S],
  decryptAES: [S, S],
  randBytes: [I],
  uuidv4: [],
  // semver, flow, regex, urls
  semver: [S],
  semverCompare: [S, S],
  fail: [S],
  regexMatch: [S, S],
  mustRegexMatch: [S, S],
  regexFindAll: [S, S, I],
  mustRegexFindAll: [S, S, I],
  regexFind: [S, S],
  mustRegexFind: [S, S],
  regexReplaceAll: [S, S, S],
  mustRegexReplaceAll: [S, S, S],
  regexReplaceAllLiteral: [S, S, S],
  mustRegexReplaceAllLiteral: [S, S, S],
  regexSplit: [S, S, I],
  mustRegexSplit: [S, S, I],
  regexQuoteMeta: [S],
  urlParse: [S],
  urlJoin: [M],
  // dates (time.Time parameters are checked by the functions)
  ago: [A],
  date: [S, A],
  date_in_zone: [S, A, S],
  date_modify: [S, A],
  dateInZone: [S, A, S],
  dateModify: [S, A],
  duration: [A],
  durationRound: [A],
  htmlDate: [A],
  htmlDateInZone: [A, S],
  must_date_modify: [S, A],
  mustDateModify: [S, A],
  mustToDate: [S, S],
  now: [],
  toDate: [S, S],
  unixEpoch: [A],
  // Helm
  toToml: [A],
  fromToml: [S],
  toYaml: [A],
  toYamlPretty: [A],
  fromYaml: [S],
  fromYamlArray: [S],
  fromJsonArray: [S],
  include: [S, A],
  tpl: [S, A],
  required: [S, A],
  lookup: [S, S, S, S],
};

/**
 * Set `params` on each function that has a known Go signature, and turn a JS RangeError
 * raised inside a function (an over-long string, a huge array) into the function's own
 * error: the engine reads RangeError as its recursion limit. include and tpl are left
 * alone, since their RangeErrors are the template recursion.
 */
export function applySignatures(funcs: FuncMap): FuncMap {
  const out: FuncMap = {};
  for (const [name, f] of Object.entries(funcs)) {
    let g: GoFunc = f;
    if (name !== 'include' && name !== 'tpl') {
      g = ((...args: GoValue[]) => {
        try {
          return f(...args);
        } catch (e) {
          if (e instanceof RangeError) throw new TemplateFuncError(e.message);
          throw e;
        }
      }) as GoFunc;
      if (f.arity !== undefined) g.arity = f.arity;
      if (f.variadic !== undefined) g.variadic = f.variadic;
    }
    const params = SIGNATURES[name] ?? f.params;
    if (params !== undefined) g.params = params;
    out[name] = g;
  }
  return out;
}
