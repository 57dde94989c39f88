// `prune channels … { criterion bn-gamma  slimming λ }`: Network Slimming (Liu et al. 2017). Before the
// cleanups fold BN into the convs, the whole model trains on the calibration data (compiler/train)
// to match the original model (the teacher: kl on class-score outputs, mse on others, as distill
// compares them) plus λ·Σ|γ| over the BatchNormalization scales of the statement's channel groups
// (the BN after each selected conv and the BNs coupled with its channels, as bn-gamma reads them;
// the subgradient λ·sign(γ) added to their gradients), BN on its stored statistics; AdamW, cosine
// schedule, `slimming-steps` steps (default 200) of batch 8 at lr 1e-3. The trained model replaces
// the original; gamma.ts then reads the trained γ, and bn-gamma prunes the channels with the
// smallest |γ|. No file I/O.

import type { Model } from '../../../runtime/ir/model.ts';
import { type Dim, inferShapes } from '../../../runtime/ir/shape/index.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import type { Sample } from '../../data/calibration.ts';
import { nodesByLayer, type PassContext } from '../../engine/pass.ts';
import { at, numberOption } from '../../plan/options.ts';
import type { Plan } from '../../plan/plan.ts';
import { type DataSource, samplesData } from '../../train/loop/data.ts';
import { train } from '../../train/loop/train.ts';
import type { LossTerm } from '../../train/loss/terms.ts';
import { type RunnerFactory, squishRunner } from '../../train/runner.ts';
import { writeWeights } from '../../train/weights.ts';
import { channelGroups } from './groups.ts';

export const SLIMMING_DEFAULTS = { steps: 200, batch: 8, lr: 1e-3 } as const;

export interface SlimmingSettings {
  /** λ of the L1 penalty on the selected BN scales. */
  lambda: number;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  /** `file:line` of the statement. */
  from: string;
}

export interface SlimmingInputs {
  data: DataSource;
  /** The model the outputs are compared with (the original). */
  teacher: Model;
  runner?: RunnerFactory;
  status?: (line: string) => void;
  progress?: (done: number, total: number) => void;
}

export interface SlimmingResult {
  /** The BN scales penalized. */
  scales: string[];
  /** Σ|γ| over those scales before and after training. */
  l1Before: number;
  l1After: number;
  steps: number;
  ms: number;
  runner: string;
  /** The trained values of every weight that trained. */
  trained: Map<string, Float32Array>;
}

/**
 * The scales (input 1) of every BatchNormalization in the channel groups the layers lead (the BN
 * after each conv and those coupled with its channels, as a depthwise conv's): what bn-gamma reads.
 */
export function selectedBnScales(
  model: Model,
  layers: readonly string[],
  inputShapes: Record<string, number[]>,
): string[] {
  const g = model.graph;
  const byLayer = nodesByLayer(model);
  const nodes = new Set(layers.flatMap((l) => byLayer.get(l) ?? []));
  const types = inferShapes(g, { opset: model.opset('') ?? 17, inputShapes }).types;
  const out = new Set<string>();
  for (const group of channelGroups(g, (v) => types.get(v) ?? g.declaredType(v))) {
    if (!group.leaders.some((l) => nodes.has(l))) continue;
    for (const u of group.units)
      for (const a of u.actions)
        if (a.kind === 'bn' && a.node.opType === 'BatchNormalization' && g.constant(a.node.inputs[1] ?? ''))
          out.add(a.node.inputs[1]!);
  }
  return [...out].filter((n) => g.constant(n)?.dtype === 'float32');
}

const l1Of = (model: Model, scales: readonly string[]) =>
  scales.reduce(
    (s, name) => s + (model.graph.constant(name)!.data as Float32Array).reduce((a, v) => a + Math.abs(v), 0),
    0,
  );

/** kl on outputs holding class scores ([N, K] / [N, T, K]), mse on the others, against the teacher. */
function slimmingLoss(model: Model, inputShapes: Record<string, number[]>): LossTerm[] {
  const types = inferShapes(model.graph, { opset: model.opset('') ?? 17, inputShapes }).types;
  return model.graph.outputs.map((o) => {
    const shape: readonly Dim[] | undefined = (types.get(o.name) ?? o.type)?.shape;
    const last = shape?.[shape.length - 1];
    const classes =
      !!shape && (shape.length === 2 || shape.length === 3) && (typeof last !== 'number' || last >= 2);
    return { kind: classes ? 'kl' : 'mse', value: o.name, target: 'teacher' };
  });
}

/**
 * Trains `model` in place with the slimming objective (outputs against the teacher + λ·Σ|γ| over
 * `scales`); every float parameter trains. λ = 0 trains the same way without the penalty.
 */
