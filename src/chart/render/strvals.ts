import { AirlockError } from '../../errors.js';
import type { GoMap, GoValue } from './template/types.js';
import { parseJSON } from './funcs/json.js';
import { isTable, setKey } from './tree.js';

/**
 * Helm's strvals parser (`--set a.b[0].c=x,d=y`, `--set-string`), ported from
 * pkg/strvals/parser.go so keys, lists, escapes and typing match: `true`/`false`
 * are bools, `null` is nil (which later deletes the key), integers not starting
 * with 0 are int64 (bigint here, so `printf "%d"` works as in Helm), the rest strings.
 */

const MAX_INDEX = 65536;
const MAX_NESTED_NAME_LEVEL = 30;
const EOF = Symbol('EOF');

class ParseError extends Error {}

class Scanner {
  private pos = 0;
  private readonly runes: string[];
  constructor(text: string) {
    this.runes = [...text];
  }
  read(): string | typeof EOF {
    return this.pos < this.runes.length ? this.runes[this.pos++]! : EOF;
  }
  unread(): void {
    this.pos--;
  }
  rest(): string {
    return this.runes.slice(this.pos).join('');
  }
  /** Skips `n` UTF-16 units of rest() (JSON text is scanned as a JS string). */
  skip(n: number): void {
    let units = 0;
    while (units < n && this.pos < this.runes.length) units += this.runes[this.pos++]!.length;
  }
  /** Runes up to one of `stop` (consumed), with `\` escaping the next rune. */
  until(stop: string): { text: string; last: string | typeof EOF } {
    let text = '';
    for (;;) {
      const r = this.read();
      if (r === EOF) return { text, last: EOF };
      if (stop.includes(r)) return { text, last: r };
      if (r === '\\') {
        const next = this.read();
        if (next === EOF) return { text, last: EOF };
        text += next;
      } else text += r;
    }
  }
}

function typedVal(val: string, asString: boolean): GoValue {
  if (asString) return val;
  const lower = val.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (val === '0') return 0n;
  if (val.length > 0 && val[0] !== '0' && /^[+-]?[0-9]+$/.test(val)) {
    const n = BigInt(val);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return n;
  }
  return val;
}

/** How a value's text becomes a value: typed (--set), string (--set-string), file content (--set-file). */
type Reader = (text: string) => GoValue;

class Parser {
  constructor(
    private readonly sc: Scanner,
    private readonly reader: Reader,
    /** --set-json: each value is one JSON document. */
    private readonly json = false,
  ) {}

  parse(data: GoMap): void {
    for (;;) {
      if (this.key(data, 0) === EOF) return;
    }
  }

  private key(data: GoMap, level: number): typeof EOF | undefined {
    const { text: k, last } = this.sc.until('=[,.');
    if (last === EOF) {
      if (k.length === 0) return EOF;
      throw new ParseError(`key "${k}" has no value`);
    }
    if (last === '[') {
      const i = this.keyIndex();
      const existing = data[k];
      let list: GoValue[] = [];
      if (Object.hasOwn(data, k)) {
        if (!Array.isArray(existing)) throw new ParseError(`unable to parse key: interface conversion: interface {} is ${goType(existing)}, not []interface {}`);
        list = existing;
      }
      const out = this.listItem(list, i, level);
      set(data, k, out.list);
      return out.eof ? EOF : undefined;
    }
    if (last === '=') {
      if (this.json) {
        set(data, k, this.jsonVal());
        return undefined;
      }
      const vl = this.valList();
      if (vl === EOF) {
        set(data, k, '');
        return EOF;
      }
      if (vl !== undefined) {
        set(data, k, vl);
        return undefined;
      }
      const { text } = this.sc.until(',');
      set(data, k, this.reader(text));
      // As in Go, a value read to the end is no EOF yet: the next key() finds it.
      return undefined;
    }
    if (last === ',') {
      set(data, k, '');
      throw new ParseError(`key "${k}" has no value (cannot end with ,)`);
    }
    // '.'
    if (++level > MAX_NESTED_NAME_LEVEL) throw new ParseError(`value name nested level is greater than maximum supported nested level of ${MAX_NESTED_NAME_LEVEL}`);
    let inner: GoMap = {};
    if (Object.hasOwn(data, k)) {
      const existing = data[k];
      if (!isTable(existing)) throw new ParseError(`unable to parse key: interface conversion: interface {} is ${goType(existing)}, not map[string]interface {}`);
      inner = existing;
    }
    const e = this.key(inner, level);
    if (e === undefined && Object.keys(inner).length === 0) throw new ParseError(`key map "${k}" has no value`);
    if (Object.keys(inner).length !== 0) set(data, k, inner);
    return e;
  }

