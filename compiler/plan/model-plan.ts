// The plan of a recipe for one model: layers from the IR (shapes inferred at the pinned inputs),
// selectors resolved by the recipe language, the cascade applied, and every check that needs the
// model (the same for `squish check --model` and compile); plus near-misses for --explain.

import type { Statement } from '../../dsl/ast.ts';
import { type Diagnostic, diag, sortDiagnostics } from '../../dsl/diagnostics.ts';
import { exprText } from '../../dsl/format.ts';
import { type LayerInfo, resolveSelectors } from '../../dsl/select.ts';
import { nearest } from '../../dsl/suggest.ts';
import { statementTitle } from '../../dsl/table/index.ts';
import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { type Dim, inferShapes } from '../../runtime/ir/shape/index.ts';
import { calibrationMismatch } from '../data/calibration.ts';
import { taskOfShape } from '../fidelity/task.ts';
import { unconvertible } from '../opset/convert.ts';
import { rangeEnds } from '../search/ends.ts';
import { buildLayers, modelInputs } from '../select/layers.ts';
import { lossyChecks, lossyPreviews } from './lower.ts';
import { at } from './options.ts';
import { pendingStatements } from './pending.ts';
import { buildPlan, type Plan } from './plan.ts';
import { type LoadedRecipe, RecipeError } from './recipe.ts';

export interface NearMissReport {
  layer: string;
  statement: string;
  from: string;
  reason: string;
}

export interface ModelPlan extends Plan {
  /** Every layer of the model as the recipe language sees it. */
  layerInfo: LayerInfo[];
  /** Input shapes pinned by `model { input … }` (and the caller's --shape). */
  inputShapes: Record<string, Dim[]>;
  nearMisses: NearMissReport[];
}

function pinnedShapes(
  model: Model,
  statements: Statement[],
  pinned: Record<string, Dim[]>,
  out: Diagnostic[],
): Record<string, Dim[]> {
  const names = modelInputs(model);
  const shapes: Record<string, Dim[]> = {};
  for (const s of statements) {
    if (s.kind !== 'model') continue;
    for (const i of s.inputs) {
      if (!names.includes(i.name)) {
        const near = nearest(i.name, names);
        out.push(
          diag(
            'SQ404',
            i.nameSpan,
            `the model has no input '${i.name}'`,
            near.length
              ? `did you mean ${near.map((n) => `'${n}'`).join(', ')}?`
              : `its inputs are ${names.join(', ')}`,
          ),
        );
      } else shapes[i.name] = [...i.dims];
    }
  }
  // sizes given by the caller (--shape) win over the recipe's model block
  for (const [name, dims] of Object.entries(pinned)) {
    if (!names.includes(name)) {
      const near = nearest(name, names);
      throw new UserError(
        `--shape ${name}=…: the model has no input '${name}'`,
        near.length
          ? `did you mean ${near.map((n) => `'${n}'`).join(', ')}?`
          : `its inputs are ${names.join(', ')}`,
      );
    }
    shapes[name] = [...dims];
  }
  return shapes;
}

function nearMissesOf(statements: Statement[], layers: LayerInfo[], plan: Plan): NearMissReport[] {
  const out: NearMissReport[] = [];
  for (const s of statements) {
    if (!('selectors' in s) || !s.selectors || !('where' in s) || !s.where) continue;
    const all = resolveSelectors(s.selectors, layers).matches;
    const kept = new Set(resolveSelectors(s.selectors, layers, s.where).matches.map((l) => l.name));
    const cond = exprText(s.where, 0);
    for (const l of all) {
      if (kept.has(l.name)) continue;
      out.push({
        layer: l.name,
        statement: statementTitle(s),
        from: at(s.span),
        reason: `where ${cond} is false`,
      });
    }
  }
  for (const l of plan.layers) {
    for (const o of l.overridden)
      out.push({ layer: l.name, statement: o.action, from: o.from, reason: `overridden by ${o.by}` });
  }
  return out;
}

