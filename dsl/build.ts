// CST → AST: turns one statement's chevrotain CST into an AST node with spans; groups block items into options.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type {
  CmpOp,
  Expr,
  Granularity,
  InputDecl,
  Option,
  Selector,
  Statement,
  TableStatement,
  Value,
} from './ast.ts';
import { type Diagnostic, diag } from './diagnostics.ts';
import { joinSpans, type Span } from './span.ts';
import { defsOf, type OptionSpec, optionNames } from './table/index.ts';
import { numberValue, unquote } from './values.ts';

export interface BuildContext {
  file: string;
  text: string;
  diagnostics: Diagnostic[];
}

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

export function tokenSpan(ctx: BuildContext, t: IToken): Span {
  return {
    file: ctx.file,
    offset: t.startOffset,
    line: t.startLine ?? 1,
    column: t.startColumn ?? 1,
    length: t.image.length,
  };
}

function tokensOf(node: CstElement, out: IToken[] = []): IToken[] {
  if (isToken(node)) {
    if (!Number.isNaN(node.startOffset)) out.push(node);
  } else for (const list of Object.values(node.children)) for (const c of list ?? []) tokensOf(c, out);
  return out;
}

function nodeSpan(ctx: BuildContext, node: CstElement): Span {
  const toks = tokensOf(node);
  let first = toks[0]!;
  let last = toks[0]!;
  for (const t of toks) {
    if (t.startOffset < first.startOffset) first = t;
    if (t.startOffset > last.startOffset) last = t;
  }
  return joinSpans(tokenSpan(ctx, first), tokenSpan(ctx, last));
}

function tok(c: Children, name: string, i = 0): IToken | undefined {
  const e = c[name]?.[i];
  return e && isToken(e) ? e : undefined;
}

function sub(c: Children, name: string, i = 0): CstNode | undefined {
  const e = c[name]?.[i];
  return e && !isToken(e) ? e : undefined;
}

function subs(c: Children, name: string): CstNode[] {
  return (c[name] ?? []).filter((e): e is CstNode => !isToken(e));
}

/** Build the AST node of one statement CST (only called on CSTs parsed without errors). */
export function buildStatement(ctx: BuildContext, cst: CstNode): Statement {
  const [rule, node] = Object.entries(cst.children)[0]! as [string, CstNode[]];
  const keyword = rule.replace(/Stmt$/, '');
  const n = node[0]!;
  const c = n.children as Children;
  const span = nodeSpan(ctx, n);
  const first = tokensOf(n).sort((a, b) => a.startOffset - b.startOffset)[0]!;
  const base = { span, keywordSpan: tokenSpan(ctx, first) };
  const forms = defsOf(keyword);
  const def = forms.find((d) => d.variant && c[`Kw_${d.variant}`]) ?? forms[0]!;
  switch (def.shape.argument) {
    case 'string': {
      const str = tok(c, 'String')!;
      if (keyword === 'recipe') return { ...base, kind: 'recipe', name: unquote(str.image) };
      return { ...base, kind: 'include', path: unquote(str.image), pathSpan: tokenSpan(ctx, str) };
    }
    case 'word': {
      const w = tok(c, 'Word')!;
      return { ...base, kind: 'cleanup', mode: w.image, modeSpan: tokenSpan(ctx, w) };
    }
    case 'inputs':
      return { ...base, kind: 'model', inputs: subs(c, 'inputDecl').map((d) => inputDecl(ctx, d)) };
    case 'target': {
      const m = tok(c, 'Word')!;
      return {
        ...base,
        kind: 'target',
        metric: m.image,
        metricSpan: tokenSpan(ctx, m),
        op: cmpOp(sub(c, 'cmpOp')!),
        value: value(ctx, sub(c, 'value')!),
      };
    }
  }
  const g = sub(c, 'granularity');
  const list = sub(c, 'selectorList');
  const w = sub(c, 'whereClause');
  const b = sub(c, 'block');
  return {
    ...base,
    kind: keyword as TableStatement['kind'],
    ...(def.variant ? { variant: def.variant } : {}),
    ...(g ? { granularity: granularity(ctx, g) } : {}),
    ...(list ? { selectors: selectorList(ctx, list) } : {}),
    ...(w ? { where: orExpr(ctx, sub(w.children, 'orExpr')!) } : {}),
    ...(b ? { options: block(ctx, b, def.options ?? []) } : {}),
  };
}