  private keyIndex(): number {
    const { text, last } = this.sc.until(']');
    if (last === EOF) throw new ParseError('error parsing index: EOF');
    if (!/^[+-]?[0-9]+$/.test(text)) throw new ParseError(`error parsing index: strconv.Atoi: parsing "${text}": invalid syntax`);
    return Number(text);
  }

  private listItem(list: GoValue[], i: number, level: number): { list: GoValue[]; eof: boolean } {
    if (i < 0) throw new ParseError(`negative ${i} index not allowed`);
    const { text: k, last } = this.sc.until('[.=');
    // Go prints the []rune with %q: ['n' 'a' 'm' 'e'].
    if (k.length > 0) throw new ParseError(`unexpected data at end of array index: [${[...k].map((c) => `'${c}'`).join(' ')}]`);
    if (last === EOF) return { list, eof: true };
    if (last === '=') {
      if (this.json) return { list: setIndex(list, i, this.jsonVal()), eof: false };
      const vl = this.valList();
      if (vl === EOF) return { list: setIndex(list, i, ''), eof: true };
      if (vl !== undefined) return { list: setIndex(list, i, vl), eof: false };
      const { text } = this.sc.until(',');
      return { list: setIndex(list, i, this.reader(text)), eof: false };
    }
    if (last === '[') {
      const next = this.keyIndex();
      let crt: GoValue[] = [];
      if (list.length > i && list[i] !== null && list[i] !== undefined) {
        const existing = list[i]!;
        if (!Array.isArray(existing)) throw new ParseError(`unable to parse key: interface conversion: interface {} is ${goType(existing)}, not []interface {}`);
        crt = existing;
      }
      const out = this.listItem(crt, next, level);
      return { list: setIndex(list, i, out.list), eof: out.eof };
    }
    // '.'
    let inner: GoMap = {};
    if (list.length > i) {
      const existing = list[i];
      if (isTable(existing)) inner = existing;
      else list[i] = inner;
    }
    const e = this.key(inner, level);
    return { list: setIndex(list, i, inner), eof: e === EOF };
  }

  /** Blanks, then `,` or the end: an empty value (Go's emptyVal); consumes them, not what follows. */
  private emptyVal(): boolean {
    for (;;) {
      const r = this.sc.read();
      if (r === EOF || r === ',') return true;
      if (!/\s/u.test(r)) {
        this.sc.unread();
        return false;
      }
    }
  }

  /** One JSON document from the input (nil when empty), then blanks and one comma. */
  private jsonVal(): GoValue {
    if (this.emptyVal()) return null;
    const rest = this.sc.rest();
    const end = jsonEnd(rest);
    let value: GoValue;
    try {
      value = parseJSON(rest.slice(0, end));
    } catch (err) {
      throw new ParseError((err as Error).message);
    }
    this.sc.skip(end);
    this.emptyVal();
    return value;
  }

