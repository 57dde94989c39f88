// The training graph of a model: standard ONNX ops only, so onnxruntime (node, web) and squish's
// runtime all run it. Trainable weights become graph inputs; the loss terms are appended; the backward
// pass is emitted by the gradient rules; outputs are the loss, one gradient per weight (summed to the
// weight's shape), the values external losses (ctc) and the caller read, and batch statistics.

import { UserError } from '../../../runtime/errors.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import { makeTensor } from '../../../runtime/ir/tensor.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import { backward } from '../grad/backward.ts';
import { emitTerm, LOSS_KINDS, type LossTerm, logitsOf, type TargetFeed } from '../loss/terms.ts';
import { type BatchStats, lowerBatchNorm } from './batchnorm.ts';
import { Emitter } from './emitter.ts';
import { prepareForward, type WeightInfo } from './prepare.ts';

/** Which weights train: the default 'parameters' leaves out scalars and quantizer scales. */
export type WeightSelection = 'parameters' | 'all' | readonly string[] | ((w: WeightInfo) => boolean);

export interface TrainingGraphOptions {
  /** Fixed shapes of the model inputs (the graph is built for one batch shape). */
  inputShapes: Record<string, readonly number[]>;
  loss: readonly LossTerm[];
  weights?: WeightSelection;
  /** Names that never train, whatever `weights` says. */
  freeze?: readonly string[];
  /** 'frozen' (default): BatchNormalization uses its stored statistics; 'batch': batch statistics. */
  batchNorm?: 'frozen' | 'batch';
  /** Extra values to output (model outputs for metrics, inner values). */
  outputs?: readonly string[];
  /** false: forward and loss only (evaluation). */
  gradients?: boolean;
}

/** A term computed outside the graph: the loop reads `value` and feeds ∂loss/∂value at `seed`. */
export interface ExternalTerm {
  term: LossTerm;
  value: string;
  seed: string;
}

export interface TrainingGraph {
  model: Model;
  /** Trainable weights, fed as graph inputs of the same name. */
  weights: WeightInfo[];
  /** Every weight candidate that stays constant. */
  frozen: WeightInfo[];
  /** weight → output holding ∂loss/∂weight. */
  gradients: Map<string, string>;
  /** Output holding the in-graph loss (absent when every term is external). */
  loss?: string;
  targets: TargetFeed[];
  external: ExternalTerm[];
  /** The forward part alone (outputs: the external terms' values), for losses computed outside. */
  probe?: Model;
  batchStats: BatchStats[];
  /** Extra outputs asked for, by value name. */
  outputs: string[];
}

function selectWeights(all: WeightInfo[], sel: WeightSelection, freeze: readonly string[]): WeightInfo[] {
  const frozen = new Set(freeze);
  let pick: (w: WeightInfo) => boolean;
  if (sel === 'parameters') pick = (w) => w.role === 'parameter';
  else if (sel === 'all') pick = () => true;
  else if (typeof sel === 'function') pick = sel;
  else {
    const names = new Set(sel);
    const known = new Set(all.map((w) => w.name));
    const missing = [...names].filter((n) => !known.has(n));
    if (missing.length)
      throw new UserError(
        `cannot train ${missing.map((m) => `'${m}'`).join(', ')}: not a float weight on a path to an output`,
        `trainable weights include ${all
          .slice(0, 8)
          .map((w) => `'${w.name}'`)
          .join(', ')}${all.length > 8 ? ', …' : ''}`,
      );
    pick = (w) => names.has(w.name);
  }
  return all.filter((w) => pick(w) && !frozen.has(w.name));
}

