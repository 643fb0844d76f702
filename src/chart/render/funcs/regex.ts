/**
 * Sprig's regex functions over Go's RE2 syntax. Patterns are translated to JS RegExp
 * (named groups, leading flags, \A \z, POSIX classes, \Q…\E); what RE2 refuses
 * (backreferences, lookaround) is refused with Go's message. Iteration follows Go's
 * rule that an empty match right after a previous match is skipped, and `$name`
 * expansion is Go's (the longest name; `${1}` to cut it short).
 */
import { TemplateFuncError, type FuncMap, type GoValue } from '../template/types.js';
import { argIntNum, argString, fn } from './args.js';
import { nilSlice, typedSlice } from './strings.js';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

class GoRegexError extends TemplateFuncError {}

const err = (code: string, arg: string): never => {
  throw new GoRegexError(`error parsing regexp: ${code}: \`${arg}\``);
};

/** JS RegExp syntax characters: the only identity escapes a `u` RegExp accepts. */
const JS_SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);
const GO_SPACE = '\\t\\n\\f\\r ';

/** A literal character as a `u` RegExp accepts it, inside or outside a class. */
function lit(c: string, inClass: boolean): string {
  if (JS_SYNTAX.has(c)) return '\\' + c;
  void inClass;
  return c;
}

/** Both cases of a letter, for a case-insensitive group JS cannot scope. */
function bothCases(c: string): string {
  const l = c.toLowerCase();
  const u = c.toUpperCase();
  return [...new Set([c, l, u].filter((x) => [...x].length === 1))].join('');
}

/**
 * Translate an RE2 pattern to a JS RegExp with the `u` flag (runes, as Go matches them);
 * throws Go's parse error text for what RE2 rejects.
 */