  /** `{a,b,c}`: a list value; undefined when the value is not a list. */
  private valList(): GoValue[] | undefined | typeof EOF {
    const r = this.sc.read();
    if (r === EOF) return EOF;
    if (r !== '{') {
      this.sc.unread();
      return undefined;
    }
    const list: GoValue[] = [];
    for (;;) {
      const { text, last } = this.sc.until(',}');
      if (last === EOF) throw new ParseError("list must terminate with '}'");
      list.push(this.reader(text));
      if (last === '}') {
        const next = this.sc.read();
        if (next !== EOF && next !== ',') this.sc.unread();
        return list;
      }
    }
  }
}

/** Where the first JSON value of `s` ends (what Go's json.Decoder consumes for one Decode). */
function jsonEnd(s: string): number {
  let i = 0;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  const c = s[i];
  if (c === '{' || c === '[') {
    let depth = 0;
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === '"') {
        for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      } else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return s.length;
  }
  if (c === '"') {
    for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    return Math.min(i + 1, s.length);
  }
  while (i < s.length && /[A-Za-z0-9+\-.]/.test(s[i]!)) i++;
  return i;
}

function set(data: GoMap, key: string, value: GoValue): void {
  if (key.length === 0) return;
  setKey(data, key, value);
}

function setIndex(list: GoValue[], index: number, value: GoValue): GoValue[] {
  if (index < 0) throw new ParseError(`negative ${index} index not allowed`);
  if (index > MAX_INDEX) throw new ParseError(`index of ${index} is greater than maximum supported index of ${MAX_INDEX}`);
  while (list.length <= index) list.push(null);
  list[index] = value;
  return list;
}

function goType(v: GoValue | undefined): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

function fail(flag: string, err: unknown): never {
  if (err instanceof ParseError) {
    throw new AirlockError('USAGE', `failed parsing ${flag} data: ${err.message}`, {
      hint: 'the form is key.sub[0].name=value,other=value; escape , . [ = with \\',
    });
  }
  throw err;
}

/**
 * Parses one `--set` (or `--set-string` with `asString`) argument into `dest`,
 * which later arguments overwrite key by key, as Helm's ParseInto does.
 */
export function parseSet(text: string, dest: GoMap, asString = false): void {
  try {
    new Parser(new Scanner(text), (v) => typedVal(v, asString)).parse(dest);
  } catch (err) {
    fail(asString ? '--set-string' : '--set', err);
  }
}

/** `--set-json key=JSON,…`: each value one JSON document (numbers float64), empty for null. */
export function parseSetJson(text: string, dest: GoMap): void {
  try {
    new Parser(new Scanner(text), (v) => v, true).parse(dest);
  } catch (err) {
    if (err instanceof ParseError) throw new AirlockError('USAGE', `failed parsing --set-json data ${text}`, { hint: 'the form is key.sub=JSON, e.g. --set-json \'a=[1,{"b":2}]\'' });
    throw err;
  }
}

/** `--set-file key=PATH,…`: each value is the text of the file named. */
export function parseSetFile(text: string, dest: GoMap, readFile: (path: string) => string): void {
  try {
    new Parser(new Scanner(text), (path) => readFile(path)).parse(dest);
  } catch (err) {
    fail('--set-file', err);
  }
}

/**
 * `--set-literal key=VALUE`: Helm's literal parser: the key path as --set reads it
 * (without escapes), and everything after the first `=` taken as it is.
 */
export function parseSetLiteral(text: string, dest: GoMap): void {
  const m = /^([^=]*)=([\s\S]*)$/.exec(text);
  if (m === null || m[1] === '') throw new AirlockError('USAGE', `failed parsing --set-literal data: key "${text}" has no value`);
  // Everything after '=' is the value: escape it for the --set path reader and keep it a string.
  const value = m[2]!.replace(/[\\,{]/g, (c) => `\\${c}`);
  try {
    // The literal parser knows no escapes in keys either: a backslash there is just a character.
    new Parser(new Scanner(`${m[1]!.replace(/\\/g, '\\\\')}=${value}`), (v) => v).parse(dest);
  } catch (err) {
    fail('--set-literal', err);
  }
}
