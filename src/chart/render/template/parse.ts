/**
 * Parser for Go's text/template, following Go's parse package (including Go 1.23's
 * `{{else with}}`), so that the same input gives the same tree and the same error text.
 */

import { T, itemString, lex, type Item } from './lex.js';
import type {
  ArgNode,
  BranchNode,
  CommandNode,
  EndNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  Source,
  TemplateNode,
  VariableNode,
} from './nodes.js';
import { nodeString } from './nodes.js';
import { SyntaxError_, fromBytes, quoteGo, unquoteBytes, unquoteChar } from './quote.js';
import { parseGoFloat, parseGoInt } from './numbers.js';

const FLOAT_PART = '(?:0[xX][0-9a-fA-F_.]+[pP][+-]?[0-9_]+|[0-9_.]+(?:[eE][+-]?[0-9_]+)?)';
const COMPLEX = new RegExp(`^([+-]?${FLOAT_PART})([+-]${FLOAT_PART})i$`);

/** The two parts of a complex constant `A+Bi` / `A-Bi`, in the float forms fmt.Sscan reads. */
function splitComplex(text: string): [number, number] | null {
  const m = COMPLEX.exec(text);
  if (!m) return null;
  const re = parseGoFloat(m[1]!);
  const im = parseGoFloat(m[2]!);
  return re === null || im === null ? null : [re, im];
}

/** Go's NumberNode.simplifyComplex: a complex constant with no imaginary part is also a float (and maybe an int). */
function simplifyComplex(n: NumberNode, re: number, im: number): NumberNode {
  n.isComplex = true;
  n.re = re;
  n.im = im;
  n.isFloat = im === 0;
  if (n.isFloat) {
    n.float = re;
    if (Number.isInteger(re) && Math.abs(re) < 2 ** 63) {
      n.isInt = true;
      n.int = BigInt(re);
    }
    if (Number.isInteger(re) && re >= 0 && re < 2 ** 64) {
      n.isUint = true;
      n.uint = BigInt(re);
    }
  }
  return n;
}

/** Go's limit on nested parentheses (parse.maxStackDepth). */
const MAX_STACK_DEPTH = 10000;

/** A parse error: Go's full message (`template: NAME:LINE: ...`). */
export class ParseError extends Error {}

export interface Tree {
  name: string;
  root: ListNode;
  src: Source;
}

/** Parses one text; returns every tree it defines (the file itself first), as Go's parse.Parse. */
export function parseTrees(name: string, text: string, hasFunc: (name: string) => boolean): Map<string, Tree> {
  const bytes = Buffer.from(text, 'utf8').toString('latin1');
  const src: Source = { parseName: name, text: bytes };
  const items = lex(bytes, { breakOK: !hasFunc('break'), continueOK: !hasFunc('continue') });
  const treeSet = new Map<string, Tree>();
  const p = new Parser(items, src, hasFunc, treeSet);
  try {
    p.parseTop(name);
  } catch (e) {
    // The parser recurses per nesting level; JS may run out of stack before Go's limit.
    if (e instanceof RangeError) p.errorf('max expression depth exceeded');
    throw e;
  }
  return treeSet;
}

export function isEmptyTree(n: Node | null): boolean {
  if (n === null) return true;
  switch (n.type) {
    case 'comment':
      return true;
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      // bytes.TrimSpace: Unicode White_Space (JS \s has U+FEFF but not U+0085).
      return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/.test(n.text);
    default:
      return false;
  }
}

class Parser {
  private i = 0;
  private maxRead = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  private stackDepth = 0;

  constructor(
    private readonly items: Item[],
    private readonly src: Source,
    private readonly hasFunc: (name: string) => boolean,
    private readonly treeSet: Map<string, Tree>,
  ) {}

