// The formatter: one canonical layout from the AST, comments kept in place, idempotent.
import type { Expr, InputDecl, Option, Selector, Statement, TableStatement } from './ast.ts';
import { type Diagnostic, hasErrors } from './diagnostics.ts';
import { KEYWORDS as KEYWORD_LIST } from './lexer.ts';
import { parseRecipe } from './parse.ts';
import { defOf, type OptionSpec, optionNames, optionSpecs } from './table/index.ts';
import { granularityText } from './table/prune.ts';
import { optionText, quote, valueText } from './values.ts';

export interface FormatResult {
  /** The formatted text; the input unchanged when it has syntax errors. */
  text: string;
  diagnostics: Diagnostic[];
  ok: boolean;
}

interface Unit {
  text: string;
  indent: number;
  start: number; // source offset where the construct on this line starts
  top: boolean; // a statement's first line
  stmtIndex: number;
  leading: { image: string; offset: number; end: number }[];
  trailing: string[];
}

const BLANK = /\n[ \t\r\f\v]*\n/;

const INLINE_MAX = 80;
const WORD_RE = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\u00C0-\uFFFF-]*(?:\+\+)?$/;
const KEYWORDS = new Set(KEYWORD_LIST);

/** Format a recipe. Text that does not parse cleanly comes back unchanged with its diagnostics. */
export function formatRecipe(text: string, options: { file?: string } = {}): FormatResult {
  const parsed = parseRecipe(text, { file: options.file ?? '<recipe>' });
  if (hasErrors(parsed.diagnostics)) return { text, diagnostics: parsed.diagnostics, ok: false };
  const units: Unit[] = [];
  parsed.ast.statements.forEach((s, i) => {
    const hasInnerComment = parsed.comments.some(
      (c) => c.startOffset > s.span.offset && c.startOffset < s.span.offset + s.span.length,
    );
    for (const u of statementUnits(s, hasInnerComment))
      units.push({ ...u, stmtIndex: i, leading: [], trailing: [] });
  });
  const tail: { image: string; offset: number; end: number }[] = [];
  for (const c of parsed.comments) {
    const image = c.image.replace(/\s+$/, '');
    const lineStart = c.startOffset - ((c.startColumn ?? 1) - 1);
    const ownLine = text.slice(lineStart, c.startOffset).trim() === '';
    const entry = { image, offset: c.startOffset, end: c.startOffset + c.image.length };
    if (ownLine) {
      const next = units.find((u) => u.start > c.startOffset);
      if (next) next.leading.push(entry);
      else tail.push(entry);
    } else {
      let owner: Unit | undefined;
      for (const u of units) if (u.start <= c.startOffset) owner = u;
      if (owner) owner.trailing.push(image);
      else tail.push(entry);
    }
  }
  const out: string[] = [];
  let prevEnd = 0;
  let prevStmt = -1;
  for (const u of units) {
    const pad = '  '.repeat(u.indent);
    // Blank lines survive (one at most) between statements and around their leading comments.
    let from = prevEnd;
    for (const l of u.leading) {
      if (u.top && out.length > 0 && BLANK.test(text.slice(from, l.offset))) out.push('');
      out.push(pad + l.image);
      from = l.end;
    }
    if (u.top && out.length > 0 && BLANK.test(text.slice(from, u.start))) out.push('');
    out.push(pad + u.text + (u.trailing.length ? `  ${u.trailing[0]}` : ''));
    for (const extra of u.trailing.slice(1)) out.push(pad + extra);
    if (u.stmtIndex !== prevStmt) {
      const s = parsed.ast.statements[u.stmtIndex]!;
      prevEnd = s.span.offset + s.span.length;
      prevStmt = u.stmtIndex;
    }
  }
  let from = prevEnd;
  for (const l of tail) {
    if (out.length > 0 && BLANK.test(text.slice(from, l.offset))) out.push('');
    out.push(l.image);
    from = l.end;
  }
  const formatted = out.length ? `${out.join('\n')}\n` : '';
  return { text: formatted, diagnostics: parsed.diagnostics, ok: true };
}

type RawUnit = Omit<Unit, 'stmtIndex' | 'leading' | 'trailing'>;

function statementUnits(s: Statement, hasInnerComment: boolean): RawUnit[] {
  const start = s.span.offset;
  const end = s.span.offset + s.span.length;
  const one = (t: string): RawUnit[] => [{ text: t, indent: 0, start, top: true }];
  switch (s.kind) {
    case 'recipe':
      return one(`recipe ${quote(s.name)}`);
    case 'include':
      return one(`include ${quote(s.path)}`);
    case 'cleanup':
      return one(`cleanup ${s.mode}`);
    case 'target':
      return one(`target ${s.metric} ${s.op} ${valueText(s.value)}`);
    case 'model': {
      if (s.inputs.length === 0 && !hasInnerComment) return one('model {}');
      return [
        { text: 'model {', indent: 0, start, top: true },
        ...s.inputs.map((i) => ({ text: inputDecl(i), indent: 1, start: i.span.offset, top: false })),
        { text: '}', indent: 0, start: end - 1, top: false },
      ];
    }
    default: {
      const head = headerText(s);
      if (!s.options) return one(head);
      return block(head, s.options, optionSpecs(s), { start, end, indent: 0, top: true }, hasInnerComment);
    }
  }
}

