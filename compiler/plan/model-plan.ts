// The plan of a recipe for one model: layers from the IR (shapes inferred at the pinned inputs),
// selectors resolved by the recipe language, the cascade applied; plus near-misses for --explain.

import type { Statement } from '../../dsl/ast.ts';
import { exprText } from '../../dsl/format.ts';
import { type LayerInfo, resolveSelectors } from '../../dsl/select.ts';
import { nearest } from '../../dsl/suggest.ts';
import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { type Dim, inferShapes } from '../../runtime/ir/shape/index.ts';
import { buildLayers, modelInputs } from '../select/layers.ts';
import { lossyPreviews } from './lower.ts';
import { at, describe } from './options.ts';
import { buildPlan, type Plan } from './plan.ts';
import type { LoadedRecipe } from './recipe.ts';
import { settingsOf } from './settings.ts';

export interface NearMissReport {
  layer: string;
  statement: string;
  from: string;
  reason: string;
}

export interface ModelPlan extends Plan {
  /** Every layer of the model as the recipe language sees it. */
  layerInfo: LayerInfo[];
  /** Input shapes pinned by `model { input … }`. */
  inputShapes: Record<string, Dim[]>;
  nearMisses: NearMissReport[];
}

function checkInputs(
  model: Model,
  statements: Statement[],
  pinned: Record<string, Dim[]>,
): Record<string, Dim[]> {
  const names = modelInputs(model);
  const shapes: Record<string, Dim[]> = {};
  for (const s of statements) {
    if (s.kind !== 'model') continue;
    for (const i of s.inputs) {
      if (!names.includes(i.name)) {
        const near = nearest(i.name, names);
        throw new UserError(
          `${at(i.nameSpan)}: the model has no input '${i.name}'`,
          near.length
            ? `did you mean ${near.map((n) => `'${n}'`).join(', ')}?`
            : `its inputs are ${names.join(', ')}`,
        );
      }
      shapes[i.name] = [...i.dims];
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
      out.push({ layer: l.name, statement: describe(s), from: at(s.span), reason: `where ${cond} is false` });
    }
  }
  for (const l of plan.layers) {
    for (const o of l.overridden)
      out.push({ layer: l.name, statement: o.action, from: o.from, reason: `overridden by ${o.by}` });
  }
  return out;
}

/** `pinned`: concrete input shapes from the caller (CLI --shape), over the recipe's `model { … }`. */
export function planModel(model: Model, recipe: LoadedRecipe, pinned: Record<string, Dim[]> = {}): ModelPlan {
  const { statements } = recipe;
  const inputShapes = checkInputs(model, statements, pinned);
  const inference = inferShapes(model.graph, { opset: model.opset('') ?? 1, inputShapes });
  const layerInfo = buildLayers(model, (name) => inference.types.get(name)?.shape);
  const plan = buildPlan(
    statements,
    layerInfo,
    (selectors, where) => {
      const r = resolveSelectors(selectors ?? [], layerInfo, where);
      return { matches: r.matches.map((l) => l.name), diagnostics: r.diagnostics };
    },
    recipe.render,
  );
  plan.settings = settingsOf(statements);
  const nearMisses = [...nearMissesOf(statements, layerInfo, plan), ...lossyPreviews(model, plan)];
  return { ...plan, layerInfo, inputShapes, nearMisses };
}