  // ---- token stream ----
  private next(): Item {
    const at = Math.min(this.i, this.items.length - 1);
    this.i++;
    if (at > this.maxRead) this.maxRead = at;
    return this.items[at]!;
  }
  private backup(n = 1): void {
    this.i -= n;
  }
  private peek(): Item {
    const it = this.next();
    this.backup();
    return it;
  }
  private nextNonSpace(): Item {
    let it: Item;
    do it = this.next();
    while (it.typ === T.Space);
    return it;
  }
  private peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }

  // ---- errors ----
  errorf(msg: string): never {
    const line = (this.items[this.maxRead] ?? this.items[this.items.length - 1]!).line;
    throw new ParseError(`template: ${this.src.parseName}:${line}: ${msg}`);
  }
  private unexpected(token: Item, context: string): never {
    if (token.typ === T.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.src.parseName}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(token.val + extra);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }
  private expect(typ: T, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }

  // ---- node helpers ----
  private list(pos: number): ListNode {
    return { type: 'list', pos, src: this.src, nodes: [] };
  }

  private add(name: string, root: ListNode): void {
    const old = this.treeSet.get(name);
    if (old === undefined || isEmptyTree(old.root)) {
      this.treeSet.set(name, { name, root, src: this.src });
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${quoteGo(name)}`);
  }

  parseTop(name: string): void {
    const root = this.list(this.peek().pos);
    while (this.peek().typ !== T.EOF) {
      if (this.peek().typ === T.LeftDelim) {
        const save = this.i;
        this.next();
        if (this.nextNonSpace().typ === T.Define) {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    this.add(name, root);
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const tok = this.nextNonSpace();
    if (tok.typ !== T.String && tok.typ !== T.RawString) this.unexpected(tok, context);
    const name = this.unquote(tok.val);
    this.expect(T.RightDelim, context);
    const savedVars = this.vars;
    this.vars = ['$'];
    const [root, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add(name, root);
    this.vars = savedVars;
  }

  private unquote(quoted: string): string {
    try {
      return fromBytes(unquoteBytes(quoted));
    } catch (e) {
      if (e instanceof SyntaxError_) this.errorf('invalid syntax');
      throw e;
    }
  }

  private itemList(): [ListNode, EndNode] {
    const list = this.list(this.peekNonSpace().pos);
    while (this.peekNonSpace().typ !== T.EOF) {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case T.Text:
        return { type: 'text', pos: token.pos, src: this.src, text: fromBytes(token.val) };
      case T.LeftDelim: {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case T.Comment:
        return { type: 'comment', pos: token.pos, src: this.src };
      default:
        this.unexpected(token, 'input');
    }
  }

  private action(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case T.Block:
        return this.blockControl();
      case T.Break:
      case T.Continue:
        return this.branchKeyword(token);
      case T.Else:
        return this.elseControl();
      case T.End:
        return { type: 'end', pos: this.expect(T.RightDelim, 'end').pos, src: this.src, line: token.line };
      case T.If:
        return this.control('if');
      case T.Range:
        return this.control('range');
      case T.Template:
        return this.templateControl();
      case T.With:
        return this.control('with');
    }
    this.backup();
    const t = this.peek();
    const pipe = this.pipeline('command', T.RightDelim);
    return { type: 'action', pos: t.pos, src: this.src, line: t.line, pipe };
  }

  private branchKeyword(token: Item): Node {
    const word = token.typ === T.Break ? 'break' : 'continue';
    const t = this.nextNonSpace();
    if (t.typ !== T.RightDelim) this.unexpected(t, `{{${word}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${word}}} outside {{range}}`);
    return { type: word, pos: token.pos, src: this.src, line: token.line };
  }

  private elseControl(): EndNode {
    const peek = this.peekNonSpace();
    // `{{else if ...}}` and `{{else with ...}}` leave the keyword pending for control().
    if (peek.typ === T.If || peek.typ === T.With) return { type: 'else', pos: peek.pos, src: this.src, line: peek.line };
    const token = this.expect(T.RightDelim, 'else');
    return { type: 'else', pos: token.pos, src: this.src, line: token.line };
  }

  private control(context: 'if' | 'range' | 'with'): BranchNode {
    const nvars = this.vars.length;
    try {
      const pipe = this.pipeline(context, T.RightDelim);
      if (context === 'range') this.rangeDepth++;
      const [list, first] = this.itemList();
      let next = first;
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        const kw = this.peek().typ;
        if ((context === 'if' && kw === T.If) || (context === 'with' && kw === T.With)) {
          this.next();
          elseList = this.list(next.pos);
          elseList.nodes.push(this.control(context));
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { type: context, pos: pipe.pos, src: this.src, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = nvars;
    }
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, T.RightDelim);
    const savedVars = this.vars;
    const savedDepth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [root, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add(name, root);
    this.vars = savedVars;
    this.rangeDepth = savedDepth;
    return { type: 'template', pos: token.pos, src: this.src, line: token.line, name, pipe };
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== T.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, T.RightDelim);
    }
    return { type: 'template', pos: token.pos, src: this.src, line: token.line, name, pipe };
  }

  private templateName(token: Item, context: string): string {
    if (token.typ === T.String || token.typ === T.RawString) return this.unquote(token.val);
    this.unexpected(token, context);
  }

  private pipeline(context: string, end: T): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: token.pos, src: this.src, line: token.line, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== T.Variable) break;
      const save = this.i;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.typ === T.Assign || next.typ === T.Declare) {
        pipe.isAssign = next.typ === T.Assign;
        this.nextNonSpace();
        pipe.decl.push(this.variable(v.pos, v.val));
        this.vars.push(fromBytes(v.val));
        break;
      } else if (next.typ === T.Char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(this.variable(v.pos, v.val));
        this.vars.push(fromBytes(v.val));
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === T.Variable || p === T.RightDelim || p === T.RightParen) continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else {
        // Not a declaration: the variable is an operand (Go's backup2/backup3).
        this.i = save;
        break;
      }
    }
    for (;;) {
      const token = this.nextNonSpace();
      if (token.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (token.typ) {
        case T.Bool:
        case T.CharConstant:
        case T.Complex:
        case T.Dot:
        case T.Field:
        case T.Identifier:
        case T.Number:
        case T.Nil:
        case T.RawString:
        case T.String:
        case T.Variable:
        case T.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]?.type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, src: this.src, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== null) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === T.Space) continue;
      if (token.typ === T.RightDelim || token.typ === T.RightParen) this.backup();
      else if (token.typ !== T.Pipe) this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (node === null) return null;
    if (this.peek().typ === T.Field) {
      const pos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === T.Field) fields.push(...this.next().val.slice(1).split('.'));
      switch (node.type) {
        case 'field':
          return { type: 'field', pos, src: this.src, ident: [...node.ident, ...fields] };
        case 'variable':
          return { type: 'variable', pos, src: this.src, ident: [...node.ident, ...fields] };
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${quoteGo(nodeString(node))}`);
        // falls through (errorf never returns)
        default:
          return { type: 'chain', pos, src: this.src, node, field: fields };
      }
    }
    return node;
  }

  private term(): ArgNode | null {
    const token = this.nextNonSpace();
    const base = { pos: token.pos, src: this.src };
    switch (token.typ) {
      case T.Identifier: {
        const name = fromBytes(token.val);
        if (!this.hasFunc(name)) this.errorf(`function ${quoteGo(name)} not defined`);
        return { type: 'identifier', ...base, ident: name };
      }
      case T.Dot:
        return { type: 'dot', ...base };
      case T.Nil:
        return { type: 'nil', ...base };
      case T.Variable:
        return this.useVar(token.pos, fromBytes(token.val));
      case T.Field:
        return { type: 'field', ...base, ident: fromBytes(token.val).slice(1).split('.') };
      case T.Bool:
        return { type: 'bool', ...base, value: token.val === 'true' };
      case T.CharConstant:
      case T.Complex:
      case T.Number:
        return this.number(token);
      case T.LeftParen: {
        // Go's maxStackDepth: deep nesting is refused rather than overflowing the stack.
        if (this.stackDepth >= MAX_STACK_DEPTH) this.errorf('max expression depth exceeded');
        this.stackDepth++;
        try {
          return this.pipeline('parenthesized pipeline', T.RightParen);
        } finally {
          this.stackDepth--;
        }
      }
      case T.String:
      case T.RawString:
        return { type: 'string', ...base, quoted: fromBytes(token.val), text: this.unquote(token.val) };
    }
    this.backup();
    return null;
  }

  private variable(pos: number, val: string): VariableNode {
    return { type: 'variable', pos, src: this.src, ident: fromBytes(val).split('.') };
  }

  private useVar(pos: number, name: string): VariableNode {
    const v: VariableNode = { type: 'variable', pos, src: this.src, ident: name.split('.') };
    if (!this.vars.includes(v.ident[0] ?? '')) this.errorf(`undefined variable ${quoteGo(v.ident[0] ?? '')}`);
    return v;
  }

  private number(token: Item): NumberNode {
    const text = token.val;
    const n: NumberNode = {
      type: 'number',
      pos: token.pos,
      src: this.src,
      text: fromBytes(text),
      isInt: false,
      isUint: false,
      isFloat: false,
      isComplex: false,
      int: 0n,
      uint: 0n,
      float: 0,
      re: 0,
      im: 0,
    };
    if (token.typ === T.CharConstant) {
      let r: { value: number; next: number };
      try {
        r = unquoteChar(text, 1, "'");
      } catch (e) {
        if (e instanceof SyntaxError_) this.errorf('invalid syntax');
        throw e;
      }
      if (text.slice(r.next) !== "'") this.errorf(`malformed character constant: ${n.text}`);
      n.isInt = n.isUint = n.isFloat = true;
      n.int = n.uint = BigInt(r.value);
      n.float = r.value;
      return n;
    }
    if (token.typ === T.Complex) {
      const parts = splitComplex(text);
      if (parts === null) this.errorf('syntax error scanning complex number');
      return simplifyComplex(n, parts[0], parts[1]);
    }
    if (text.endsWith('i')) {
      // An imaginary constant; when its float part does not parse, Go goes on and fails below.
      const f = parseGoFloat(text.slice(0, -1));
      if (f !== null) return simplifyComplex(n, 0, f);
    }
    const asInt = parseGoInt(text);
    if (asInt !== null) {
      if (asInt >= 0n && asInt <= 0xffffffffffffffffn && !text.startsWith('-') && !text.startsWith('+')) {
        n.isUint = true;
        n.uint = asInt;
      }
      if (asInt >= -(1n << 63n) && asInt < 1n << 63n) {
        n.isInt = true;
        n.int = asInt;
        if (asInt === 0n) {
          n.isUint = true;
          n.uint = 0n;
        }
      }
    }
    if (n.isInt) {
      n.isFloat = true;
      n.float = Number(n.int);
    } else if (n.isUint) {
      n.isFloat = true;
      n.float = Number(n.uint);
    } else {
      const f = parseGoFloat(text);
      if (f !== null) {
        if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${quoteGo(n.text)}`);
        n.isFloat = true;
        n.float = f;
        if (Number.isInteger(f)) {
          const b = BigInt(f);
          if (b >= -(1n << 63n) && b < 1n << 63n) {
            n.isInt = true;
            n.int = b;
          }
          if (b >= 0n && b < 1n << 64n) {
            n.isUint = true;
            n.uint = b;
          }
        }
      }
    }
    if (!n.isInt && !n.isUint && !n.isFloat) this.errorf(`illegal number syntax: ${quoteGo(n.text)}`);
    return n;
  }
}
