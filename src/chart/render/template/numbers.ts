/** Go's strconv.ParseInt(s, 0, 64)-style syntax and ParseFloat, for template number constants. */

/** Go's rule for `_` in number literals: only between digits (a base prefix counts as a digit). */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** Integer value of a Go integer literal with optional sign (base from prefix), or null. No range check. */
export function parseGoInt(text: string): bigint | null {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') return null;
  let base = 10;
  let digits = s;
  if (s.length >= 2 && s[0] === '0') {
    const p = s[1]!.toLowerCase();
    if (p === 'x') base = 16;
    else if (p === 'o') base = 8;
    else if (p === 'b') base = 2;
    if (base !== 10) digits = s.slice(2);
    else {
      base = 8;
      digits = s.slice(1);
    }
  }
  if (s.includes('_') && !underscoreOK(s)) return null;
  digits = digits.replace(/_/g, '');
  if (digits === '') return base === 8 && s.length >= 1 && !/^0[oO]/.test(s) ? 0n : null;
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/** strconv.ParseFloat(s, 64) for the forms the lexer produces (decimal and hex floats), or null. */
export function parseGoFloat(text: string): number | null {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s.includes('_')) {
    if (!underscoreOK(s)) return null;
    s = s.replace(/_/g, '');
  }
  let v: number;
  if (/^0[xX]/.test(s)) {
    const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null;
    const mant = BigInt('0x' + (m[1] || '0') + (m[2] ?? ''));
    const exp = Number(m[3]) - 4 * (m[2] ?? '').length;
    v = Number(mant) * Math.pow(2, exp);
  } else {
    if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) return null;
    v = Number(s);
  }
  if (!Number.isFinite(v)) return null; // Go reports a range error
  return neg ? -v : v;
}
