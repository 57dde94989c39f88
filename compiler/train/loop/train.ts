// The training loop: batches from a data source, one training-graph step each, constraints
// (masks, ties, L1, clipping), an optimizer and schedule in TypeScript, evaluation on a held-back
// share with early stopping, progress through a callback, determinism for a seed. On a NaN or Inf
// it stops, naming the step and the weight, and keeps the last good weights. No file I/O.

import { UserError } from '../../../runtime/errors.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import { importAnyModel } from '../../../runtime/sqz/read.ts';
import { rng, shuffled } from '../../data/random.ts';
import type { WeightSelection } from '../graph/training-graph.ts';
import type { LossTerm } from '../loss/terms.ts';
import {
  clipGradients,
  l1Penalty,
  maskGradients,
  maskWeights,
  tieGradients,
  tieWeights,
} from '../optim/constraints.ts';
import { createOptimizer, type OptimizerSpec } from '../optim/optimizers.ts';
import { learningRate, type ScheduleSpec } from '../optim/schedule.ts';
import { type RunnerFactory, squishRunner } from '../runner.ts';
import { weightArrays, writeWeights } from '../weights.ts';
import { type Augment, type Batch, type DataSource, makeBatch, splitIndices } from './data.ts';
import { StepEngine } from './step.ts';

export interface TrainOptions {
  data: DataSource;
  loss: LossTerm | readonly LossTerm[];
  /** The model the kl/mse/l1/cosine terms compare with (knowledge distillation). */
  teacher?: Model;
  steps: number;
  batch?: number;
  optimizer?: OptimizerSpec;
  schedule?: ScheduleSpec;
  /** Clip the global gradient norm to this. */
  clip?: number;
  /** Which weights train (default 'parameters') and which never do. */
  weights?: WeightSelection;
  freeze?: readonly string[];
  /** Per weight, 0 where an element must stay zero. */
  masks?: Record<string, ArrayLike<number>>;
  /** Keep every zero of these weights (true: all trained weights) at zero: pruned weights stay pruned. */
  keepZeros?: boolean | readonly string[];
  /** Per weight, a group id per element (−1: none): elements of a group share one value. */
  ties?: Record<string, Int32Array>;
  /** L1 penalty λ per weight (Network Slimming on BatchNormalization scales). */
  l1?: Record<string, number>;
  batchNorm?: 'frozen' | 'batch';
  /** Share of the data held back for evaluation (0–1, default 0). */
  holdout?: number;
  /** Evaluate every this many steps (default: a tenth of the run). */
  evalEvery?: number;
  /** Stop when this many evaluations in a row do not improve on the best. */
  patience?: number;
  seed?: number;
  augment?: Augment;
  runner?: RunnerFactory;
  teacherRunner?: RunnerFactory;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  stepsPerSecond: number;
  secondsLeft: number;
  evalLoss?: number;
}

export interface TrainHistory {
  /** Training loss per step (penalty included). */
  loss: number[];
  lr: number[];
  evals: { step: number; loss: number }[];
  /** Steps run, and why it stopped. */
  steps: number;
  stopped: 'steps' | 'patience';
  /** The step whose weights the model keeps (the best evaluation, else the last). */
  kept: number;
  ms: number;
  runner: string;
  batch: number;
  trained: string[];
}

export interface TrainResult {
  model: Model;
  history: TrainHistory;
}

/** Training diverged: the message names the step and the weight; `model` keeps the last good weights. */
export class TrainingDivergedError extends UserError {
  constructor(
    message: string,
    readonly model: Model,
    readonly history: TrainHistory,
  ) {
    super(message, 'lower the learning rate, clip gradients (clip), or check the data for NaN/Inf');
  }
}

