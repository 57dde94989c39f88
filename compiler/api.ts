// The public API for build tools: compile, plan, checkRecipe, loadModel, run, train, gradients — typed, no file I/O
// (a Host supplies files; compiler/io/host.ts is the Node one).

import { type Diagnostic, sortDiagnostics } from '../dsl/diagnostics.ts';
import type { Model } from '../runtime/ir/model.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import type { importModel } from '../runtime/onnx/import.ts';
import { importAnyModel } from '../runtime/sqz/read.ts';
import type { Host } from './data/host.ts';
import './passes/lossy.ts';
import type { Dim } from '../runtime/ir/shape/index.ts';
import { analyzeModel, type ModelPlan, planModel } from './plan/model-plan.ts';
import { inspectRecipe, loadRecipe } from './plan/recipe.ts';
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

/**
 * Validate a recipe: every diagnostic (errors and warnings), never throws on recipe input. With a
 * model, also every check compile makes on it before any work (selectors, options, data, opset).
 */
export function checkRecipe(
  recipeText: string,
  options: {
    recipeFile?: string;
    host?: Host;
    model?: Uint8Array | Model;
    inputShapes?: Record<string, Dim[]>;
  } = {},
): { diagnostics: Diagnostic[]; ok: boolean } {
  const recipe = inspectRecipe(recipeText, options.recipeFile ?? 'recipe.squish', options.host);
  let diagnostics = recipe.diagnostics;
  if (options.model && !diagnostics.some((d) => d.severity === 'error')) {
    const m = options.model instanceof Uint8Array ? importAnyModel(options.model) : options.model;
    diagnostics = sortDiagnostics([
      ...diagnostics,
      ...analyzeModel(m, recipe, options.inputShapes).diagnostics,
    ]);
  }
  return { diagnostics, ok: !diagnostics.some((d) => d.severity === 'error') };
}

/** The per-layer plan of a recipe for a model (what `squish plan --json` prints). */
export function plan(
  model: Uint8Array | Model,
  recipeText: string,
  options: { recipeFile?: string; host?: Host; explain?: boolean } = {},
): PlanJson {
  const m = model instanceof Uint8Array ? importAnyModel(model) : model;
  const recipe = loadRecipe(recipeText, options.recipeFile ?? 'recipe.squish', options.host, {
    pending: false,
  });
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
