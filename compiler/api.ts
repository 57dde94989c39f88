// The public API for build tools: compile, plan, checkRecipe, loadModel, run, train, gradients — typed, no file I/O
// (a Host supplies files; compiler/io/host.ts is the Node one).

import type { Diagnostic } from '../dsl/diagnostics.ts';
import { checkRecipe as checkRecipeText } from '../dsl/index.ts';
import type { Model } from '../runtime/ir/model.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import type { importModel } from '../runtime/onnx/import.ts';
import { importAnyModel } from '../runtime/sqz/read.ts';
import type { Host } from './data/host.ts';
import { type ModelPlan, planModel } from './plan/model-plan.ts';
import { loadRecipe } from './plan/recipe.ts';
import { type PlanJson, planJson } from './plan/render.ts';

export {
  type CompileOptions,
  type CompileResult,
  compile,
  compileModel,
  runtimeRunner,
  TargetsMissedError,
} from './compile.ts';
export type { CalibrationSpec, InputSpec, Sample } from './data/calibration.ts';
export type { Host, ImageLoadOptions } from './data/host.ts';
export type { Fidelity } from './fidelity/metrics.ts';
export { preloadIncludes } from './io/includes.ts';
export type { LayerReport, Report, TargetReport, Totals } from './report/types.ts';
export type { ModelPlan, PlanJson };

/** Parse an ONNX or .sqz model (bytes) into the IR. External data comes through `readExternal`. */
export function loadModel(bytes: Uint8Array, opts?: Parameters<typeof importModel>[1]): Model {
  return importAnyModel(bytes, opts);
}

/** Validate a recipe without a model: every diagnostic (errors and warnings), never throws on input. */
export function checkRecipe(
  recipeText: string,
  options: { recipeFile?: string; host?: Host } = {},
): { diagnostics: Diagnostic[]; ok: boolean } {
  const host = options.host;
  const { diagnostics } = checkRecipeText(recipeText, {
    file: options.recipeFile ?? 'recipe.squish',
    include: host?.readText
      ? (path, from) => {
          const file = host.resolve(from, path);
          const text = host.readText!(file);
          return text === undefined ? undefined : { file, text };
        }
      : undefined,
  });
  return { diagnostics, ok: !diagnostics.some((d) => d.severity === 'error') };
}

/** The per-layer plan of a recipe for a model (what `squish plan --json` prints). */
export function plan(
  model: Uint8Array | Model,
  recipeText: string,
  options: { recipeFile?: string; host?: Host; explain?: boolean } = {},
): PlanJson {
  const m = model instanceof Uint8Array ? importAnyModel(model) : model;
  const recipe = loadRecipe(recipeText, options.recipeFile ?? 'recipe.squish', options.host);
  return planJson(planModel(m, recipe), options.explain);
}

/** Run a model with the squish runtime: outputs by name. */
export async function run(
  model: Uint8Array | Model,
  feeds: Record<string, Tensor>,
  options: { backend?: 'auto' | 'cpu' | 'webasm' | 'headlessgl' | 'webgpu' } = {},
): Promise<Record<string, Tensor>> {
  const { createSession } = await import('../runtime/exec/index.ts');
  const m = model instanceof Uint8Array ? importAnyModel(model) : model;
  const session = await createSession(m, { backend: options.backend ?? 'auto' });
  return session.run(feeds);
}

export { parseRecipe } from '../dsl/index.ts';
export {
  type Augment,
  calibrationData,
  type DataSource,
  type Example,
  type GradientLoss,
  type GradientsOptions,
  type GradientsResult,
  gradients,
  type LossTerm,
  type OptimizerSpec,
  type OrtLike,
  ortRunner,
  type RunnerFactory,
  type ScheduleSpec,
  samplesData,
  squishRunner,
  type TrainHistory,
  TrainingDivergedError,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  train,
} from './train/index.ts';
export { loadRecipe, planModel };
