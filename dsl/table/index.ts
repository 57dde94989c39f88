// The statement table: every statement of the recipe language, in the order the reference lists
// them. The parser, AST builder, checks, formatter, plan, describe text, hover docs and the dsl
// reference are derived from it; adding a statement is one entry here (plus its compiler pass).
import type { Statement, TableStatement } from '../ast.ts';
import { calibrate } from './calibrate.ts';
import { cluster, factorize, keep, quantizeActivations, quantizeWeights } from './layers.ts';
import { prune } from './prune.ts';
import { cleanup, include, model, output, recipe, search, target } from './settings.ts';
import { distill, finetune } from './train.ts';
import type { OptionSpec, StatementDef } from './types.ts';

export const STATEMENTS = [
  recipe,
  include,
  model,
  calibrate,
  prune,
  factorize,
  quantizeWeights,
  quantizeActivations,
  cluster,
  keep,
  cleanup,
  distill,
  finetune,
  output,
  search,
  target,
] as const satisfies readonly StatementDef[];

/** The first word of every statement (a statement keyword when first on its line). */
export type StatementKeyword =
  | 'recipe'
  | 'include'
  | 'model'
  | 'calibrate'
  | 'prune'
  | 'factorize'
  | 'quantize'
  | 'cluster'
  | 'keep'
  | 'cleanup'
  | 'distill'
  | 'finetune'
  | 'output'
  | 'search'
  | 'target';

export const STATEMENT_KEYWORDS: string[] = [...new Set(STATEMENTS.map((d) => d.keyword))];

const BY_ID = new Map<string, StatementDef>(STATEMENTS.map((d) => [d.id, d]));

/** The forms of a keyword: one, or one per variant word (`quantize weights|activations`). */
export function defsOf(keyword: string): StatementDef[] {
  return STATEMENTS.filter((d) => d.keyword === keyword);
}

/** The table entry of a parsed statement. */
export function defOf(s: Statement): StatementDef {
  const variant = 'variant' in s ? s.variant : undefined;
  const d = BY_ID.get(variant ? `${s.kind}-${variant}` : s.kind) ?? defsOf(s.kind)[0];
  if (!d) throw new Error(`no table entry for statement ${s.kind}`);
  return d;
}

export function defById(id: string): StatementDef | undefined {
  return BY_ID.get(id);
}

/** Option specs of a parsed table statement. */
export function optionSpecs(s: TableStatement): OptionSpec[] {
  return defOf(s).options ?? [];
}

/** Every action kind with its pipeline stage, in pipeline order. */
export const ACTION_KINDS: { kind: string; stage: number; id: string }[] = STATEMENTS.flatMap((d) =>
  'action' in d && d.action ? d.action.kinds.map((k) => ({ ...k, id: d.id })) : [],
).sort((a, b) => a.stage - b.stage);

/** The action kind of a statement that acts on layers, else undefined. */
export function actionKindOf(s: Statement): string | undefined {
  const d = defOf(s);
  if (!d.action || !isTableStatement(s)) return undefined;
  return d.action.kindOf ? d.action.kindOf(s) : d.action.kinds[0]!.kind;
}

export function isTableStatement(s: Statement): s is TableStatement {
  return defOf(s).shape.argument === undefined;
}

/** Short name in plans and messages: `prune channels`, `quantize weights`, `distill`. */
export function statementTitle(s: Statement): string {
  const d = defOf(s);
  if (d.title && isTableStatement(s)) return d.title(s);
  return d.variant ? `${d.keyword} ${d.variant}` : d.keyword;
}

export * from './types.ts';
