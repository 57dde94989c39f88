// One forward + backward step: picks (and caches) the training graph for the batch's shape, feeds
// the weights, the teacher's values and the labels, adds losses computed outside the graph (ctc) and
// returns the loss and the gradients.

import { UserError } from '../../../runtime/errors.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import { sizeOf, type Tensor } from '../../../runtime/ir/tensor.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import {
  buildTrainingGraph,
  type TrainingGraph,
  type TrainingGraphOptions,
} from '../graph/training-graph.ts';
import { ctcLoss } from '../loss/ctc.ts';
import type { LossTerm, TargetFeed } from '../loss/terms.ts';
import type { GraphRunner, RunnerFactory } from '../runner.ts';
import type { Batch, Label } from './data.ts';

export interface StepOptions {
  loss: readonly LossTerm[];
  weights?: TrainingGraphOptions['weights'];
  freeze?: readonly string[];
  batchNorm?: 'frozen' | 'batch';
  runner: RunnerFactory;
  teacher?: Model;
  teacherRunner?: RunnerFactory;
}

export interface StepResult {
  loss: number;
  grads?: Map<string, Float32Array>;
  /** Batch mean and variance per BatchNormalization (batch mode), by running-stat name. */
  stats: Map<string, Float32Array>;
}

interface Compiled {
  graph: TrainingGraph;
  run: GraphRunner;
  probe?: GraphRunner;
}

export class StepEngine {
  private readonly compiled = new Map<string, Promise<Compiled>>();
  private teacherRun?: Promise<GraphRunner>;
  private readonly teacherValues = new Set<string>();

  constructor(
    private readonly model: Model,
    private readonly opts: StepOptions,
  ) {}

  /** The training graph for inputs of these shapes (built once per shape). */
  graphFor(inputs: Record<string, Tensor>, gradients = true): Promise<Compiled> {
    const shapes = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, [...t.dims]]));
    const key = `${gradients}|${JSON.stringify(shapes)}`;
    let c = this.compiled.get(key);
    if (!c) {
      c = (async () => {
        const graph = buildTrainingGraph(this.model, {
          inputShapes: shapes,
          loss: this.opts.loss,
          weights: this.opts.weights,
          freeze: this.opts.freeze,
          batchNorm: this.opts.batchNorm,
          gradients,
        });
        for (const t of graph.targets) if (t.source === 'teacher') this.teacherValues.add(t.value);
        const run = await this.opts.runner(graph.model);
        const probe = graph.probe ? await this.opts.runner(graph.probe) : undefined;
        return { graph, run, probe };
      })();
      this.compiled.set(key, c);
    }
    return c;
  }

  async step(
    batch: Batch,
    weights: ReadonlyMap<string, Float32Array>,
    gradients: boolean,
  ): Promise<StepResult> {
    const { graph, run, probe } = await this.graphFor(batch.inputs, gradients);
    const feeds: Record<string, Tensor> = { ...batch.inputs };
    for (const w of graph.weights)
      feeds[w.name] = { dtype: 'float32', dims: w.shape, data: weights.get(w.name)! };
    const teacher = graph.targets.some((t) => t.source === 'teacher')
      ? await this.runTeacher(batch.inputs)
      : {};
    for (const t of graph.targets) feeds[t.input] = targetTensor(t, batch.labels, teacher);
    let loss = 0;
    if (probe) {
      const values = await probe.run(feeds);
      for (const x of graph.external) {
        const logits = values[x.value]!;
        const labels = batch.labels.map((l, i) => sequence(l, i));
        const res = ctcLoss(logits.data as Float32Array, logits.dims, labels, x.term.blank ?? 0);
        const w = x.term.weight ?? 1;
        loss += w * res.loss;
        const seed = res.grad;
        if (w !== 1) for (let i = 0; i < seed.length; i++) seed[i] = seed[i]! * w;
        feeds[x.seed] = { dtype: 'float32', dims: [...logits.dims], data: seed };
      }
    }
    const out = await run.run(feeds);
    if (graph.loss) loss += (out[graph.loss]!.data as Float32Array)[0]!;
    const grads = gradients
      ? new Map([...graph.gradients].map(([w, o]) => [w, out[o]!.data as Float32Array]))
      : undefined;
    const stats = new Map<string, Float32Array>();
    for (const s of graph.batchStats) {
      stats.set(s.runningMean, out[s.batchMean]!.data as Float32Array);
      stats.set(s.runningVar, out[s.batchVar]!.data as Float32Array);
    }
    return { loss, grads, stats };
  }

  private async runTeacher(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const teacher = this.opts.teacher;
    if (!teacher) throw new UserError('a loss compares with the teacher, but no teacher model was given');
    this.teacherRun ??= (async () => {
      const m = cloneModel(teacher);
      const known = new Set(m.graph.valueNames());
      const missing = [...this.teacherValues].filter((v) => !known.has(v));
      if (missing.length)
        throw new UserError(
          `the teacher has no value named ${missing.map((v) => `'${v}'`).join(', ')}`,
          'the teacher must have the student’s inputs and outputs (and the inner values a hint loss matches)',
        );
      m.graph.outputs = [...this.teacherValues].map((name) => ({ name }));
      m.graph.sweep();
      return (this.opts.teacherRunner ?? this.opts.runner)(m);
    })();
    return (await this.teacherRun).run(inputs);
  }

  async release(): Promise<void> {
    for (const c of this.compiled.values()) {
      const { run, probe } = await c;
      await run.release();
      await probe?.release();
    }
    if (this.teacherRun) await (await this.teacherRun).release();
  }
}

