/**
 * A port of the parts of go-yaml v2's emitter (emitterc.go) that Helm's toYaml reaches:
 * block mappings and sequences, flow `[]`/`{}` when empty, scalar style selection
 * (analyze_scalar/select_scalar_style) and the four scalar writers with line folding
 * at 80 columns. Kept close to the C-derived original on purpose: every branch is an
 * output difference somewhere.
 */

export type YNode =
  | { kind: 'scalar'; value: string; style: 'plain' | 'double' | 'literal' }
  | { kind: 'seq'; items: YNode[] }
  | { kind: 'map'; pairs: Array<[YNode, YNode]> };

type Style = 'plain' | 'single' | 'double' | 'literal';

interface ScalarData {
  value: string[]; // runes
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const isBreakCh = (c: string | undefined): boolean => c === '\r' || c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isSpaceCh = (c: string | undefined): boolean => c === ' ';
const isBlankCh = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isBlankzCh = (c: string | undefined): boolean => c === undefined || c === '\0' || isBlankCh(c) || isBreakCh(c);

/** go-yaml's is_printable, by code point. */
function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if (cp === 0x0a) return true;
  if (cp >= 0x20 && cp <= 0x7e) return true;
  if (cp >= 0xa0 && cp <= 0xd7ff) return true;
  if (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) return true;
  return false; // C0/C1 controls, DEL, surrogates, U+FFFE/FFFF, and everything above the BMP
}

