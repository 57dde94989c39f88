// parseRecipe: lex, split into statements, parse each with recovery, build the AST, resolve includes.
import { EOF, type IRecognitionException, type IToken } from 'chevrotain';
import type { RecipeAst, Statement } from './ast.ts';
import { type BuildContext, buildStatement, tokenSpan } from './build.ts';
import { type Diagnostic, diag, sortDiagnostics } from './diagnostics.ts';
import {
  KW,
  keywordToken,
  LBrace,
  LBracket,
  LParen,
  lex,
  RBrace,
  RBracket,
  RParen,
  STATEMENT_KEYWORDS,
  Word,
} from './lexer.ts';
import { HELP_SEP, parser } from './parser.ts';
import { LineIndex } from './span.ts';
import { didYouMean } from './suggest.ts';

/** The host reads included files (the core does no I/O). Return undefined (or throw) when missing. */
export type IncludeHost = (path: string, fromFile: string) => { file: string; text: string } | undefined;

export interface ParseOptions {
  file?: string;
  include?: IncludeHost;
}

/** A comment as the lexer found it (its own type, so the public API does not expose chevrotain's). */
export interface CommentToken {
  image: string;
  startOffset: number;
  startColumn?: number | undefined;
}

export interface ParseResult {
  ast: RecipeAst;
  diagnostics: Diagnostic[];
  /** Comment tokens of this file (for the formatter). */
  comments: CommentToken[];
  /** Texts of every file read, by file name (for rendering diagnostics). */
  sources: Map<string, string>;
}

const MAX_DEPTH = 64;
/** and/or/not nest in the AST; bound them so walking it cannot overflow the stack. */
const MAX_OPERATORS = 256;
const MAX_DIAGNOSTICS = 100;
const MAX_ERRORS_PER_STATEMENT = 3;
const MAX_INCLUDE_DEPTH = 32;
/** A fan-out of files that include each other several times (no cycle) grows exponentially. */
const MAX_INCLUDES = 256;
const MAX_INCLUDED_TEXT = 4_000_000;
const STATEMENT_TYPES = new Set(STATEMENT_KEYWORDS.map(keywordToken));
const OPENERS = new Set([LBrace, LBracket, LParen]);
const CLOSERS = new Set([RBrace, RBracket, RParen]);

/** Parse a recipe. Never throws on input: problems come back as diagnostics. */
export function parseRecipe(text: string, options: ParseOptions = {}): ParseResult {
  const file = options.file ?? '<recipe>';
  const sources = new Map<string, string>();
  const budget: IncludeBudget = { files: 0, chars: 0 };
  const result = parseFile(text, file, options.include, [file], sources, budget);
  return { ...result, diagnostics: sortDiagnostics(result.diagnostics), sources };
}

/** What includes have used so far in one parse (all files, repeats counted). */
interface IncludeBudget {
  files: number;
  chars: number;
  /** Past a limit, one diagnostic says so; the includes after it are skipped quietly. */
  spent?: boolean;
}

function parseFile(
  text: string,
  file: string,
  host: IncludeHost | undefined,
  stack: string[],
  sources: Map<string, string>,
  budget: IncludeBudget,
): Omit<ParseResult, 'sources'> {
  sources.set(file, text);
  const lexed = lex(text, file);
  const diagnostics = lexed.diagnostics;
  const ctx: BuildContext = { file, text, diagnostics };
  const statements: Statement[] = [];
  for (const chunk of splitStatements(lexed.tokens)) {
    if (diagnostics.length >= MAX_DIAGNOSTICS) {
      const t = chunk[0]!;
      diagnostics.push(
        diag(
          'SQ201',
          tokenSpan(ctx, t),
          `too many problems: stopped checking after ${MAX_DIAGNOSTICS}`,
          'fix the ones above first',
        ),
      );
      break;
    }
    const stmt = parseStatement(ctx, chunk);
    if (stmt) statements.push(stmt);
  }
  if (host) {
    for (const s of statements) {
      if (s.kind === 'include') resolveInclude(s, file, host, stack, sources, diagnostics, budget);
    }
  }
  return { ast: { file, statements }, diagnostics, comments: lexed.comments };
}

function resolveInclude(
  s: Statement & { kind: 'include' },
  file: string,
  host: IncludeHost,
  stack: string[],
  sources: Map<string, string>,
  diagnostics: Diagnostic[],
  budget: IncludeBudget,
): void {
  if (budget.spent) return;
  if (budget.files >= MAX_INCLUDES) {
    budget.spent = true;
    diagnostics.push(
      diag(
        'SQ325',
        s.pathSpan,
        `more than ${MAX_INCLUDES} includes in all`,
        'include each file once, from one place',
      ),
    );
    return;
  }
  let got: { file: string; text: string } | undefined;
  let why = 'the host could not find it';
  try {
    got = host(s.path, file);
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }
  if (!got) {
    diagnostics.push(
      diag(
        'SQ318',
        s.pathSpan,
        `cannot include "${s.path}": ${why}`,
        'paths are relative to the including file',
      ),
    );
    return;
  }
  if (stack.includes(got.file)) {
    const chain = [...stack.slice(stack.indexOf(got.file)), got.file].join(' → ');
    diagnostics.push(
      diag('SQ319', s.pathSpan, `include cycle: ${chain}`, 'remove one of the includes in the cycle'),
    );
    return;
  }
  if (stack.length >= MAX_INCLUDE_DEPTH) {
    diagnostics.push(diag('SQ319', s.pathSpan, `includes nested deeper than ${MAX_INCLUDE_DEPTH} files`));
    return;
  }
  budget.files++;
  budget.chars += got.text.length;
  if (budget.chars > MAX_INCLUDED_TEXT) {
    budget.spent = true;
    diagnostics.push(
      diag(
        'SQ325',
        s.pathSpan,
        `included recipes exceed ${MAX_INCLUDED_TEXT / 1e6} MB of text in all`,
        'a recipe is a few hundred bytes: check that the path names a .squish file',
      ),
    );
    return;
  }
  const sub = parseFile(got.text, got.file, host, [...stack, got.file], sources, budget);
  diagnostics.push(...sub.diagnostics);
  s.recipe = sub.ast;
}

