// The recipe AST: every node carries the span of the source text it came from.
import type { Span } from './span.ts';
import type { StatementKeyword } from './table/index.ts';

/** A value as written: numbers keep their source text (`64k`) and their meaning. */
export type Value =
  | { kind: 'number'; text: string; value: number; unit: Unit; span: Span }
  | { kind: 'dims'; text: string; a: number; b: number; span: Span } // 3x3, 192x48
  | { kind: 'ratio'; text: string; n: number; m: number; span: Span } // 2:4
  | { kind: 'range'; lo: Value; hi: Value; span: Span } // 20%..60%, 4..8, binary..8
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'word'; value: string; span: Span }
  | { kind: 'list'; items: Value[]; span: Span }
  | { kind: 'block'; options: Option[]; span: Span }; // augment { crop 0.8..1  flip }

/**
 * '' plain number; 'count' k/M/G (value already scaled); '%' percent (value in percent); 'bytes';
 * 'seconds' (ms, s, m, h; value in seconds).
 */
export type Unit = '' | 'count' | '%' | 'bytes' | 'seconds' | 'bad';

export interface Option {
  name: string;
  nameSpan: Span;
  values: Value[];
  span: Span;
}

export type Selector =
  | { kind: 'all'; span: Span } // *
  | { kind: 'op'; op: string; span: Span } // conv, linear, depthwise
  | { kind: 'position'; op: string; from: number; to?: number; span: Span } // conv[0], conv[2..5]
  | { kind: 'glob'; pattern: string; span: Span } // "head/*"
  | { kind: 'regex'; source: string; flags: string; span: Span }; // /.*classifier.*/i

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr; span: Span }
  | { kind: 'not'; operand: Expr; span: Span }
  | { kind: 'cmp'; property: string; propertySpan: Span; op: CmpOp; value: Value; span: Span }
  | { kind: 'flag'; property: string; span: Span }; // bare `depthwise`

export interface InputDecl {
  name: string;
  nameSpan: Span;
  dtype: string;
  dtypeSpan: Span;
  dims: (number | string)[];
  span: Span;
}

interface Base {
  span: Span; // the whole statement
  keywordSpan: Span; // its first word
}

/** Keywords of the statements with their own argument shape (the rest are table statements). */
type ArgumentKeyword = 'recipe' | 'include' | 'model' | 'cleanup' | 'target';

/** A statement the table describes by its parts: `prune channels of conv where … { … }`. */
export interface TableStatement extends Base {
  kind: Exclude<StatementKeyword, ArgumentKeyword>;
  /** The second word of a statement with forms (`quantize weights`). */
  variant?: string;
  granularity?: Granularity;
  selectors?: Selector[];
  where?: Expr;
  options?: Option[];
}

export type Statement =
  | (Base & { kind: 'recipe'; name: string })
  | (Base & { kind: 'include'; path: string; pathSpan: Span; recipe?: RecipeAst })
  | (Base & { kind: 'model'; inputs: InputDecl[] })
  | (Base & { kind: 'cleanup'; mode: string; modeSpan: Span })
  | (Base & { kind: 'target'; metric: string; metricSpan: Span; op: CmpOp; value: Value })
  | TableStatement;

/** The statement with this keyword (a table statement narrowed to its kind). */
export type StatementOf<K extends Statement['kind']> = [Extract<Statement, { kind: K }>] extends [never]
  ? TableStatement & { kind: K }
  : Extract<Statement, { kind: K }>;

/** `channels` (alias `filters` is normalized to `channels`), `blocks` with RxC, `N:M`. */
export type Granularity =
  | { kind: 'layers' | 'channels' | 'kernels' | 'weights'; word: string; span: Span }
  | { kind: 'blocks'; r: number; c: number; text: string; span: Span }
  | { kind: 'nm'; n: number; m: number; text: string; span: Span }
  | { kind: 'unknown'; word: string; span: Span };

export interface RecipeAst {
  file: string;
  statements: Statement[];
}

/** Statements in order with every resolved include inlined in place (the include nodes dropped). */
export function flattenStatements(ast: RecipeAst): Statement[] {
  const out: Statement[] = [];
  for (const s of ast.statements) {
    if (s.kind === 'include') {
      if (s.recipe) out.push(...flattenStatements(s.recipe));
    } else out.push(s);
  }
  return out;
}

/** A deep copy with every span (and resolved include) removed: for comparing ASTs. */
export function stripSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSpans);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'span' || k.endsWith('Span') || k === 'file' || k === 'recipe') continue;
      if (v === undefined) continue;
      out[k] = stripSpans(v);
    }
    return out;
  }
  return node;
}
