// The per-layer plan: every statement that acts on layers (the statement table's `action`) resolved
// against the model's layers, then the cascade (last statement wins per layer and action kind,
// `keep` always wins) and the check that the actions left on one layer can compose.

import type { Expr, Selector, Statement, TableStatement } from '../../dsl/ast.ts';
import { type Diagnostic, diag } from '../../dsl/diagnostics.ts';
import {
  ACTION_KINDS,
  actionKindOf,
  defOf,
  isTableStatement,
  statementTitle,
} from '../../dsl/table/index.ts';
import { at, optionsText } from './options.ts';
import { type Settings, settingsOf } from './settings.ts';

/** A kind of action (the table's action kinds: `prune-structure`, `quantize-weights`, `distill` …). */
export type ActionKind = string;

/** A statement that acts on layers. */
export type LayerStatement = TableStatement;

export interface PlannedAction {
  kind: ActionKind;
  /** What the statement says, short: `prune channels`, `quantize weights`. */
  action: string;
  options: Record<string, string>;
  /** `file:line` of the statement this action comes from. */
  from: string;
  statement: LayerStatement;
}

export interface LayerPlan {
  name: string;
  op: string;
  actions: PlannedAction[];
  /** `file:line` of the keep statement that protects this layer. */
  keptBy?: string;
  /** Actions that lost the cascade on this layer, with what beat them. */
  overridden: { action: string; from: string; by: string }[];
}

export interface Plan {
  layers: LayerPlan[];
  settings: Settings;
  /** Statements that select layers, in recipe order, with how many layers each ended up on. */
  statements: { statement: string; from: string; selected: number; applied: number }[];
  /** Errors of resolving the recipe on this model (selectors that match nothing, conflicts). */
  diagnostics: Diagnostic[];
}

export interface LayerRef {
  name: string;
  op: string;
  /** Constant inputs (layers without selectors default to those that have some). */
  weightNames?: string[];
}

/** Resolves a statement's selectors (and where) to layer names; errors come back as diagnostics. */
export type ResolveSelectors = (
  selectors: Selector[] | undefined,
  where: Expr | undefined,
) => { matches: string[]; diagnostics: Diagnostic[] };

/** Pairs of action kinds that cannot be on one layer together, with the reason. */
const INCOMPATIBLE: [ActionKind, ActionKind, string][] = [
  ['cluster', 'quantize-weights', 'a weight is either shared through a codebook or quantized, not both'],
];

/** The fixed pipeline order of RECIPE-LANGUAGE.md ("Meaning"), by action kind (from the table). */
export const PIPELINE: ActionKind[] = ACTION_KINDS.map((k) => k.kind);

/** Layers a statement without selectors acts on (the table's `defaultLayers`), filtered by its where. */
function defaultLayers(
  s: LayerStatement,
  layers: LayerRef[],
  resolve: ResolveSelectors,
): ReturnType<ResolveSelectors> {
  const which = defOf(s).action?.defaultLayers ?? 'weights';
  const where = s.where
    ? new Set(resolve([{ kind: 'all', span: s.keywordSpan }], s.where).matches)
    : undefined;
  const matches = layers
    .filter(
      (l) => l.weightNames?.length && (which === 'weights' || ['Conv', 'Gemm', 'MatMul'].includes(l.op)),
    )
    .map((l) => l.name)
    .filter((n) => !where || where.has(n));
  return { matches, diagnostics: [] };
}

export function buildPlan(statements: Statement[], layers: LayerRef[], resolve: ResolveSelectors): Plan {
  const byName = new Map<string, LayerPlan>();
  for (const l of layers) byName.set(l.name, { name: l.name, op: l.op, actions: [], overridden: [] });
  const errors: Diagnostic[] = [];
  const summary: (Plan['statements'][number] & { s?: LayerStatement })[] = [];
  const winners = new Map<string, Map<ActionKind, PlannedAction>>();
  for (const s of statements) {
    if (s.kind === 'keep') {
      const { matches, diagnostics } = resolve(s.selectors, s.where);
      errors.push(...diagnostics.filter((d) => d.severity === 'error'));
      for (const m of matches) {
        const lp = byName.get(m);
        if (lp) lp.keptBy = at(s.span);
      }
      summary.push({ statement: 'keep', from: at(s.span), selected: matches.length, applied: 0 });
      continue;
    }
    const kind = actionKindOf(s);
    if (kind === undefined || !isTableStatement(s)) continue;
    const res = s.selectors ? resolve(s.selectors, s.where) : defaultLayers(s, layers, resolve);
    errors.push(...res.diagnostics.filter((d) => d.severity === 'error'));
    const title = statementTitle(s);
    summary.push({ statement: title, from: at(s.span), selected: res.matches.length, applied: 0, s });
    const action: Omit<PlannedAction, 'kind'> = {
      action: title,
      options: optionsText(s.options),
      from: at(s.span),
      statement: s,
    };
    for (const m of res.matches) {
      const lp = byName.get(m);
      if (!lp) continue;
      let mine = winners.get(m);
      if (!mine) winners.set(m, (mine = new Map()));
      const prev = mine.get(kind);
      if (prev) lp.overridden.push({ action: prev.action, from: prev.from, by: action.from });
      mine.set(kind, { kind, ...action });
    }
  }
  const applied = new Map<LayerStatement, number>();
  const conflicts = new Set<string>();
  for (const lp of byName.values()) {
    const mine = winners.get(lp.name);
    if (!mine) continue;
    if (lp.keptBy) {
      for (const a of mine.values())
        lp.overridden.push({ action: a.action, from: a.from, by: `keep at ${lp.keptBy}` });
      continue;
    }
    for (const [a, b, why] of INCOMPATIBLE) {
      const x = mine.get(a);
      const y = mine.get(b);
      const key = `${x?.from}\0${y?.from}`;
      if (x && y && !conflicts.has(key)) {
        conflicts.add(key);
        const [first, later] = x.statement.span.offset <= y.statement.span.offset ? [x, y] : [y, x];
        errors.push(
          diag(
            'SQ406',
            later.statement.keywordSpan,
            `${later.action} and ${first.action} (${first.from}) cannot both apply to layer ${lp.name}: ${why}`,
            'narrow one of the two selectors, or keep the layer',
          ),
        );
      }
    }
    lp.actions = [...mine.values()].sort((p, q) => PIPELINE.indexOf(p.kind) - PIPELINE.indexOf(q.kind));
    for (const a of lp.actions) applied.set(a.statement, (applied.get(a.statement) ?? 0) + 1);
  }
  return {
    layers: layers.map((l) => byName.get(l.name)!),
    settings: settingsOf(statements),
    statements: summary.map(({ s, ...rest }) => ({ ...rest, applied: s ? (applied.get(s) ?? 0) : 0 })),
    diagnostics: errors,
  };
}