function inputDecl(ctx: BuildContext, n: CstNode): InputDecl {
  const c = n.children as Children;
  const nameTok = tok(c, 'Word') ?? tok(c, 'String')!;
  const dtype = tok(c, 'dtype')!;
  const dims = subs(c, 'dim').map((d) => {
    const t = tokensOf(d)[0]!;
    if (t.tokenType.name === 'Number') {
      const v = Number(t.image);
      if (!Number.isInteger(v) || v < 1) {
        ctx.diagnostics.push(
          diag('SQ315', tokenSpan(ctx, t), `dimension '${t.image}' is not a positive whole number`),
        );
      }
      return Number.isNaN(v) ? t.image : v;
    }
    const name = t.tokenType.name === 'Word' ? t.image : unquote(t.image);
    ctx.diagnostics.push(
      diag(
        'SQ315',
        tokenSpan(ctx, t),
        `dimension '${name}' is symbolic`,
        'the model block pins dynamic dims: write a number',
      ),
    );
    return name;
  });
  return {
    name: nameTok.tokenType.name === 'Word' ? nameTok.image : unquote(nameTok.image),
    nameSpan: tokenSpan(ctx, nameTok),
    dtype: dtype.image,
    dtypeSpan: tokenSpan(ctx, dtype),
    dims,
    span: nodeSpan(ctx, n),
  };
}

function granularity(ctx: BuildContext, n: CstNode): Granularity {
  const c = n.children as Children;
  const span = nodeSpan(ctx, n);
  if (c.Kw_weights) return { kind: 'weights', word: 'weights', span };
  const num = tok(c, 'Number');
  const word = tok(c, 'Word');
  if (!word) {
    const m = /^(\d+):(\d+)$/.exec(num!.image);
    if (m) return { kind: 'nm', n: Number(m[1]), m: Number(m[2]), text: num!.image, span };
    return { kind: 'unknown', word: num!.image, span };
  }
  if (word.image === 'blocks') {
    const m = num ? /^(\d+)x(\d+)$/.exec(num.image) : null;
    if (m) return { kind: 'blocks', r: Number(m[1]), c: Number(m[2]), text: num!.image, span };
    return { kind: 'unknown', word: num ? `blocks ${num.image}` : 'blocks', span };
  }
  if (num) return { kind: 'unknown', word: `${word.image} ${num.image}`, span };
  const w = word.image;
  if (w === 'layers' || w === 'channels' || w === 'kernels') return { kind: w, word: w, span };
  if (w === 'filters') return { kind: 'channels', word: w, span };
  return { kind: 'unknown', word: w, span };
}

function selectorList(ctx: BuildContext, n: CstNode): Selector[] {
  return subs(n.children as Children, 'selector').map((s) => selector(ctx, s));
}

function selector(ctx: BuildContext, n: CstNode): Selector {
  const c = n.children as Children;
  const span = nodeSpan(ctx, n);
  if (c.Star) return { kind: 'all', span };
  const str = tok(c, 'String');
  if (str) return { kind: 'glob', pattern: unquote(str.image), span };
  const dotted = tok(c, 'Word');
  if (dotted?.tokenType.name === 'DottedName') return { kind: 'glob', pattern: dotted.image, span };
  const re = tok(c, 'Regex');
  if (re) {
    const m = /^\/(.*)\/([A-Za-z]*)$/s.exec(re.image);
    return { kind: 'regex', source: m ? m[1]! : re.image.slice(1), flags: m ? m[2]! : '', span };
  }
  const word = tok(c, 'Word')!.image;
  const from = tok(c, 'Number', 0);
  if (!from) return { kind: 'op', op: word, span };
  const to = tok(c, 'Number', 1);
  const idx = (t: IToken): number => {
    const v = Number(t.image);
    if (!Number.isInteger(v)) {
      ctx.diagnostics.push(
        diag(
          'SQ314',
          tokenSpan(ctx, t),
          `position '${t.image}' is not a whole number`,
          'write conv[0], conv[-1] or conv[2..5]',
        ),
      );
      return 0;
    }
    return v;
  };
  return to
    ? { kind: 'position', op: word, from: idx(from), to: idx(to), span }
    : { kind: 'position', op: word, from: idx(from), span };
}

function orExpr(ctx: BuildContext, n: CstNode): Expr {
  const parts = subs(n.children as Children, 'andExpr').map((a) => andExpr(ctx, a));
  return parts.reduce((l, r) => ({ kind: 'or', left: l, right: r, span: joinSpans(l.span, r.span) }));
}

