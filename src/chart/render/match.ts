/**
 * Two glob dialects charts meet: Go's path/filepath.Match (`.helmignore`,
 * `--show-only`) and gobwas/glob with `/` as separator (`.Files.Glob`).
 * Both compile to a RegExp; a malformed pattern gives undefined.
 */

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** A `[...]` class at `i` (just after `[`); returns the regex text and the index after `]`. */
function charClass(p: string, i: number, negChars: string): { re: string; next: number } | undefined {
  let re = '[';
  if (negChars.includes(p[i] ?? '')) {
    re += '^';
    i++;
  }
  let first = true;
  while (i < p.length && (p[i] !== ']' || first)) {
    first = false;
    let c = p[i]!;
    if (c === '\\') {
      i++;
      if (i >= p.length) return undefined;
      c = p[i]!;
    }
    re += escapeRe(c);
    i++;
    if (p[i] === '-' && p[i + 1] !== undefined && p[i + 1] !== ']') {
      let d = p[i + 1]!;
      i += 2;
      if (d === '\\') {
        if (i >= p.length) return undefined;
        d = p[i++]!;
      }
      re += `-${escapeRe(d)}`;
    }
  }
  if (p[i] !== ']') return undefined;
  return { re: `${re}]`, next: i + 1 };
}

/** Go's filepath.Match on `/` paths. */
export function goPathMatcher(pattern: string): RegExp | undefined {
  let re = '^';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === '*') {
      re += '[^/]*';
      i++;
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '[') {
      const cls = charClass(pattern, i + 1, '^');
      if (cls === undefined) return undefined;
      re += `(?!/)${cls.re}`;
      i = cls.next;
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) return undefined;
      re += escapeRe(pattern[i + 1]!);
      i += 2;
    } else {
      re += escapeRe(c);
      i++;
    }
  }
  try {
    return new RegExp(`${re}$`, 's');
  } catch {
    return undefined;
  }
}

export function goPathMatch(pattern: string, name: string): boolean {
  return goPathMatcher(pattern)?.test(name) ?? false;
}

/** gobwas/glob with separator `/`: `*`, `**`, `?`, `[...]`, `[!...]`, `{a,b}`. */
export function globMatcher(pattern: string): RegExp | undefined {
  let re = '^';
  let depth = 0;
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        re += '.*';
        i += 2;
      } else {
        re += '[^/]*';
        i++;
      }
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '[') {
      const cls = charClass(pattern, i + 1, '!');
      if (cls === undefined) return undefined;
      re += cls.re;
      i = cls.next;
    } else if (c === '{') {
      re += '(?:';
      depth++;
      i++;
    } else if (c === '}' && depth > 0) {
      re += ')';
      depth--;
      i++;
    } else if (c === ',' && depth > 0) {
      re += '|';
      i++;
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) return undefined;
      re += escapeRe(pattern[i + 1]!);
      i += 2;
    } else {
      re += escapeRe(c);
      i++;
    }
  }
  if (depth !== 0) return undefined;
  try {
    return new RegExp(`${re}$`, 's');
  } catch {
    return undefined;
  }
}
