/**
 * Lexer for Go's text/template. It runs over a "byte string": the template's UTF-8
 * bytes, one JS char per byte (latin1). Go's positions, columns and lengths are
 * byte counts, so working on bytes makes every error position match Go's.
 */

import { quoteGo } from './quote.js';

export const enum T {
  Error,
  Bool,
  Char,
  CharConstant,
  Comment,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // keywords: everything after Keyword prints as <word> in errors
  Keyword,
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

export interface Item {
  typ: T;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS: Record<string, T> = {
  '.': T.Dot,
  block: T.Block,
  break: T.Break,
  continue: T.Continue,
  define: T.Define,
  else: T.Else,
  end: T.End,
  if: T.If,
  range: T.Range,
  nil: T.Nil,
  template: T.Template,
  with: T.With,
};

/** Go's `%.10q`-style item text used in "unexpected X in Y" messages. */
export function itemString(i: Item): string {
  if (i.typ === T.EOF) return 'EOF';
  if (i.typ === T.Error) return i.val;
  if (i.typ > T.Keyword) return `<${i.val}>`;
  if (i.val.length > 10) return goQuoteBytes(firstRunes(i.val, 10)) + '...';
  return goQuoteBytes(i.val);
}

/** The first n UTF-8 runes of a byte string. */
function firstRunes(s: string, n: number): string {
  let i = 0;
  while (n > 0 && i < s.length) {
    i += runeLen(s.charCodeAt(i));
    n--;
  }
  return s.slice(0, i);
}

function runeLen(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xf0) return 4;
  if (b >= 0xe0) return 3;
  if (b >= 0xc0) return 2;
  return 1;
}

function goQuoteBytes(s: string): string {
  return quoteGo(Buffer.from(s, 'latin1').toString('utf8'));
}

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;

/** Byte length of the rune at `i` when Go's isAlphaNumeric accepts it (_, letter, digit), else 0. */
function alnumAt(s: string, i: number): number {
  const b = s.charCodeAt(i);
  if (Number.isNaN(b)) return 0;
  if (b < 0x80) return b === 95 || (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) ? 1 : 0;
  const n = runeLen(b);
  const ch = Buffer.from(s.slice(i, i + n), 'latin1').toString('utf8');
  return LETTER_OR_DIGIT.test(ch) ? n : 0;
}

function hasLeftTrim(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

function hasRightTrim(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

function countNL(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** `%#U` of the rune at a byte position: `U+0021 '!'`. */
function runeDesc(s: string, at: number): string {
  const bytes = Buffer.from(s.slice(at, at + runeLen(s.charCodeAt(at))), 'latin1');
  const ch = bytes.toString('utf8');
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return cp >= 0x20 && cp !== 0x7f ? `U+${hex} '${ch}'` : `U+${hex}`;
}

export interface LexOptions {
  breakOK: boolean;
  continueOK: boolean;
}

/** Lexes the whole input; the last item is EOF or Error. */
export function lex(input: string, opts: LexOptions): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (typ: T): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countNL(input, start, pos);
    start = pos;
    startLine = line;
  };
  const fail = (msg: string): Item[] => {
    items.push({ typ: T.Error, pos: start, val: msg, line: startLine });
    return items;
  };
  // Advance over one byte, keeping the line count as Go's next() does.
  const next = (): string | undefined => {
    if (pos >= input.length) {
      pos = input.length + 1; // marks EOF for backup
      return undefined;
    }
    const c = input[pos++];
    if (c === '\n') line++;
    return c;
  };
  const backup = (): void => {
    if (pos > input.length) {
      pos = input.length;
      return;
    }
    pos--;
    if (input[pos] === '\n') line--;
  };
  const peek = (): string | undefined => input[pos];
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrim(input, pos) && input.startsWith(RIGHT, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (r === undefined || isSpace(r)) return true;
    if ('.,|:()'.includes(r)) return true;
    return input.startsWith(RIGHT, pos);
  };
  const accept = (valid: string): boolean => {
    const c = next();
    if (c !== undefined && valid.includes(c)) return true;
    backup();
    return false;
  };
  const acceptRun = (valid: string): void => {
    for (;;) {
      const c = next();
      if (c === undefined || !valid.includes(c)) break;
    }
    backup();
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    const n = alnumAt(input, pos);
    if (n > 0) {
      pos += n;
      return false;
    }
    return true;
  };

  // lexText
  for (;;) {
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) {
        line += countNL(input, start, pos);
        emit(T.Text);
      }
      emit(T.EOF);
      return items;
    }
    pos = x;
    let trimLen = 0;
    if (hasLeftTrim(input, pos + LEFT.length)) {
      const before = input.slice(start, pos);
      trimLen = before.length - before.replace(/[ \t\r\n]+$/, '').length;
    }
    pos -= trimLen;
    if (pos > start) {
      line += countNL(input, start, pos);
      emit(T.Text);
    }
    pos += trimLen;
    ignore();

    // lexLeftDelim
    pos += LEFT.length;
    const trimSpace = hasLeftTrim(input, pos);
    const afterMarker = trimSpace ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      pos += afterMarker;
      ignore();
      // lexComment
      pos += 2;
      const i = input.indexOf('*/', pos);
      if (i < 0) return fail('unclosed comment');
      pos = i + 2;
      const rd = atRightDelim();
      if (!rd.delim) return fail('comment ends before closing delimiter');
      if (rd.trim) pos += 2;
      pos += RIGHT.length;
      if (rd.trim) pos += leadingSpace(input, pos);
      ignore();
      continue;
    }
    emit(T.LeftDelim);
    pos += afterMarker;
    ignore();
    parenDepth = 0;

    // lexInsideAction, until the right delimiter
    for (;;) {
      const rd = atRightDelim();
      if (rd.delim) {
        if (parenDepth !== 0) return fail('unclosed left paren');
        // lexRightDelim
        if (rd.trim) {
          pos += 2;
          ignore();
        }
        pos += RIGHT.length;
        emit(T.RightDelim);
        if (rd.trim) {
          pos += leadingSpace(input, pos);
          ignore();
        }
        break;
      }
      const r = next();
      if (r === undefined) return fail('unclosed action');
      if (isSpace(r)) {
        backup();
        // lexSpace
        let n = 0;
        while (isSpace(peek())) {
          next();
          n++;
        }
        if (hasRightTrim(input, pos - 1) && input.startsWith(RIGHT, pos + 1)) {
          backup();
          if (n === 1) continue; // straight to the delimiter
        }
        emit(T.Space);
        continue;
      }
      if (r === '=') {
        emit(T.Assign);
      } else if (r === ':') {
        if (next() !== '=') return fail('expected :=');
        emit(T.Declare);
      } else if (r === '|') {
        emit(T.Pipe);
      } else if (r === '"') {
        for (;;) {
          let c = next();
          if (c === '\\') {
            c = next();
            if (c !== undefined && c !== '\n') continue;
            return fail('unterminated quoted string');
          }
          if (c === undefined || c === '\n') return fail('unterminated quoted string');
          if (c === '"') break;
        }
        emit(T.String);
      } else if (r === '`') {
        for (;;) {
          const c = next();
          if (c === undefined) return fail('unterminated raw quoted string');
          if (c === '`') break;
        }
        emit(T.RawString);
      } else if (r === '$') {
        if (atTerminator()) {
          emit(T.Variable);
        } else {
          const err = lexFieldOrVar(T.Variable);
          if (err) return items;
        }
      } else if (r === "'") {
        for (;;) {
          let c = next();
          if (c === '\\') {
            c = next();
            if (c !== undefined && c !== '\n') continue;
            return fail('unterminated character constant');
          }
          if (c === undefined || c === '\n') return fail('unterminated character constant');
          if (c === "'") break;
        }
        emit(T.CharConstant);
      } else if (r === '.' && !(pos < input.length && input[pos]! >= '0' && input[pos]! <= '9')) {
        if (lexFieldOrVar(T.Field)) return items;
      } else if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
        backup();
        if (!scanNumber()) return fail(`bad number syntax: ${goQuoteBytes(input.slice(start, pos))}`);
        const sign = peek();
        if (sign === '+' || sign === '-') {
          if (!scanNumber() || input[pos - 1] !== 'i') return fail(`bad number syntax: ${goQuoteBytes(input.slice(start, pos))}`);
          emit(T.Complex);
        } else {
          emit(T.Number);
        }
      } else if (alnumAt(input, pos - 1) > 0) {
        backup();
        // lexIdentifier (identifiers hold no newlines, so the line count is unaffected)
        for (let n = alnumAt(input, pos); n > 0; n = alnumAt(input, pos)) pos += n;
        const word = input.slice(start, pos);
        if (!atTerminator()) return fail(`bad character ${runeDesc(input, pos)}`);
        const kw = KEYWORDS[word];
        if (kw !== undefined && kw > T.Keyword) {
          if ((kw === T.Break && !opts.breakOK) || (kw === T.Continue && !opts.continueOK)) emit(T.Identifier);
          else emit(kw);
        } else if (word === 'true' || word === 'false') {
          emit(T.Bool);
        } else {
          emit(T.Identifier);
        }
      } else if (r === '(') {
        emit(T.LeftParen);
        parenDepth++;
      } else if (r === ')') {
        emit(T.RightParen);
        parenDepth--;
        if (parenDepth < 0) return fail(`unexpected right paren ${runeDesc(input, pos - 1)}`);
      } else if (r.charCodeAt(0) < 0x7f && r.charCodeAt(0) >= 0x20) {
        emit(T.Char);
      } else {
        return fail(`unrecognized character in action: ${runeDesc(input, pos - 1)}`);
      }
    }
  }

  // Returns true when it failed (the error item is already pushed).
  function lexFieldOrVar(typ: T): boolean {
    if (atTerminator()) {
      emit(typ === T.Variable ? T.Variable : T.Dot);
      return false;
    }
    for (let n = alnumAt(input, pos); n > 0; n = alnumAt(input, pos)) pos += n;
    if (!atTerminator()) {
      fail(`bad character ${runeDesc(input, pos)}`);
      return true;
    }
    emit(typ);
    return false;
  }
}

function leadingSpace(s: string, at: number): number {
  let i = at;
  while (isSpace(s[i])) i++;
  return i - at;
}
