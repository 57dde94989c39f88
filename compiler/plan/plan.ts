// The per-layer plan: every lossy statement's selectors resolved against the model's layers,
// then the cascade (last statement wins per layer and action kind, `keep` always wins) and the
// check that the actions left on one layer can compose.

import type { Expr, Selector, Statement } from '../../dsl/ast.ts';
import type { Diagnostic } from '../../dsl/diagnostics.ts';
import { UserError } from '../../runtime/errors.ts';
import { at, describe, optionsText } from './options.ts';
import { type Settings, settingsOf } from './settings.ts';

/** Kinds of action; for one layer and one kind the last statement wins. */
export type ActionKind =
  | 'prune-structure' // layers, channels (tensors shrink)
  | 'prune-sparse' // kernels, blocks, N:M, weights (zeros)
  | 'factorize'
  | 'cluster'
  | 'quantize-weights'
  | 'quantize-activations';

export type LayerStatement = Extract<Statement, { kind: 'prune' | 'factorize' | 'quantize' | 'cluster' }>;

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
}

export interface LayerRef {
  name: string;
  op: string;
  /** Constant inputs; `quantize activations` without selectors applies to Conv/Gemm/MatMul layers that have some. */
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

export function actionKind(s: LayerStatement): ActionKind {
  switch (s.kind) {
    case 'prune':
      return s.granularity.kind === 'layers' || s.granularity.kind === 'channels'
        ? 'prune-structure'
        : 'prune-sparse';
    case 'factorize':
      return 'factorize';
    case 'cluster':
      return 'cluster';
    case 'quantize':
      return s.what === 'weights' ? 'quantize-weights' : 'quantize-activations';
  }
}

function isLayerStatement(s: Statement): s is LayerStatement {
  return s.kind === 'prune' || s.kind === 'factorize' || s.kind === 'quantize' || s.kind === 'cluster';
}

/** A diagnostics list as one UserError (every error, one a line). */
export function diagnosticsError(diags: Diagnostic[], render?: (d: Diagnostic) => string): UserError {
  const lines = diags.map((d) =>
    render
      ? render(d)
      : `${d.span.file}:${d.span.line}:${d.span.column}: ${d.severity}[${d.code}]: ${d.message}${d.help ? `\n  help: ${d.help}` : ''}`,
  );
  return new UserError(lines.join('\n'));
}

export function buildPlan(
  statements: Statement[],
  layers: LayerRef[],
  resolve: ResolveSelectors,
  render?: (d: Diagnostic) => string,
): Plan {
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
    if (!isLayerStatement(s)) continue;
    const res =
      s.kind === 'quantize' && s.what === 'activations' && !s.selectors
        ? {
            // layers with weights that have a quantized kernel (QLinearConv, QGemm, QLinearMatMul)
            matches: layers
              .filter((l) => l.weightNames?.length && ['Conv', 'Gemm', 'MatMul'].includes(l.op))
              .map((l) => l.name),
            diagnostics: [],
          }
        : resolve(s.selectors, s.where);
    errors.push(...res.diagnostics.filter((d) => d.severity === 'error'));
    summary.push({ statement: describe(s), from: at(s.span), selected: res.matches.length, applied: 0, s });
    const action: Omit<PlannedAction, 'kind'> = {
      action: describe(s),
      options: optionsText(s.options),
      from: at(s.span),
      statement: s,
    };
    const kind = actionKind(s);
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
  if (errors.length) throw diagnosticsError(errors, render);
  const applied = new Map<LayerStatement, number>();
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
      if (x && y) {
        throw new UserError(
          `${x.action} (${x.from}) and ${y.action} (${y.from}) cannot both apply to layer ${lp.name}: ${why}`,
          'narrow one of the two selectors, or keep the layer',
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
  };
}

/** The fixed pipeline order of RECIPE-LANGUAGE.md ("Meaning"), by action kind. */
export const PIPELINE: ActionKind[] = [
  'prune-structure',
  'factorize',
  'prune-sparse',
  'cluster',
  'quantize-weights',
  'quantize-activations',
];