/** A statement's first line without its block: `prune channels of conv where …`, `quantize activations`. */
export function headerText(s: TableStatement): string {
  const d = defOf(s);
  const words = [
    d.keyword,
    ...(d.variant ? [d.variant] : []),
    ...(s.granularity ? [granularityText(s)] : []),
  ];
  const sel = s.selectors ? `${d.shape.selectors === 'bare' ? '' : 'of '}${selectors(s.selectors)}` : '';
  return [...words, ...(sel ? [sel] : [])].join(' ') + where(s.where);
}

/** On one line when every option is known, there are at most three of at most two plain values. */
function inlineable(options: Option[], specs: readonly OptionSpec[]): boolean {
  const known = optionNames(specs);
  return (
    options.every((o) => known.has(o.name)) &&
    options.length <= 3 &&
    options.every(
      (o) => o.values.length <= 2 && o.values.every((v) => v.kind !== 'list' && v.kind !== 'block'),
    )
  );
}

function block(
  head: string,
  options: Option[],
  specs: readonly OptionSpec[],
  at: { start: number; end: number; indent: number; top: boolean },
  hasInnerComment: boolean,
): RawUnit[] {
  const { start, end, indent, top } = at;
  if (options.length === 0 && !hasInnerComment) return [{ text: `${head} {}`, indent, start, top }];
  const inline = `${head} { ${options.map(optionText).join('  ')} }`;
  if (inlineable(options, specs) && !hasInnerComment && inline.length + 2 * indent <= INLINE_MAX)
    return [{ text: inline, indent, start, top }];
  return [
    { text: `${head} {`, indent, start, top },
    ...options.flatMap((o) => optionUnits(o, specs, indent + 1, hasInnerComment)),
    { text: '}', indent, start: end - 1, top: false },
  ];
}

/** One option on its own line; a nested block value opens its own lines when it does not fit on one. */
function optionUnits(
  o: Option,
  specs: readonly OptionSpec[],
  indent: number,
  hasInnerComment: boolean,
): RawUnit[] {
  const last = o.values[o.values.length - 1];
  if (last?.kind !== 'block') return [{ text: optionText(o), indent, start: o.span.offset, top: false }];
  const inner = specs
    .find((x) => x.name === o.name)
    ?.forms.flat()
    .find((v) => v.type === 'block');
  const head = [o.name, ...o.values.slice(0, -1).map(valueText)].join(' ');
  return block(
    head,
    last.options,
    inner?.type === 'block' ? inner.options : [],
    { start: o.span.offset, end: last.span.offset + last.span.length, indent, top: false },
    hasInnerComment,
  );
}

function name(n: string): string {
  return WORD_RE.test(n) && !KEYWORDS.has(n) ? n : quote(n);
}

function inputDecl(i: InputDecl): string {
  return `input ${name(i.name)}: ${i.dtype}[${i.dims.map((d) => (typeof d === 'number' ? String(d) : name(d))).join(', ')}]`;
}

export function selectors(list: Selector[]): string {
  return list.map(selectorText).join(', ');
}

export function selectorText(s: Selector): string {
  switch (s.kind) {
    case 'all':
      return '*';
    case 'op':
      return s.op;
    case 'position':
      return `${s.op}[${s.from}${s.to !== undefined ? `..${s.to}` : ''}]`;
    case 'glob':
      return quote(s.pattern);
    case 'regex':
      return `/${s.source}/${s.flags}`;
  }
}

function where(e: Expr | undefined): string {
  return e ? ` where ${exprText(e, 0)}` : '';
}

const PREC = { or: 1, and: 2, not: 3, cmp: 4, flag: 4 } as const;

/** Minimal parentheses: a child binding looser than its place needs them. */
export function exprText(e: Expr, min: number): string {
  const p = PREC[e.kind];
  let t: string;
  switch (e.kind) {
    case 'and':
    case 'or':
      t = `${exprText(e.left, p)} ${e.kind} ${exprText(e.right, p + 1)}`;
      break;
    case 'not':
      t = `not ${exprText(e.operand, PREC.not)}`;
      break;
    case 'flag':
      t = e.property;
      break;
    case 'cmp':
      t = `${e.property} ${e.op} ${valueText(e.value)}`;
  }
  return p < min ? `(${t})` : t;
}