function andExpr(ctx: BuildContext, n: CstNode): Expr {
  const parts = subs(n.children as Children, 'notExpr').map((a) => notExpr(ctx, a));
  return parts.reduce((l, r) => ({ kind: 'and', left: l, right: r, span: joinSpans(l.span, r.span) }));
}

function notExpr(ctx: BuildContext, n: CstNode): Expr {
  const c = n.children as Children;
  const inner = sub(c, 'notExpr');
  if (inner) return { kind: 'not', operand: notExpr(ctx, inner), span: nodeSpan(ctx, n) };
  const p = sub(c, 'primary')!.children as Children;
  const group = sub(p, 'orExpr');
  if (group) return orExpr(ctx, group);
  const cmp = sub(p, 'comparison')!;
  const cc = cmp.children as Children;
  const prop = tok(cc, 'Word')!;
  const op = sub(cc, 'cmpOp');
  if (!op) return { kind: 'flag', property: prop.image, span: tokenSpan(ctx, prop) };
  return {
    kind: 'cmp',
    property: prop.image,
    propertySpan: tokenSpan(ctx, prop),
    op: cmpOp(op),
    value: value(ctx, sub(cc, 'value')!),
    span: nodeSpan(ctx, cmp),
  };
}

function cmpOp(n: CstNode): CmpOp {
  return tokensOf(n)[0]!.image as CmpOp;
}

function atom(ctx: BuildContext, n: CstNode): Value {
  const t = tokensOf(n)[0]!;
  const span = tokenSpan(ctx, t);
  if (t.tokenType.name === 'Number') return numberValue(t.image, span, ctx.diagnostics);
  if (t.tokenType.name === 'Word') return { kind: 'word', value: t.image, span };
  if (t.tokenType.name === 'DottedName') return { kind: 'string', value: t.image, span };
  return { kind: 'string', value: unquote(t.image), span };
}

export function value(ctx: BuildContext, n: CstNode): Value {
  const c = n.children as Children;
  const list = sub(c, 'list');
  if (list) {
    const items = subs(list.children as Children, 'value').map((v) => value(ctx, v));
    return { kind: 'list', items, span: nodeSpan(ctx, list) };
  }
  const [a, b] = subs(c, 'atom');
  const lo = atom(ctx, a!);
  if (!b) return lo;
  const hi = atom(ctx, b);
  return { kind: 'range', lo, hi, span: joinSpans(lo.span, hi.span) };
}

function endLine(ctx: BuildContext, s: Span): number {
  let line = s.line;
  for (let i = s.offset; i < s.offset + s.length; i++) if (ctx.text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Block items → options. An option starts at a word that begins a line or that names an option of
 * this block; the values after it on the same line belong to it. A nested block (`augment { … }`)
 * is a value of the option before it, grouped by that option's own option names.
 */
function block(ctx: BuildContext, n: CstNode, specs: readonly OptionSpec[]): Option[] {
  const names = optionNames(specs);
  const c = n.children as Children;
  const items = [...subs(c, 'value'), ...subs(c, 'block')]
    .map((node) => ({ node, offset: tokensOf(node)[0]?.startOffset ?? 0 }))
    .sort((a, b) => a.offset - b.offset);
  const options: Option[] = [];
  let cur: Option | undefined;
  let prevEnd = -1;
  let reportedLine = -1;
  for (const { node } of items) {
    const nested = node.name === 'block';
    const item: Value = nested ? { kind: 'block', options: [], span: nodeSpan(ctx, node) } : value(ctx, node);
    const newLine = item.span.line > prevEnd;
    prevEnd = endLine(ctx, item.span);
    if (item.kind === 'word' && (newLine || !cur || names.has(item.value))) {
      cur = { name: item.value, nameSpan: item.span, values: [], span: item.span };
      options.push(cur);
    } else if (cur && (!newLine || nested)) {
      if (item.kind === 'block') {
        const spec = specs.find((o) => o.name === cur!.name);
        const inner = spec?.forms.flat().find((v) => v.type === 'block');
        item.options = block(ctx, node, inner?.type === 'block' ? inner.options : []);
      }
      cur.values.push(item);
      cur.span = joinSpans(cur.span, item.span);
    } else {
      cur = undefined;
      if (reportedLine !== item.span.line) {
        reportedLine = item.span.line;
        ctx.diagnostics.push(
          diag(
            'SQ301',
            item.span,
            'expected an option name here',
            'options are written `name value…`, e.g. `sparsity 25%`',
          ),
        );
      }
    }
  }
  return options;
}
