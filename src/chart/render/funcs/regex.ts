/**
 * Sprig's regex functions over Go's RE2 syntax. Patterns are translated to JS RegExp
 * (named groups, leading flags, \A \z, POSIX classes, \Q…\E); what RE2 refuses
 * (backreferences, lookaround) is refused with Go's message. Iteration follows Go's
 * rule that an empty match right after a previous match is skipped, and `$name`
 * expansion is Go's (the longest name; `${1}` to cut it short).
 */
import { TemplateFuncError, type FuncMap } from '../template/types.js';
import { argIntNum, argString, fn } from './args.js';
import { typedSlice } from './strings.js';

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

/** Translate an RE2 pattern; throws Go's parse error text for what RE2 rejects. */
export function translate(pattern: string): RegExp {
  let flags = '';
  let p = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    if (lead[1]!.includes('U')) err('invalid or unsupported Perl syntax', '(?U');
    for (const f of lead[1]!) if (!flags.includes(f)) flags += f;
    p = p.slice(lead[0].length);
  }
  let out = '';
  let unicode = false;
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) err('trailing backslash at end of expression', '');
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (n === 'A') {
        out += '(?<![\\s\\S])';
        i++;
        continue;
      }
      if (n === 'z') {
        out += '(?![\\s\\S])';
        i++;
        continue;
      }
      if (n === 'p' || n === 'P') {
        unicode = true;
        if (p[i + 2] === '{') {
          const end = p.indexOf('}', i + 2);
          const name = p.slice(i + 3, end);
          out += `\\${n}{${/^[A-Z][a-z]?$/.test(name) || name === 'L' ? name : 'Script=' + name}}`;
          i = end;
        } else {
          out += `\\${n}{${p[i + 2]}}`;
          i += 2;
        }
        continue;
      }
      if (n !== undefined && /[1-9]/.test(n)) err('invalid escape sequence', `\\${n}`);
      if (n !== undefined && /[a-zA-Z]/.test(n) && !/[dDsSwWbBntrfvx]/.test(n)) err('invalid escape sequence', `\\${n}`);
      out += c + n;
      i++;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '?') {
        const rest = p.slice(i + 2);
        if (rest.startsWith('P<')) {
          out += '(?<';
          i += 3;
          depth++;
          continue;
        }
        if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) {
          out += '(?<';
          i += 2;
          depth++;
          continue;
        }
        if (rest.startsWith(':')) {
          out += '(?:';
          i += 2;
          depth++;
          continue;
        }
        const fl = /^([imsU-]+)(:|\))/.exec(rest);
        if (fl) {
          // flags in the middle of a pattern: honoured only where JS can (whole pattern)
          for (const f of fl[1]!.replace(/-.*/, '')) if (f !== 'U' && !flags.includes(f)) flags += f;
          if (fl[2] === ':') {
            out += '(?:';
            depth++;
          }
          i += 1 + fl[0].length;
          continue;
        }
        err('invalid or unsupported Perl syntax', '(?' + (p[i + 2] ?? ''));
      }
      depth++;
      out += c;
      continue;
    }
    if (c === ')') {
      if (depth === 0) err('unexpected )', pattern);
      depth--;
      out += c;
      continue;
    }
    if (c === '[') {
      // copy a character class, expanding POSIX names
      let j = i + 1;
      let cls = '[';
      if (p[j] === '^') {
        cls += '^';
        j++;
      }
      if (p[j] === ']') {
        cls += '\\]';
        j++;
      }
      for (; j < p.length && p[j] !== ']'; j++) {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(j));
        if (m) {
          const set = POSIX[m[2]!];
          if (set === undefined) err('invalid character class range', m[0]);
          if (m[1]) err('invalid character class range', m[0]); // negated POSIX inside a class: rare, refuse
          cls += set;
          j += m[0].length - 1;
          continue;
        }
        if (p[j] === '\\') {
          cls += p[j]! + (p[j + 1] ?? '');
          j++;
          continue;
        }
        if (p[j] === '[') {
          cls += '\\[';
          continue;
        }
        cls += p[j];
      }
      if (j >= p.length) err('missing closing ]', p.slice(i));
      out += cls + ']';
      i = j;
      continue;
    }
    if ((c === '*' || c === '+' || c === '?') && (out === '' || /[(|]$/.test(out))) err('missing argument to repetition operator', c);
    if ((c === '*' || c === '+') && /[*+]$/.test(out) && !out.endsWith('\\*') && !out.endsWith('\\+')) err('invalid nested repetition operator', p.slice(i - 1, i + 1));
    out += c;
  }
  if (depth > 0) err('missing closing )', pattern);
  try {
    return new RegExp(out, flags + 'g' + (unicode ? 'u' : ''));
  } catch (e) {
    throw new GoRegexError(`error parsing regexp: ${(e as Error).message}`);
  }
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
      pos = start + 1;
      continue;
    }
    out.push(m);
    if (n > 0 && out.length >= n) break;
    prevEnd = end;
    pos = end === start ? end + 1 : end;
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

const slice = (a: string[]): string[] => typedSlice(a, '[]string');

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
    return slice(findAll(mustCompile(pat), str, k).map((m) => m[0]));
  }),
  mustRegexFindAll: fn(3, (r, s, n) => {
    const [pat, str, k] = [argString(r), argString(s), argIntNum(n)];
    return slice(findAll(translate(pat), str, k).map((m) => m[0]));
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
    return slice(split(mustCompile(pat), str, k, pat.length));
  }),
  mustRegexSplit: fn(3, (r, s, n) => {
    const [pat, str, k] = [argString(r), argString(s), argIntNum(n)];
    return slice(split(translate(pat), str, k, pat.length));
  }),
  regexQuoteMeta: fn(1, (s) => argString(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
};
