import { AirlockError } from '../../errors.js';
import type { GoMap, GoValue } from './template/types.js';
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

class Parser {
  constructor(
    private readonly sc: Scanner,
    private readonly asString: boolean,
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
      set(data, k, typedVal(text, this.asString));
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
      const vl = this.valList();
      if (vl === EOF) return { list: setIndex(list, i, ''), eof: true };
      if (vl !== undefined) return { list: setIndex(list, i, vl), eof: false };
      const { text } = this.sc.until(',');
      return { list: setIndex(list, i, typedVal(text, this.asString)), eof: false };
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
      list.push(typedVal(text, this.asString));
      if (last === '}') {
        const next = this.sc.read();
        if (next !== EOF && next !== ',') this.sc.unread();
        return list;
      }
    }
  }
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

/**
 * Parses one `--set` (or `--set-string` with `asString`) argument into `dest`,
 * which later arguments overwrite key by key, as Helm's ParseInto does.
 */
export function parseSet(text: string, dest: GoMap, asString = false): void {
  try {
    new Parser(new Scanner(text), asString).parse(dest);
  } catch (err) {
    if (err instanceof ParseError) {
      throw new AirlockError('USAGE', `failed parsing ${asString ? '--set-string' : '--set'} data: ${err.message}`, {
        hint: 'the form is --set key.sub[0].name=value,other=value; escape , . [ = with \\',
      });
    }
    throw err;
  }
}
