// compiler/train: gradients on the IR as a graph rewrite, losses, optimizers and the training loop.
// No file I/O: it runs in a browser on onnxruntime-web or squish's runtime.

export { gradOps, gradRule } from './grad/registry.ts';
export type { GradContext, GradRule, WeightRole } from './grad/rule.ts';
export { defineGradRules } from './grad/rule.ts';
export { type GradientLoss, type GradientsOptions, type GradientsResult, gradients } from './gradients.ts';
export { Emitter } from './graph/emitter.ts';
export type { WeightInfo } from './graph/prepare.ts';
export {
  buildTrainingGraph,
  type TrainingGraph,
  type TrainingGraphOptions,
  type WeightSelection,
} from './graph/training-graph.ts';
export {
  type Augment,
  calibrationData,
  type DataSource,
  type Example,
  type Label,
  samplesData,
} from './loop/data.ts';
export {
  type TrainHistory,
  TrainingDivergedError,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  train,
} from './loop/train.ts';
export { ctcLoss } from './loss/ctc.ts';
export { LOSS_KINDS, type LossKind, type LossTerm } from './loss/terms.ts';
export type { OptimizerSpec } from './optim/optimizers.ts';
export type { ScheduleSpec } from './optim/schedule.ts';
export { type GraphRunner, type OrtLike, ortRunner, type RunnerFactory, squishRunner } from './runner.ts';