/** Recipe settings this model cannot honour: output opset, calibration data, targets. */
function settingsProblems(model: Model, plan: ModelPlan, outputs: Map<string, readonly Dim[]>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { opset, opsetSpan, calibration, targets } = plan.settings;
  const own = model.opset('') ?? 1;
  if (opset !== undefined && opsetSpan) {
    const bad = opset > own ? unconvertible(model, opset) : [];
    if (opset < own)
      out.push(
        diag(
          'SQ409',
          opsetSpan,
          `the model is at opset ${own}; lowering it to ${opset} is not supported`,
          `use ${own} or higher, or leave opset out`,
        ),
      );
    else if (bad.length)
      out.push(
        diag(
          'SQ409',
          opsetSpan,
          `cannot raise the opset from ${own} to ${opset}: squish does not convert ${bad.join(', ')}`,
          'leave opset out to keep the model at its own opset',
        ),
      );
  }
  if (calibration?.span) {
    const g = model.graph;
    const inputs = g.inputs
      .filter((i) => !g.initializers.has(i.name))
      .map((i) => ({
        name: i.name,
        dtype: i.type?.dtype ?? 'float32',
        shape: plan.inputShapes[i.name] ?? i.type?.shape,
      }));
    const p = calibrationMismatch(calibration, inputs);
    if (p) out.push(diag('SQ407', p.span ?? calibration.span, p.message, p.help));
  }
  for (const t of targets) {
    if (t.metric !== 'agreement' && t.metric !== 'accuracy') continue;
    const first = [...outputs.values()][0] ?? ['?'];
    const known = first.every((x) => typeof x === 'number');
    const task = calibration?.task ?? (known ? taskOfShape(first) : undefined);
    if (t.metric === 'accuracy' && task === 'segment-map')
      out.push(
        diag(
          'SQ410',
          t.span,
          `${t.text}: the model's first output [${first.join(', ')}] is a map, and labels are class indices or label sequences`,
          'use target agreement (map IoU with the original) for this model, or name its task: calibrate { task classify|ctc-text }',
        ),
      );
    if (task === 'regress')
      out.push(
        diag(
          'SQ410',
          t.span,
          `${t.text}: the model's first output [${first.join(', ')}] holds no answers (class scores, CTC scores, a map), so ${t.metric} is undefined`,
          'use target cosine or target snr for this model, or name its task: calibrate { task classify|ctc-text|segment-map }',
        ),
      );
  }
  return out;
}

/**
 * The plan with every diagnostic that needs the model. `pinned`: concrete input shapes from the
 * caller (CLI --shape), over the recipe's `model { … }`.
 */
export function analyzeModel(
  model: Model,
  recipe: LoadedRecipe,
  pinned: Record<string, Dim[]> = {},
): { plan: ModelPlan; diagnostics: Diagnostic[] } {
  const { statements } = recipe;
  const diagnostics: Diagnostic[] = [];
  const inputShapes = pinnedShapes(model, statements, pinned, diagnostics);
  const inference = inferShapes(model.graph, { opset: model.opset('') ?? 1, inputShapes });
  const layerInfo = buildLayers(model, (name) => inference.types.get(name)?.shape);
  const base = buildPlan(statements, layerInfo, (selectors, where) => {
    const r = resolveSelectors(selectors ?? [], layerInfo, where);
    return { matches: r.matches.map((l) => l.name), diagnostics: r.diagnostics };
  });
  const plan: ModelPlan = { ...base, layerInfo, inputShapes, nearMisses: [] };
  const outputs = new Map(
    model.graph.outputs.map(
      (o) => [o.name, inference.types.get(o.name)?.shape ?? o.type?.shape ?? ['?']] as const,
    ),
  );
  diagnostics.push(...base.diagnostics, ...settingsProblems(model, plan, outputs));
  // families read their settings: not from statements with what the compiler does not run yet
  const pending = pendingStatements(recipe.ast);
  const runnable: ModelPlan = {
    ...plan,
    layers: plan.layers.map((l) => ({ ...l, actions: l.actions.filter((a) => !pending.has(a.statement)) })),
  };
  // a range is checked at both of its ends (families read single values)
  const ends = rangeEnds(runnable);
  if (!diagnostics.some((d) => d.severity === 'error')) {
    const seen = new Set<string>();
    for (const d of ends.flatMap((p) => lossyChecks(model, p))) {
      const key = `${d.code} ${d.span.file}:${d.span.offset} ${d.message}`;
      if (!seen.has(key)) diagnostics.push(d);
      seen.add(key);
    }
  }
  plan.nearMisses = [...nearMissesOf(statements, layerInfo, plan), ...lossyPreviews(model, ends[0]!)];
  return { plan, diagnostics: sortDiagnostics(diagnostics) };
}

/** The plan of a recipe for a model; every problem with the model is one RecipeError. */
export function planModel(model: Model, recipe: LoadedRecipe, pinned: Record<string, Dim[]> = {}): ModelPlan {
  const { plan, diagnostics } = analyzeModel(model, recipe, pinned);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new RecipeError(errors, recipe.render);
  return plan;
}