export async function train(source: Uint8Array | Model, options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const model = source instanceof Uint8Array ? importAnyModel(source) : source;
  const terms = Array.isArray(options.loss) ? (options.loss as LossTerm[]) : [options.loss as LossTerm];
  const seed = options.seed ?? 0;
  if (!(options.steps > 0)) throw new UserError(`steps must be a positive number, got ${options.steps}`);
  const { train: trainIdx, held } = splitIndices(options.data.size, options.holdout ?? 0, seed);
  const batchSize = Math.min(options.batch ?? 8, trainIdx.length);
  const engine = new StepEngine(model, {
    loss: terms,
    weights: options.weights,
    freeze: options.freeze,
    batchNorm: options.batchNorm,
    runner: options.runner ?? squishRunner(),
    teacher: options.teacher,
    teacherRunner: options.teacherRunner,
  });
  const random = rng(seed ^ 0x5eed);
  let order: number[] = [];
  const nextBatch = async (): Promise<Batch> => {
    if (order.length < batchSize) order = shuffled(trainIdx, random);
    return makeBatch(options.data, order.splice(0, batchSize), options.augment, random);
  };
  let batch = await nextBatch();
  const first = await engine.graphFor(batch.inputs);
  const infos = first.graph.weights;
  const weights = weightArrays(model, infos);
  const running = new Map(
    first.graph.batchStats.flatMap((s) => [
      [s.runningMean, Float32Array.from(model.graph.constant(s.runningMean)!.data as Float32Array)],
      [s.runningVar, Float32Array.from(model.graph.constant(s.runningVar)!.data as Float32Array)],
    ]),
  );
  const masks = buildMasks(options, weights);
  const ties = new Map(Object.entries(options.ties ?? {}));
  tieWeights(weights, ties);
  const l1 = new Map(Object.entries(options.l1 ?? {}));
  const optimizer = createOptimizer(options.optimizer ?? { kind: 'adamw', lr: 1e-3 });
  const baseLr = options.optimizer?.lr ?? 1e-3;
  const evalEvery = options.evalEvery ?? Math.max(1, Math.round(options.steps / 10));
  const history: TrainHistory = {
    loss: [],
    lr: [],
    evals: [],
    steps: 0,
    stopped: 'steps',
    kept: 0,
    ms: 0,
    runner: first.run.name,
    batch: batchSize,
    trained: infos.map((w) => w.name),
  };
  const snapshot = () => new Map([...weights].map(([k, v]) => [k, Float32Array.from(v)]));
  let best: { loss: number; step: number; weights: Map<string, Float32Array> } | undefined;
  let sinceBest = 0;
  const result = (values: Map<string, Float32Array>) => {
    const out = cloneModel(model);
    writeWeights(out, values);
    writeWeights(out, running);
    history.ms = performance.now() - started;
    return out;
  };
  try {
    for (let step = 0; step < options.steps; step++) {
      if (step > 0) batch = await nextBatch();
      const res = await engine.step(batch, weights, true);
      const grads = res.grads!;
      const bad = !Number.isFinite(res.loss) ? 'the loss' : undefined;
      const badWeight = [...grads].find(([, g]) => g.some((v) => !Number.isFinite(v)))?.[0];
      if (bad || badWeight) {
        history.steps = step;
        throw new TrainingDivergedError(
          `training diverged at step ${step + 1}: ${badWeight ? `weight '${badWeight}' got a non-finite gradient` : ''}${bad && badWeight ? ' and ' : ''}${bad ? `the loss is ${res.loss}` : ''}; the model keeps the weights after step ${step}`,
          result(weights),
          history,
        );
      }
      const penalty = l1Penalty(weights, grads, l1);
      maskGradients(grads, masks);
      tieGradients(grads, ties);
      if (options.clip) clipGradients(grads, options.clip);
      const lr = learningRate(baseLr, options.schedule ?? {}, step, options.steps);
      optimizer.step(weights, grads, lr);
      maskWeights(weights, masks);
      updateRunning(running, res.stats, first.graph.batchStats);
      history.loss.push(res.loss + penalty);
      history.lr.push(lr);
      history.steps = step + 1;
      let evalLoss: number | undefined;
      if (held.length && ((step + 1) % evalEvery === 0 || step + 1 === options.steps)) {
        evalLoss = await evaluate(engine, options, held, batchSize, weights);
        history.evals.push({ step: step + 1, loss: evalLoss });
        if (!best || evalLoss < best.loss) {
          best = { loss: evalLoss, step: step + 1, weights: snapshot() };
          sinceBest = 0;
        } else sinceBest++;
      }
      const elapsed = (performance.now() - started) / 1000;
      const rate = (step + 1) / Math.max(elapsed, 1e-9);
      options.onProgress?.({
        step: step + 1,
        steps: options.steps,
        loss: res.loss + penalty,
        lr,
        stepsPerSecond: rate,
        secondsLeft: (options.steps - step - 1) / rate,
        evalLoss,
      });
      if (options.patience !== undefined && sinceBest >= options.patience) {
        history.stopped = 'patience';
        break;
      }
    }
  } finally {
    await engine.release();
  }
  history.kept = best?.step ?? history.steps;
  return { model: result(best?.weights ?? weights), history };
}

function buildMasks(options: TrainOptions, weights: Map<string, Float32Array>): Map<string, Uint8Array> {
  const masks = new Map<string, Uint8Array>();
  for (const [name, m] of Object.entries(options.masks ?? {})) {
    const w = weights.get(name);
    if (!w) throw new UserError(`a mask is given for '${name}', which does not train`);
    if (m.length !== w.length)
      throw new UserError(`the mask of '${name}' has ${m.length} elements, the weight ${w.length}`);
    masks.set(
      name,
      Uint8Array.from(m, (v) => (v ? 1 : 0)),
    );
  }
  const keep = options.keepZeros === true ? [...weights.keys()] : options.keepZeros || [];
  for (const name of keep) {
    const w = weights.get(name);
    if (!w) throw new UserError(`keepZeros names '${name}', which does not train`);
    const m = masks.get(name) ?? new Uint8Array(w.length).fill(1);
    for (let i = 0; i < w.length; i++) if (w[i] === 0) m[i] = 0;
    if (m.includes(0)) masks.set(name, m);
  }
  return masks;
}

/** running ← momentum·running + (1 − momentum)·batch (the variance unbiased, as PyTorch). */
function updateRunning(
  running: Map<string, Float32Array>,
  stats: Map<string, Float32Array>,
  specs: { runningMean: string; runningVar: string; momentum: number; count: number }[],
): void {
  for (const s of specs) {
    const m = running.get(s.runningMean)!;
    const v = running.get(s.runningVar)!;
    const bm = stats.get(s.runningMean)!;
    const bv = stats.get(s.runningVar)!;
    const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
    for (let c = 0; c < m.length; c++) {
      m[c] = s.momentum * m[c]! + (1 - s.momentum) * bm[c]!;
      v[c] = s.momentum * v[c]! + (1 - s.momentum) * bv[c]! * unbias;
    }
  }
}

/** Mean loss over the held-back share, in batches (the last one may be smaller: its own graph). */
async function evaluate(
  engine: StepEngine,
  options: TrainOptions,
  held: readonly number[],
  batchSize: number,
  weights: Map<string, Float32Array>,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < held.length; i += batchSize) {
    const part = held.slice(i, i + batchSize);
    const b = await makeBatch(options.data, part);
    total += (await engine.step(b, weights, false)).loss * part.length;
  }
  return total / held.length;
}