export async function slimBn(
  model: Model,
  scales: readonly string[],
  s: SlimmingSettings,
  inputs: SlimmingInputs,
): Promise<SlimmingResult> {
  const started = performance.now();
  const first = (await inputs.data.get(0)).inputs;
  const inputShapes = Object.fromEntries(Object.entries(first).map(([k, t]) => [k, [...t.dims]]));
  const l1Before = l1Of(model, scales);
  let last = 0;
  const every = Math.max(1, Math.round(s.steps / 20));
  const result = await train(model, {
    data: inputs.data,
    loss: slimmingLoss(model, inputShapes),
    teacher: inputs.teacher,
    steps: s.steps,
    batch: s.batch,
    optimizer: { kind: 'adamw', lr: s.lr, weightDecay: 0 },
    schedule: { kind: 'cosine', warmup: 0 },
    l1: Object.fromEntries(scales.map((n) => [n, s.lambda])),
    batchNorm: 'frozen',
    seed: s.seed,
    runner: inputs.runner ?? squishRunner(),
    onProgress: (p) => {
      inputs.progress?.(p.step, p.steps);
      if (p.step - last < every && p.step !== p.steps) return;
      last = p.step;
      inputs.status?.(
        `slimming (${s.from}) step ${p.step}/${p.steps}  loss ${p.loss.toPrecision(4)}  lr ${p.lr.toExponential(2)}  ${p.stepsPerSecond.toFixed(2)} steps/s  ${Math.round(p.secondsLeft)} s left`,
      );
    },
  });
  const g = result.model.graph;
  const trained = new Map(result.history.trained.map((n) => [n, g.constant(n)!.data as Float32Array]));
  writeWeights(model, trained);
  return {
    scales: [...scales],
    l1Before,
    l1After: l1Of(model, scales),
    steps: result.history.steps,
    ms: Math.round(performance.now() - started),
    runner: result.history.runner,
    trained,
  };
}

/** Each `prune … { slimming λ }` statement of the plan with its layers, in plan order. */
function slimmingStatements(plan: Plan): { settings: SlimmingSettings; layers: string[] }[] {
  const out = new Map<object, { settings: SlimmingSettings; layers: string[] }>();
  for (const l of plan.layers)
    for (const a of l.actions) {
      if (a.kind !== 'prune-structure') continue;
      const lambda = numberOption(a.statement, 'slimming');
      if (lambda === undefined) continue;
      let e = out.get(a.statement);
      if (!e)
        out.set(
          a.statement,
          (e = {
            settings: {
              lambda,
              steps: numberOption(a.statement, 'slimming-steps') ?? SLIMMING_DEFAULTS.steps,
              batch: SLIMMING_DEFAULTS.batch,
              lr: SLIMMING_DEFAULTS.lr,
              seed: numberOption(a.statement, 'seed') ?? 0,
              from: at(a.statement.span),
            },
            layers: [],
          }),
        );
      e.layers.push(l.name);
    }
  return [...out.values()];
}

/**
 * Trained weights by calibration sample set, then by statement and the model's selected γ: a search
 * runs the pipeline once per candidate on fresh copies of the same model, and slimming does not
 * depend on the candidate, so it trains once per compile.
 */
const TRAINED = new WeakMap<readonly Sample[], Map<string, SlimmingResult>>();

/** Runs every slimming statement of the plan on the model (in place); whether any ran. */
export async function slimPlan(plan: Plan, model: Model, ctx: PassContext): Promise<boolean> {
  const statements = slimmingStatements(plan);
  if (!statements.length) return false;
  if (!ctx.samples?.length)
    throw new Error('slimming needs calibration samples, and the checks let it through');
  const teacher = ctx.original?.() ?? cloneModel(model);
  const inputShapes = Object.fromEntries(Object.entries(ctx.samples[0]!).map(([k, t]) => [k, [...t.dims]]));
  for (const { settings, layers } of statements) {
    const scales = selectedBnScales(model, layers, inputShapes);
    let done = TRAINED.get(ctx.samples);
    if (!done) TRAINED.set(ctx.samples, (done = new Map()));
    const { lambda, steps, seed, from } = settings;
    const key = JSON.stringify([from, lambda, steps, seed, scales, l1Of(model, scales)]);
    const cached = done.get(key);
    if (cached) {
      writeWeights(model, cached.trained);
      ctx.log?.(`slimming (${from}): the weights trained earlier in this compile`);
      continue;
    }
    const r = await slimBn(model, scales, settings, {
      data: samplesData(ctx.samples),
      teacher,
      ...(ctx.trainRunner ? { runner: ctx.trainRunner } : {}),
      ...(ctx.status ? { status: ctx.status } : {}),
      progress: (d, t) => ctx.progress?.('slimming', d, t),
    });
    done.set(key, r);
    ctx.log?.(
      `slimming (${settings.from}): ${r.steps} steps in ${(r.ms / 1000).toFixed(1)} s on ${r.runner}; Σ|γ| of ${scales.length} BatchNormalization scales ${r.l1Before.toPrecision(5)} → ${r.l1After.toPrecision(5)} (λ ${settings.lambda})`,
    );
  }
  return true;
}