export function translate(pattern: string): RegExp {
  let flags = '';
  let p = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    if (lead[1]!.includes('U')) err('invalid or unsupported Perl syntax', '(?U');
    for (const f of lead[1]!) if (!flags.includes(f)) flags += f;
    p = p.slice(lead[0].length);
  }
  const chars = [...p];
  let out = '';
  // groups: whether each open group switched case-insensitivity on
  const groups: boolean[] = [];
  let ci = false;
  const ciStack: boolean[] = [];
  // the text of the last quantifier, when the previous token was one (RE2 refuses a second)
  let lastQuant: string | null = null;
  // whether something repeatable precedes (RE2: "missing argument to repetition operator")
  let atomBefore = false;
  const dotAll = () => flags.includes('s');
  const emitAtom = (s: string) => {
    out += s;
    lastQuant = null;
    atomBefore = true;
  };
  const letter = (c: string) => (ci && !flags.includes('i') && /\p{L}/u.test(c) && bothCases(c).length > 1 ? `[${bothCases(c)}]` : lit(c, false));
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    // quantifiers
    const rest = chars.slice(i).join('');
    const q = /^(\*|\+|\?|\{(\d+)(,(\d*))?\})\??/.exec(rest);
    if (q && (c !== '{' || q[2] !== undefined)) {
      const quant = q[1]!;
      if (lastQuant !== null) err('invalid nested repetition operator', lastQuant + q[0]);
      if (!atomBefore) err('missing argument to repetition operator', quant);
      if (q[2] !== undefined && (Number(q[2]) > 1000 || (q[4] !== undefined && q[4] !== '' && (Number(q[4]) > 1000 || Number(q[4]) < Number(q[2])))))
        err('invalid repeat count', quant);
      out += q[0];
      lastQuant = q[0];
      i += [...q[0]].length - 1;
      continue;
    }
    if (c === '\\') {
      const n = chars[i + 1] ?? '';
      if (n === '') err('trailing backslash at end of expression', '');
      i++;
      if (n === 'Q') {
        const body = chars.slice(i + 1).join('');
        const end = body.indexOf('\\E');
        const text = end < 0 ? body : body.slice(0, end);
        for (const t of text) emitAtom(letter(t));
        i += [...(end < 0 ? body : body.slice(0, end + 2))].length;
        continue;
      }
      if (n === 'A' || n === 'z') {
        // empty-width: grouped so that RE2's legal `\A*` stays legal in JS
        out += n === 'A' ? '(?:(?<![\\s\\S]))' : '(?:(?![\\s\\S]))';
        lastQuant = null;
        atomBefore = true;
        continue;
      }
      if (n === 'b' || n === 'B') {
        out += `(?:\\${n})`;
        lastQuant = null;
        atomBefore = true;
        continue;
      }
      if (n === 'p' || n === 'P') {
        let name: string;
        if (chars[i + 1] === '{') {
          const close = chars.indexOf('}', i + 1);
          name = chars.slice(i + 2, close).join('');
          i = close;
        } else {
          name = chars[i + 1] ?? '';
          i++;
        }
        const neg = name.startsWith('^') !== (n === 'P');
        name = name.replace(/^\^/, '');
        const prop = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
        emitAtom(`\\${neg ? 'P' : 'p'}{${prop}}`);
        continue;
      }
      if (n === 's') {
        emitAtom(`[${GO_SPACE}]`);
        continue;
      }
      if (n === 'S') {
        emitAtom(`[^${GO_SPACE}]`);
        continue;
      }
      if (n === 'x' && chars[i + 1] === '{') {
        const close = chars.indexOf('}', i + 1);
        emitAtom(`\\u{${chars.slice(i + 2, close).join('')}}`);
        i = close;
        continue;
      }
      if (/[1-9]/.test(n)) err('invalid escape sequence', `\\${n}`);
      if (/[a-zA-Z0-9]/.test(n)) {
        if (!/[dDwWntrfvax0]/.test(n)) err('invalid escape sequence', `\\${n}`);
        // \a (bell) has no JS escape; \0 in Go is octal
        emitAtom(n === 'a' ? '\\x07' : n === '0' ? '\\0' : `\\${n}`);
        continue;
      }
      emitAtom(lit(n, false));
      continue;
    }
    if (c === '(') {
      let turnsCi = false;
      if (chars[i + 1] === '?') {
        const r = chars.slice(i + 2).join('');
        if (r.startsWith('P<') || (r.startsWith('<') && !r.startsWith('<=') && !r.startsWith('<!'))) {
          const skip = r.startsWith('P<') ? 3 : 2;
          out += '(?<';
          i += skip;
        } else if (r.startsWith(':')) {
          out += '(?:';
          i += 2;
        } else {
          const fl = /^([imsU]*)(?:-([imsU]*))?(:|\))/.exec(r);
          if (!fl) err('invalid or unsupported Perl syntax', '(?' + (chars[i + 2] ?? ''));
          if (fl![1]!.includes('U') || (fl![2] ?? '').includes('U')) err('invalid or unsupported Perl syntax', '(?U');
          const on = fl![1]!;
          const off = fl![2] ?? '';
          if (on.includes('i')) turnsCi = true;
          // s and m apply to the whole pattern in JS (RE2 scopes them): close enough for charts
          for (const f of on.replace(/i/g, '')) if (!flags.includes(f)) flags += f;
          void off;
          i += 1 + fl![0].length;
          if (fl![3] === ')') {
            // (?i) in the middle: on until the end of the enclosing group
            if (turnsCi) ci = true;
            continue;
          }
          out += '(?:';
        }
      } else out += '(';
      ciStack.push(ci);
      groups.push(turnsCi);
      if (turnsCi) ci = true;
      lastQuant = null;
      atomBefore = false;
      continue;
    }
    if (c === ')') {
      if (groups.length === 0) err('unexpected )', pattern);
      groups.pop();
      ci = ciStack.pop() ?? false;
      out += ')';
      lastQuant = null;
      atomBefore = true;
      continue;
    }
    if (c === '|') {
      out += '|';
      lastQuant = null;
      atomBefore = false;
      continue;
    }
    if (c === '^' || c === '$') {
      out += `(?:\\${c})`.replace('\\^', '^').replace('\\$', '$');
      lastQuant = null;
      atomBefore = true;
      continue;
    }
    if (c === '.') {
      emitAtom(dotAll() ? '[\\s\\S]' : '[^\\n]');
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (chars[j] === '^') {
        cls += '^';
        j++;
      }
      if (chars[j] === ']') {
        cls += '\\]';
        j++;
      }
      let closed = false;
      for (; j < chars.length; j++) {
        const d = chars[j]!;
        if (d === ']') {
          closed = true;
          break;
        }
        const restCls = chars.slice(j).join('');
        const m = /^\[:(\^?)([a-z]+):\]/.exec(restCls);
        if (m) {
          const set = POSIX[m[2]!];
          if (set === undefined || m[1]) err('invalid character class range', m[0]);
          cls += set;
          j += m[0].length - 1;
          continue;
        }
        if (d === '\\') {
          const e = chars[j + 1] ?? '';
          j++;
          if (e === 's') cls += GO_SPACE;
          else if (e === 'p' || e === 'P') {
            let name: string;
            if (chars[j + 1] === '{') {
              const close = chars.indexOf('}', j + 1);
              name = chars.slice(j + 2, close).join('');
              j = close;
            } else {
              name = chars[j + 1] ?? '';
              j++;
            }
            cls += `\\${e}{${/^[A-Z][a-z]?$/.test(name) ? name : 'Script=' + name}}`;
          } else if (/[a-zA-Z0-9]/.test(e)) {
            if (!/[dDwWSntrfvx]/.test(e)) err('invalid escape sequence', `\\${e}`);
            cls += '\\' + e;
          } else cls += e === '-' ? '\\-' : lit(e, true);
          continue;
        }
        // a bare '-' stays the range operator
        cls += d === '-' ? '-' : ci && !flags.includes('i') && /\p{L}/u.test(d) ? bothCases(d) : lit(d, true);
      }
      if (!closed) err('missing closing ]', chars.slice(i).join(''));
      emitAtom(cls + ']');
      i = j;
      continue;
    }
    emitAtom(letter(c));
  }
  if (groups.length > 0) err('missing closing )', pattern);
  try {
    return new RegExp(out, flags + 'gu');
  } catch (e) {
    throw new GoRegexError(`error parsing regexp: ${(e as Error).message}`);
  }
}