function analyzeScalar(s: string): ScalarData {
  const value = [...s];
  const d: ScalarData = {
    value,
    multiline: false,
    flowPlainAllowed: false,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: false,
  };
  if (value.length === 0) return d;
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (s.startsWith('---') || s.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const followedByWhitespace = i + 1 >= value.length || isBlankCh(value[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === '?' || c === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === '-') {
        if (followedByWhitespace) {
          flowIndicators = true;
          blockIndicators = true;
        }
      }
    } else if (',?[]{}'.includes(c)) {
      flowIndicators = true;
    } else if (c === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isPrintable(c)) specialCharacters = true;
    if (isSpaceCh(c)) {
      if (i === 0) leadingSpace = true;
      if (i === value.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreakCh(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === value.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankzCh(c);
  }
  d.multiline = lineBreaks;
  d.flowPlainAllowed = true;
  d.blockPlainAllowed = true;
  d.singleQuotedAllowed = true;
  d.blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    d.flowPlainAllowed = false;
    d.blockPlainAllowed = false;
  }
  if (trailingSpace) d.blockAllowed = false;
  if (breakSpace) {
    d.flowPlainAllowed = false;
    d.blockPlainAllowed = false;
    d.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    d.flowPlainAllowed = false;
    d.blockPlainAllowed = false;
    d.singleQuotedAllowed = false;
    d.blockAllowed = false;
  }
  if (lineBreaks) {
    d.flowPlainAllowed = false;
    d.blockPlainAllowed = false;
  }
  if (flowIndicators) d.flowPlainAllowed = false;
  if (blockIndicators) d.blockPlainAllowed = false;
  return d;
}

export interface EmitOptions {
  /** best_indent: 2 in yaml.v2. */
  indent?: number;
  /** best_width: 80 in yaml.v2 (folding of long plain and quoted scalars). */
  width?: number;
  /** yaml.v3 indents sequences inside mappings; yaml.v2 does not. */
  indentSequencesInMaps?: boolean;
  /**
   * yaml.v3's literal writer: no line break of its own after the `|` header, so a value's
   * leading line break ends the header line (and is lost, as in yaml.v3).
   */
  v3Literal?: boolean;
}

/** Emit one document as go-yaml v2 would, including the final newline. */
export function emitYaml(root: YNode, opts: EmitOptions = {}): string {
  const bestIndent = opts.indent ?? 2;
  const bestWidth = opts.width ?? 80;
  let out = '';
  let column = 0;
  let indent = -1;
  const indents: number[] = [];
  let whitespace = true;
  let indention = true;
  let flowLevel = 0;
  let mappingContext = false;
  let simpleKeyContext = false;

  const put = (s: string) => {
    out += s;
    column += 1;
  };
  const putBreak = () => {
    out += '\n';
    column = 0;
  };
  const writeIndent = () => {
    const ind = indent < 0 ? 0 : indent;
    if (!indention || column > ind || (column === ind && !whitespace)) putBreak();
    while (column < ind) put(' ');
    whitespace = true;
    indention = true;
  };
  const writeIndicator = (ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean) => {
    if (needWhitespace && !whitespace) put(' ');
    out += ind;
    column += [...ind].length;
    whitespace = isWhitespace;
    indention = indention && isIndention;
  };
  const increaseIndent = (flow: boolean, indentless: boolean) => {
    indents.push(indent);
    if (indent < 0) indent = flow ? bestIndent : 0;
    else if (!indentless) indent += bestIndent;
  };
  const popIndent = () => {
    indent = indents.pop() ?? -1;
  };
  const writeBreakCh = (c: string) => {
    if (c === '\n') putBreak();
    else {
      out += c;
      column = 0;
    }
  };

  const writePlain = (v: string[], allowBreaks: boolean) => {
    if (!whitespace) put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (isSpaceCh(c)) {
        if (allowBreaks && !spaces && column > bestWidth && !isSpaceCh(v[i + 1])) writeIndent();
        else put(c);
        spaces = true;
      } else if (isBreakCh(c)) {
        if (!breaks && c === '\n') putBreak();
        writeBreakCh(c);
        indention = true;
        breaks = true;
      } else {
        if (breaks) writeIndent();
        put(c);
        indention = false;
        spaces = false;
        breaks = false;
      }
    }
    whitespace = false;
    indention = false;
  };

  const writeSingle = (v: string[], allowBreaks: boolean) => {
    writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (isSpaceCh(c)) {
        if (allowBreaks && !spaces && column > bestWidth && i > 0 && i < v.length - 1 && !isSpaceCh(v[i + 1])) writeIndent();
        else put(c);
        spaces = true;
      } else if (isBreakCh(c)) {
        if (!breaks && c === '\n') putBreak();
        writeBreakCh(c);
        indention = true;
        breaks = true;
      } else {
        if (breaks) writeIndent();
        if (c === "'") put("'");
        put(c);
        indention = false;
        spaces = false;
        breaks = false;
      }
    }
    writeIndicator("'", false, false, false);
    whitespace = false;
    indention = false;
  };

  const writeDouble = (v: string[], allowBreaks: boolean) => {
    let spaces = false;
    writeIndicator('"', true, false, false);
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      const cp = c.codePointAt(0)!;
      if (!isPrintable(c) || (i === 0 && cp === 0xfeff) || isBreakCh(c) || c === '"' || c === '\\') {
        put('\\');
        const esc: Record<number, string> = {
          0x00: '0',
          0x07: 'a',
          0x08: 'b',
          0x09: 't',
          0x0a: 'n',
          0x0b: 'v',
          0x0c: 'f',
          0x0d: 'r',
          0x1b: 'e',
          0x22: '"',
          0x5c: '\\',
          0x85: 'N',
          0xa0: '_',
          0x2028: 'L',
          0x2029: 'P',
        };
        const e = esc[cp];
        if (e !== undefined) put(e);
        else {
          const [p, w] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
          put(p);
          for (const h of cp.toString(16).toUpperCase().padStart(w, '0')) put(h);
        }
        spaces = false;
      } else if (isSpaceCh(c)) {
        if (allowBreaks && !spaces && column > bestWidth && i > 0 && i < v.length - 1) {
          writeIndent();
          if (isSpaceCh(v[i + 1])) put('\\');
        } else put(c);
        spaces = true;
      } else {
        put(c);
        spaces = false;
      }
    }
    writeIndicator('"', false, false, false);
    whitespace = false;
    indention = false;
  };

  const writeLiteral = (v: string[]) => {
    writeIndicator('|', true, false, false);
    // block scalar hints
    if (isSpaceCh(v[0]) || isBreakCh(v[0])) writeIndicator(String(bestIndent), false, false, false);
    let chomp = '';
    if (v.length === 0) chomp = '-';
    else if (!isBreakCh(v[v.length - 1])) chomp = '-';
    else if (v.length === 1) chomp = '+';
    else if (isBreakCh(v[v.length - 2])) chomp = '+';
    if (chomp) writeIndicator(chomp, false, false, false);
    if (!opts.v3Literal) {
      putBreak();
      indention = true;
    }
    whitespace = true;
    let breaks = true;
    for (const c of v) {
      if (isBreakCh(c)) {
        writeBreakCh(c);
        indention = true;
        breaks = true;
      } else {
        if (breaks) writeIndent();
        put(c);
        indention = false;
        breaks = false;
      }
    }
  };

  const emitScalar = (n: Extract<YNode, { kind: 'scalar' }>) => {
    const d = analyzeScalar(n.value);
    let style: Style = n.style;
    if (simpleKeyContext && d.multiline) style = 'double';
    if (style === 'plain') {
      if ((flowLevel > 0 && !d.flowPlainAllowed) || (flowLevel === 0 && !d.blockPlainAllowed)) style = 'single';
      if (d.value.length === 0 && (flowLevel > 0 || simpleKeyContext)) style = 'single';
    }
    if (style === 'single' && !d.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!d.blockAllowed || flowLevel > 0 || simpleKeyContext)) style = 'double';
    const allowBreaks = !simpleKeyContext;
    switch (style) {
      case 'plain':
        return writePlain(d.value, allowBreaks);
      case 'single':
        return writeSingle(d.value, allowBreaks);
      case 'double':
        return writeDouble(d.value, allowBreaks);
      case 'literal':
        return writeLiteral(d.value);
    }
  };

  const isEmptyCollection = (n: YNode) => (n.kind === 'seq' && n.items.length === 0) || (n.kind === 'map' && n.pairs.length === 0);

  const checkSimpleKey = (k: YNode): boolean => {
    if (k.kind === 'scalar') {
      const d = analyzeScalar(k.value);
      if (d.multiline) return false;
      return Buffer.byteLength(k.value, 'utf8') <= 128;
    }
    return isEmptyCollection(k);
  };

  const emitNode = (n: YNode, ctx: { sequence?: boolean; mapping?: boolean; simpleKey?: boolean }) => {
    mappingContext = ctx.mapping ?? false;
    simpleKeyContext = ctx.simpleKey ?? false;
    if (n.kind === 'scalar') {
      // yaml_emitter_emit_scalar writes at one (flow) indent deeper: continuation lines and block scalars
      increaseIndent(true, false);
      emitScalar(n);
      popIndent();
      return;
    }
    if (flowLevel > 0 || isEmptyCollection(n)) {
      // flow style: only ever empty here
      const [open, close] = n.kind === 'seq' ? ['[', ']'] : ['{', '}'];
      writeIndicator(open, true, true, false);
      increaseIndent(true, false);
      flowLevel++;
      flowLevel--;
      popIndent();
      writeIndicator(close, false, false, false);
      return;
    }
    if (n.kind === 'seq') {
      const indentless = opts.indentSequencesInMaps ? false : mappingContext && !indention;
      increaseIndent(false, indentless);
      for (const item of n.items) {
        writeIndent();
        writeIndicator('-', true, false, true);
        emitNode(item, { sequence: true });
      }
      popIndent();
      return;
    }
    increaseIndent(false, false);
    for (const [k, v] of n.pairs) {
      writeIndent();
      if (checkSimpleKey(k)) {
        emitNode(k, { mapping: true, simpleKey: true });
        writeIndicator(':', false, false, false);
        emitNode(v, { mapping: true });
      } else {
        writeIndicator('?', true, false, true);
        emitNode(k, { mapping: true });
        writeIndent();
        writeIndicator(':', true, false, true);
        emitNode(v, { mapping: true });
      }
    }
    popIndent();
  };

  emitNode(root, {});
  // document end: write_indent ends the last line
  writeIndent();
  return out;
}
