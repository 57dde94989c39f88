// Lowering: the plan becomes passes in the fixed pipeline order of RECIPE-LANGUAGE.md
// (cleanup → layers/channels pruning → factorization → fine-grained pruning → clustering →
// quantization → cleanup → output). A lossy kind with no pass yet is an error naming the statement.

import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Pass } from '../engine/pass.ts';
import { upgradeOpset } from '../opset/convert.ts';
import { cleanupPasses } from '../passes/cleanup.ts';
import { type ActionKind, PIPELINE, type Plan } from './plan.ts';

/** Builds the pass for one lossy action kind from the plan (later issues register these). */
export type LossyPassFactory = (plan: Plan) => Pass;

const LOSSY = new Map<ActionKind, LossyPassFactory>();

export function registerLossyPass(kind: ActionKind, factory: LossyPassFactory): void {
  LOSSY.set(kind, factory);
}

/** What a lossy family can tell at plan time, without calibration data: selected layers it will skip. */
export type LossyPreview = (
  model: Model,
  plan: Plan,
) => { layer: string; statement: string; from: string; reason: string }[];

const PREVIEWS = new Map<ActionKind, LossyPreview>();

export function registerLossyPreview(kind: ActionKind, preview: LossyPreview): void {
  PREVIEWS.set(kind, preview);
}

/** Every registered family's plan-time skips (near-misses of the plan). */
export function lossyPreviews(
  model: Model,
  plan: Plan,
): { layer: string; statement: string; from: string; reason: string }[] {
  return [...PREVIEWS.values()].flatMap((p) => p(model, plan));
}

const PRE = new Map<ActionKind, LossyPassFactory>();

/**
 * A pass a lossy family needs BEFORE the cleanups (e.g. reading BN scales before they are folded
 * into the conv); it runs first, only when the plan has actions of that kind, and must not change
 * the model's outputs.
 */
export function registerLossyPrepass(kind: ActionKind, factory: LossyPassFactory): void {
  PRE.set(kind, factory);
}

export function lossyPassFor(kind: ActionKind): LossyPassFactory | undefined {
  return LOSSY.get(kind);
}

export function outputPass(opset: number): Pass {
  return {
    name: `opset-${opset}`,
    run: (model) => {
      const from = model.opset('');
      upgradeOpset(model, opset);
      return { changed: from !== opset };
    },
    ensures: (model) => (model.opset('') === opset ? undefined : `opset is ${model.opset('')}, not ${opset}`),
  };
}

/** The passes for a plan, in pipeline order. Throws a UserError for anything not implemented. */
export function lower(plan: Plan): Pass[] {
  const { settings } = plan;
  for (const l of plan.layers) {
    for (const a of l.actions) {
      for (const o of a.statement.options ?? []) {
        if (o.values.some((v) => v.kind === 'range')) {
          throw new UserError(
            `${a.from}: ${a.action} { ${o.name} ${a.options[o.name]} }: searching ranges is not implemented yet`,
            'give a single value for now',
          );
        }
      }
    }
  }
  const passes: Pass[] = [];
  for (const [kind, factory] of PRE)
    if (plan.layers.some((l) => l.actions.some((a) => a.kind === kind))) passes.push(factory(plan));
  if (settings.cleanup) passes.push(...cleanupPasses());
  let lossy = false;
  for (const kind of PIPELINE) {
    const layers = plan.layers.filter((l) => l.actions.some((a) => a.kind === kind));
    if (!layers.length) continue;
    const factory = LOSSY.get(kind);
    if (!factory) {
      const a = layers[0].actions.find((x) => x.kind === kind)!;
      throw new UserError(
        `${a.from}: ${a.action} is not implemented yet (it selects ${layers.length} layer${layers.length === 1 ? '' : 's'}, e.g. ${layers[0].name})`,
        'remove the statement (or keep those layers) to compile with the exact cleanups only',
      );
    }
    passes.push(factory(plan));
    lossy = true;
  }
  if (settings.cleanup && lossy) passes.push(...cleanupPasses(':final'));
  if (settings.opset !== undefined) passes.push(outputPass(settings.opset));
  return passes;
}