/** A statement starts at a statement keyword that is first on its line or outside any brackets. */
function splitStatements(tokens: IToken[]): IToken[][] {
  const chunks: IToken[][] = [];
  let cur: IToken[] = [];
  let depth = 0;
  let prevLine = 0;
  for (const t of tokens) {
    const firstOnLine = (t.startLine ?? 0) > prevLine;
    if (STATEMENT_TYPES.has(t.tokenType) && (firstOnLine || depth <= 0) && cur.length > 0) {
      chunks.push(cur);
      cur = [];
      depth = 0;
    }
    if (OPENERS.has(t.tokenType)) depth++;
    else if (CLOSERS.has(t.tokenType)) depth--;
    cur.push(t);
    prevLine = t.endLine ?? t.startLine ?? prevLine;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

function unknownStatement(ctx: BuildContext, t: IToken): Diagnostic {
  if (t.tokenType === Word) {
    return diag(
      'SQ202',
      tokenSpan(ctx, t),
      `unknown statement '${t.image.length > 40 ? `${t.image.slice(0, 40)}…` : t.image}'`,
      didYouMean(t.image, STATEMENT_KEYWORDS) ?? `statements are ${STATEMENT_KEYWORDS.join(', ')}`,
    );
  }
  return diag(
    'SQ202',
    tokenSpan(ctx, t),
    `expected a statement but found '${t.image.slice(0, 40)}'`,
    `statements start with ${STATEMENT_KEYWORDS.join(', ')}`,
  );
}

function parseStatement(ctx: BuildContext, chunk: IToken[]): Statement | undefined {
  const first = chunk[0]!;
  if (!STATEMENT_TYPES.has(first.tokenType)) {
    ctx.diagnostics.push(unknownStatement(ctx, first));
    return undefined;
  }
  let depth = 0;
  let operators = 0;
  for (const t of chunk) {
    if (OPENERS.has(t.tokenType)) depth++;
    else if (CLOSERS.has(t.tokenType)) depth--;
    else if (t.tokenType === KW.and || t.tokenType === KW.or || t.tokenType === KW.not) operators++;
    if (depth > MAX_DEPTH || operators > MAX_OPERATORS) {
      const what =
        depth > MAX_DEPTH
          ? `brackets nested deeper than ${MAX_DEPTH} levels`
          : `more than ${MAX_OPERATORS} and/or/not in one statement`;
      ctx.diagnostics.push(diag('SQ105', tokenSpan(ctx, t), what, 'simplify the expression'));
      return undefined;
    }
  }
  parser.input = chunk;
  const cst = parser.statement();
  const errors = parser.errors;
  if (errors.length > 0) {
    const last = chunk[chunk.length - 1]!;
    // Recovery can cascade on the same line: report the first error of each line (a few at most).
    let line = -1;
    let n = 0;
    for (const e of errors) {
      const d = syntaxError(ctx, e, last);
      if (d.span.line === line) continue;
      line = d.span.line;
      ctx.diagnostics.push(d);
      if (++n >= MAX_ERRORS_PER_STATEMENT) break;
    }
    // Only redundant input after a complete statement: the statement itself is still checked.
    if (!errors.every((e) => e.name === 'NotAllInputParsedException')) return undefined;
  }
  return buildStatement(ctx, cst);
}

function syntaxError(ctx: BuildContext, e: IRecognitionException, last: IToken): Diagnostic {
  const t = e.token;
  const [message, help] = e.message.split(HELP_SEP);
  const lineStart = t.startOffset - ((t.startColumn ?? 1) - 1);
  const firstOnLine = ctx.text.slice(lineStart, t.startOffset).trim() === '';
  if (e.name === 'NotAllInputParsedException' && t.tokenType === Word && firstOnLine) {
    return unknownStatement(ctx, t);
  }
  const atEnd = t.tokenType === EOF || Number.isNaN(t.startOffset);
  const span = atEnd
    ? new LineIndex(ctx.file, ctx.text).span(last.startOffset + last.image.length, 1)
    : tokenSpan(ctx, t);
  // A misspelled connective after a complete statement (`prune weights of conv were …`).
  const late =
    e.name === 'NotAllInputParsedException' && t.tokenType === Word
      ? didYouMean(t.image, ['where', 'of', 'and', 'or', 'not'])
      : undefined;
  return diag('SQ201', span, message ?? 'syntax error', help ?? late);
}
