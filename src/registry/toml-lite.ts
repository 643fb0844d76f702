import { AirlockError } from '../errors.js';

/**
 * The part of TOML that containers' registries.conf uses: `[table]`,
 * `[[array.of.tables]]`, `key = value` with basic and literal strings, booleans,
 * integers and (multi-line) arrays of those, and `#` comments. Anything else is
 * refused with its line number rather than guessed at. No TOML package is a
 * dependency, and this subset is small enough to read in one sitting.
 */
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable | TomlTable[];
export interface TomlTable {
  [key: string]: TomlValue;
}

function fail(file: string, line: number, message: string): never {
  throw new AirlockError('USAGE', `${file}:${line}: ${message}`, { hint: 'airlock reads the TOML subset registries.conf uses; fix the line, or pass --no-registries-conf' });
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function parseKey(text: string, file: string, line: number): string[] {
  return text.split('.').map((part) => {
    const p = part.trim();
    if (BARE_KEY.test(p)) return p;
    const quoted = /^"([^"\\]*)"$/.exec(p) ?? /^'([^']*)'$/.exec(p);
    if (quoted) return quoted[1]!;
    return fail(file, line, `cannot read the key ${JSON.stringify(p)}`);
  });
}

/** Reads one value from the start of `text`; returns it and what is left. */
function parseValue(text: string, file: string, line: number): [TomlValue, string] {
  const t = text.trimStart();
  if (t.startsWith('"')) {
    let out = '';
    for (let i = 1; i < t.length; i++) {
      const c = t[i]!;
      if (c === '"') return [out, t.slice(i + 1)];
      if (c === '\\') {
        const e = t[++i];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f' };
        if (e !== undefined && simple[e] !== undefined) out += simple[e];
        else if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          const hex = t.slice(i + 1, i + 1 + len);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) fail(file, line, 'bad \\u escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          i += len;
        } else fail(file, line, 'bad escape in a string');
      } else out += c;
    }
    return fail(file, line, 'unterminated string');
  }
  if (t.startsWith("'")) {
    const end = t.indexOf("'", 1);
    if (end < 0) fail(file, line, 'unterminated string');
    return [t.slice(1, end), t.slice(end + 1)];
  }
  if (t.startsWith('[')) {
    const items: TomlValue[] = [];
    let rest = t.slice(1);
    for (;;) {
      rest = rest.replace(/^(\s|#[^\n]*)*/, '');
      if (rest.startsWith(']')) return [items, rest.slice(1)];
      const [v, after] = parseValue(rest, file, line);
      items.push(v);
      rest = after.replace(/^(\s|#[^\n]*)*/, '');
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith(']')) fail(file, line, 'expected , or ] in an array');
    }
  }
  const word = /^(true|false|[+-]?\d[\d_]*)/.exec(t);
  if (word) {
    const w = word[1]!;
    return [w === 'true' ? true : w === 'false' ? false : Number(w.replace(/_/g, '')), t.slice(w.length)];
  }
  return fail(file, line, `cannot read the value ${JSON.stringify(t.slice(0, 20))}`);
}

/** Brackets still open in `text` outside strings: a multi-line array goes on. */
function openBrackets(text: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    } else if (c === '[') depth++;
    else if (c === ']') depth--;
  }
  return depth;
}

function descend(root: TomlTable, path: string[], file: string, line: number): TomlTable {
  let table = root;
  for (const key of path) {
    let next = table[key];
    if (next === undefined) table[key] = next = {};
    // Into an array of tables: its last element, as TOML says.
    if (Array.isArray(next)) next = next[next.length - 1] as TomlValue;
    if (typeof next !== 'object' || next === null || Array.isArray(next)) fail(file, line, `${path.join('.')} is not a table`);
    table = next as TomlTable;
  }
  return table;
}

export function parseTomlLite(text: string, file: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[\[([^\]]+)\]\]\s*(#.*)?$/.exec(line) ?? /^\[([^\]]+)\]\s*(#.*)?$/.exec(line);
    if (header) {
      const path = parseKey(header[1]!, file, lineNo);
      if (line.startsWith('[[')) {
        const parent = descend(root, path.slice(0, -1), file, lineNo);
        const last = path[path.length - 1]!;
        const list = parent[last] ?? [];
        if (!Array.isArray(list)) fail(file, lineNo, `${path.join('.')} is not an array of tables`);
        const table: TomlTable = {};
        (list as TomlTable[]).push(table);
        parent[last] = list as TomlTable[];
        current = table;
      } else current = descend(root, path, file, lineNo);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) fail(file, lineNo, 'expected key = value');
    const key = parseKey(line.slice(0, eq), file, lineNo);
    let valueText = line.slice(eq + 1);
    while (openBrackets(valueText) > 0 && n + 1 < lines.length) valueText += `\n${lines[++n]!}`;
    const [value, rest] = parseValue(valueText, file, lineNo);
    if (!/^\s*(#.*)?$/.test(rest)) fail(file, lineNo, 'unexpected text after the value');
    const table = descend(current, key.slice(0, -1), file, lineNo);
    table[key[key.length - 1]!] = value;
    line = '';
  }
  return root;
}