/** UTF-16 units of the rune at i (Go steps over a whole rune after an empty match). */
function runeWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
}

/** FindAllIndex with Go's rule on empty matches; n < 0 means all. */
function findAll(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  if (n === 0) return out;
  re.lastIndex = 0;
  let prevEnd = -1;
  let pos = 0;
  while (pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (end === start && start === prevEnd) {
      // an empty match abutting the previous match is ignored
      pos = start + runeWidth(s, start);
      continue;
    }
    out.push(m);
    if (n > 0 && out.length >= n) break;
    prevEnd = end;
    pos = end === start ? end + runeWidth(s, end) : end;
  }
  return out;
}

/** Regexp.Expand's template: $1, ${1}, $name, ${name}, $$. */
function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let len = 0;
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    const bare = /^[A-Za-z0-9_]+/.exec(rest);
    if (braced) [name, len] = [braced[1], braced[0].length];
    else if (bare) [name, len] = [bare[0], bare[0].length];
    if (name === undefined) {
      out += '$';
      continue;
    }
    i += len;
    if (/^[0-9]+$/.test(name)) out += m[Number(name)] ?? '';
    else out += m.groups?.[name] ?? '';
  }
  return out;
}

function replaceAll(re: RegExp, s: string, repl: (m: RegExpExecArray) => string): string {
  let out = '';
  let last = 0;
  for (const m of findAll(re, s, -1)) {
    out += s.slice(last, m.index) + repl(m);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

function split(re: RegExp, s: string, n: number, exprLen: number): string[] {
  if (n === 0) return [];
  if (exprLen > 0 && s.length === 0) return [''];
  const matches = findAll(re, s, n);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    if (n > 0 && out.length === n - 1) break;
    end = m.index;
    const mend = m.index + m[0].length;
    if (mend !== 0) out.push(s.slice(beg, end));
    beg = mend;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** regexp.MustCompile's panic text, as the non-must functions report it. */
function mustCompile(pattern: string): RegExp {
  try {
    return translate(pattern);
  } catch (e) {
    throw new TemplateFuncError(`regexp: Compile(${'`' + pattern + '`'}): ${(e as Error).message}`);
  }
}

/** FindAllString and Split give a nil slice for no matches / n == 0. */
const slice = (a: string[], nilIfEmpty = false): GoValue[] => (nilIfEmpty && a.length === 0 ? nilSlice('[]string') : typedSlice(a, '[]string'));

export const regexFuncs: FuncMap = {
  regexMatch: fn(2, (r, s) => {
    const [pat, str] = [argString(r), argString(s)];
    try {
      return findAll(translate(pat), str, 1).length > 0;
    } catch {
      return false;
    }
  }),
  mustRegexMatch: fn(2, (r, s) => {
    const [pat, str] = [argString(r), argString(s)];
    return findAll(translate(pat), str, 1).length > 0;
  }),
  regexFindAll: fn(3, (r, s, n) => {
    const [pat, str, k] = [argString(r), argString(s), argIntNum(n)];
    return slice(findAll(mustCompile(pat), str, k).map((m) => m[0]), true);
  }),
  mustRegexFindAll: fn(3, (r, s, n) => {
    const [pat, str, k] = [argString(r), argString(s), argIntNum(n)];
    return slice(findAll(translate(pat), str, k).map((m) => m[0]), true);
  }),
  regexFind: fn(2, (r, s) => {
    const [pat, str] = [argString(r), argString(s)];
    return findAll(mustCompile(pat), str, 1)[0]?.[0] ?? '';
  }),
  mustRegexFind: fn(2, (r, s) => {
    const [pat, str] = [argString(r), argString(s)];
    return findAll(translate(pat), str, 1)[0]?.[0] ?? '';
  }),
  regexReplaceAll: fn(3, (r, s, t) => {
    const [pat, str, repl] = [argString(r), argString(s), argString(t)];
    return replaceAll(mustCompile(pat), str, (m) => expand(repl, m));
  }),
  mustRegexReplaceAll: fn(3, (r, s, t) => {
    const [pat, str, repl] = [argString(r), argString(s), argString(t)];
    return replaceAll(translate(pat), str, (m) => expand(repl, m));
  }),
  regexReplaceAllLiteral: fn(3, (r, s, t) => {
    const [pat, str, repl] = [argString(r), argString(s), argString(t)];
    return replaceAll(mustCompile(pat), str, () => repl);
  }),
  mustRegexReplaceAllLiteral: fn(3, (r, s, t) => {
    const [pat, str, repl] = [argString(r), argString(s), argString(t)];
    return replaceAll(translate(pat), str, () => repl);
  }),
  regexSplit: fn(3, (r, s, n) => {
    const [pat, str, k] = [argString(r), argString(s), argIntNum(n)];
    return slice(split(mustCompile(pat), str, k, pat.length), k === 0);
  }),
  mustRegexSplit: fn(3, (r, s, n) => {
    const [pat, str, k] = [argString(r), argString(s), argIntNum(n)];
    return slice(split(translate(pat), str, k, pat.length), k === 0);
  }),
  regexQuoteMeta: fn(1, (s) => argString(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
};