function sequence(l: Label | undefined, i: number): number[] {
  if (Array.isArray(l)) return l as number[];
  throw new UserError(`sample ${i} has no label sequence; ctc needs one (class indices) per sample`);
}

/** The tensor a target input is fed: the teacher's value, one-hot labels, or stacked label tensors. */
function targetTensor(
  t: TargetFeed,
  labels: readonly (Label | undefined)[],
  teacher: Record<string, Tensor>,
): Tensor {
  if (t.source === 'teacher') {
    const v = teacher[t.value]!;
    if (v.dims.length !== t.shape.length || v.dims.some((d, i) => d !== t.shape[i]))
      throw new UserError(
        `the teacher's '${t.value}' has shape [${v.dims.join(', ')}], the student's [${t.shape.join(', ')}]`,
      );
    return v;
  }
  const data = new Float32Array(sizeOf(t.shape));
  if (t.source === 'label-onehot') {
    const C = t.shape[t.shape.length - 1]!;
    const per = data.length / C / labels.length;
    labels.forEach((l, n) => {
      const classes = typeof l === 'number' ? [l] : Array.isArray(l) ? (l as number[]) : undefined;
      if (!classes || classes.length !== per)
        throw new UserError(
          `sample ${n}: cross-entropy on '${t.value}' needs ${per === 1 ? 'a class index' : `${per} class indices`} as its label`,
        );
      classes.forEach((k, j) => {
        if (!Number.isInteger(k) || k < 0 || k >= C)
          throw new UserError(`sample ${n}: label ${k} is not a class of '${t.value}' (0..${C - 1})`);
        data[(n * per + j) * C + k] = 1;
      });
    });
    return { dtype: 'float32', dims: t.shape, data };
  }
  let at = 0;
  labels.forEach((l, n) => {
    if (!l || typeof l === 'number' || Array.isArray(l))
      throw new UserError(`sample ${n}: a loss against labels on '${t.value}' needs a label tensor`);
    const lt = l as Tensor;
    if (at + lt.data.length > data.length)
      throw new UserError(
        `sample ${n}: its label tensor [${lt.dims.join(', ')}] does not match '${t.value}' [${t.shape.join(', ')}]`,
      );
    data.set(lt.data as Float32Array, at);
    at += lt.data.length;
  });
  if (at !== data.length)
    throw new UserError(`the label tensors hold ${at} values; '${t.value}' of the batch has ${data.length}`);
  return { dtype: 'float32', dims: t.shape, data };
}
