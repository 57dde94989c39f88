// Lowering: the plan becomes passes in the fixed pipeline order of the statement table (cleanup →
// layers/channels pruning → factorization → fine-grained pruning → clustering → quantization →
// distill/finetune → cleanup → output). Each action kind's family registers its pass here, with
// optional prepass, plan-time preview and model checks.

import type { Diagnostic } from '../../dsl/diagnostics.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Pass } from '../engine/pass.ts';
import { upgradeOpset } from '../opset/convert.ts';
import { cleanupPasses } from '../passes/cleanup.ts';
import { type ActionKind, PIPELINE, type Plan } from './plan.ts';

/** Builds the pass for one lossy action kind from the plan. */
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
 * A pass of action kind `kind` that runs just before the pass of kind `before`, where the factory
 * returns one for the plan (training before clustering: plan/phases.ts).
 */
const EARLY: { kind: ActionKind; before: ActionKind; factory: (plan: Plan) => Pass | undefined }[] = [];

export function registerEarlyPass(
  kind: ActionKind,
  before: ActionKind,
  factory: (plan: Plan) => Pass | undefined,
): void {
  EARLY.push({ kind, before, factory });
}

/**
 * A pass a lossy family needs BEFORE the cleanups (e.g. reading BN scales before they are folded
 * into the conv); it runs first, only when the plan has actions of that kind, and must not change
 * the model's outputs unless the recipe asks for training before the cleanups (`prune … { slimming λ }`).
 */
export function registerLossyPrepass(kind: ActionKind, factory: LossyPassFactory): void {
  PRE.set(kind, factory);
}

/**
 * What a family can tell from the model before any pass runs: options that do not fit a selected
 * layer (`squish check --model` and compile report them the same way).
 */
export type LossyCheck = (model: Model, plan: Plan) => Diagnostic[];

const CHECKS = new Map<ActionKind, LossyCheck>();

export function registerLossyCheck(kind: ActionKind, check: LossyCheck): void {
  CHECKS.set(kind, check);
}

/** Every registered family's model checks, for the kinds the plan has. */
export function lossyChecks(model: Model, plan: Plan): Diagnostic[] {
  return [...CHECKS]
    .filter(([kind]) => plan.layers.some((l) => l.actions.some((a) => a.kind === kind)))
    .flatMap(([, check]) => check(model, plan));
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

/** Action kinds that train the compressed model (they run after every lossy pass). */
export const TRAINING_KINDS: ReadonlySet<ActionKind> = new Set(['distill', 'finetune']);

/** A pass of the pipeline with the action kind it runs (none for cleanups and the output). */
export interface StagedPass {
  pass: Pass;
  kind?: ActionKind;
}

/**
 * The passes for a plan, in pipeline order, each with its action kind. `training: false` leaves out
 * distill/finetune (a search measures candidates before training).
 */
export function lowerStaged(plan: Plan, options: { training?: boolean } = {}): StagedPass[] {
  const { settings } = plan;
  const passes: StagedPass[] = [];
  for (const [kind, factory] of PRE)
    if (plan.layers.some((l) => l.actions.some((a) => a.kind === kind))) passes.push({ pass: factory(plan) });
  if (settings.cleanup) passes.push(...cleanupPasses().map((pass) => ({ pass })));
  let lossy = false;
  for (const kind of PIPELINE) {
    if (options.training === false && TRAINING_KINDS.has(kind)) continue;
    const layers = plan.layers.filter((l) => l.actions.some((a) => a.kind === kind));
    if (!layers.length) continue;
    for (const early of EARLY) {
      if (early.before !== kind || (options.training === false && TRAINING_KINDS.has(early.kind))) continue;
      const pass = early.factory(plan);
      if (pass) passes.push({ pass, kind: early.kind });
    }
    const factory = LOSSY.get(kind);
    if (!factory)
      throw new Error(`no pass is registered for ${kind} and compiler/plan/pending.ts does not list it`);
    passes.push({ pass: factory(plan), kind });
    lossy = true;
  }
  if (settings.cleanup && lossy) passes.push(...cleanupPasses(':final').map((pass) => ({ pass })));
  if (settings.opset !== undefined) passes.push({ pass: outputPass(settings.opset) });
  return passes;
}

/** The passes for a plan, in pipeline order (the recipe was checked: every kind here has a pass). */
export function lower(plan: Plan): Pass[] {
  return lowerStaged(plan).map((p) => p.pass);
}