export function buildTrainingGraph(source: Model, opts: TrainingGraphOptions): TrainingGraph {
  const prep = prepareForward(source, opts.inputShapes);
  const { model } = prep;
  const g = model.graph;
  const e = new Emitter(g, prep.types, model.opset('') ?? 17);
  const modelOutputs = g.outputs.map((o) => o.name);
  const batchStats = opts.batchNorm === 'batch' ? lowerBatchNorm(g, e) : [];
  const weights = selectWeights(prep.weights, opts.weights ?? 'parameters', opts.freeze ?? []);
  const trainable = new Set(weights.map((w) => w.name));
  for (const w of weights) {
    g.initializers.delete(w.name);
    g.inputs.push({ name: w.name, type: { dtype: 'float32', shape: [...w.shape] } });
  }
  g.touch();
  if (opts.loss.length === 0) throw new UserError('training needs at least one loss term');
  for (const t of opts.loss)
    if (!LOSS_KINDS.includes(t.kind))
      throw new UserError(`unknown loss '${String(t.kind)}'`, `use one of: ${LOSS_KINDS.join(', ')}`);
  for (const v of [...opts.loss.map((t) => t.value ?? modelOutputs[0]!), ...(opts.outputs ?? [])])
    if (!e.hasShape(v))
      throw new UserError(`the model has no value named '${v}'`, `its outputs: ${modelOutputs.join(', ')}`);

  let probe: Model | undefined;
  const outside = opts.loss.filter((t) => t.kind === 'ctc');
  if (outside.length) {
    probe = cloneModel(model);
    const values = [...new Set(outside.map((t) => logitsOf(g, t.value ?? modelOutputs[0]!).logits))];
    probe.graph.outputs = values.map((name) => ({ name, type: { dtype: 'float32', shape: e.shape(name) } }));
    probe.graph.sweep();
  }
  const targets: TargetFeed[] = [];
  const external: ExternalTerm[] = [];
  const losses: string[] = [];
  for (const term of opts.loss) {
    const value = term.value ?? modelOutputs[0]!;
    if (term.kind === 'ctc') {
      const { logits } = logitsOf(g, value);
      const seed = e.fresh('seed');
      g.inputs.push({ name: seed, type: { dtype: 'float32', shape: e.shape(logits) } });
      e.declare(seed, e.shape(logits));
      external.push({ term, value: logits, seed });
      continue;
    }
    const { loss, feeds } = emitTerm(g, e, term, value);
    targets.push(...feeds);
    losses.push(e.scale(loss, term.weight ?? 1));
  }
  const loss = losses.length ? e.total(losses) : undefined;

  const gradients = new Map<string, string>();
  if (opts.gradients !== false) {
    const seeds = new Map<string, string>();
    if (loss) seeds.set(loss, e.scalar(1));
    for (const x of external) seeds.set(x.value, x.seed);
    const found = backward(g, g.topoOrder(), e, [...trainable], seeds);
    const taken = new Set<string>();
    for (const w of weights) {
      const grad = found.get(w.name) ?? e.constant(makeTensor('float32', w.shape), 'zero_grad');
      // a node's own output is returned as it is; a constant, an input or a shared value gets an Identity
      const own = g.producer(grad) && !taken.has(grad) && grad !== loss;
      const out = own
        ? grad
        : e.ops('Identity', [grad], undefined, [{ shape: w.shape, name: e.fresh(`grad/${w.name}`) }])[0]!;
      taken.add(out);
      gradients.set(w.name, out);
    }
  }
  const outputs = [...(opts.outputs ?? [])];
  const named: string[] = [];
  let lossOut: string | undefined;
  if (loss) {
    lossOut = e.fresh('loss');
    e.ops('Identity', [loss], undefined, [{ shape: [], name: lossOut }]);
    named.push(lossOut);
  }
  named.push(...gradients.values(), ...external.map((x) => x.value), ...outputs);
  for (const s of batchStats) named.push(s.batchMean, s.batchVar);
  g.outputs = [...new Set(named)].map((name) => ({
    name,
    type: { dtype: e.dtype(name), shape: e.shape(name) },
  }));
  g.sortTopologically();
  g.sweep();
  const frozen = prep.weights.filter((w) => !trainable.has(w.name));
  return { model, weights, frozen, gradients, loss: lossOut, targets, external, probe, batchStats, outputs };
}
