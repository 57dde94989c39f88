// criterion taylor (Molchanov et al. 2017): the first-order Taylor estimate of the loss change when a
// unit is removed. The loss is the cross-entropy of the model's first output against the class
// labels of the recipe's finetune statement when it has them (its data, up to 64 samples), else
// against the model's own top class on the calibration samples (pseudo-labels: a loss against the
// model itself has zero gradient), one sample a run of the training graph (compiler/train). A channel's importance is |mean over samples and
// positions of a·∂L/∂a| for its output a: the gradient of a gate m = 1 multiplied onto the conv's
// output is exactly Σ a·∂L/∂a. A weight's is |w·∂L/∂w| with the gradient averaged over the samples
// (unchanged when BN is folded into w: w·s and ∂L/∂w / s). No file I/O.

import { type Diagnostic, diag } from '../../../dsl/diagnostics.ts';
import { findOption } from '../../../dsl/table/index.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { inferShapes } from '../../../runtime/ir/shape/index.ts';
import { float32, type Tensor } from '../../../runtime/ir/tensor.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import type { Sample } from '../../data/calibration.ts';
import type { PassContext } from '../../engine/pass.ts';
import { wordOption } from '../../plan/options.ts';
import type { Plan } from '../../plan/plan.ts';
import { buildTrainingGraph, type TrainingGraph } from '../../train/graph/training-graph.ts';
import { type RunnerFactory, squishRunner } from '../../train/runner.ts';
import { weightValues } from '../../train/weights.ts';
import { finetuneLabels } from '../distill/index.ts';

/** Most labelled samples taylor reads from a finetune statement's data. */
const LABELLED_MAX = 64;

/** What taylor's loss compares with: class labels (one per sample), or the model's top class. */
export interface TaylorData {
  samples: Sample[];
  labels?: number[];
}

/** The finetune statement's data and class labels when it has them, else the calibration samples. */
export async function taylorData(ctx: Pick<PassContext, 'samples' | 'data' | 'log'>): Promise<TaylorData> {
  const f = finetuneLabels(ctx);
  if (f?.labels.every((l) => typeof l === 'number')) {
    const n = Math.min(f.data.size, LABELLED_MAX);
    const samples: Sample[] = [];
    for (let i = 0; i < n; i++) samples.push((await f.data.get(i)).inputs);
    ctx.log?.(`taylor: the cross-entropy against the finetune labels of ${n} samples`);
    return { samples, labels: f.labels.slice(0, n) as number[] };
  }
  if (!ctx.samples?.length)
    throw new Error('taylor needs calibration samples, and the checks let it through');
  ctx.log?.(`taylor: the cross-entropy against the model's own top class on ${ctx.samples.length} samples`);
  return { samples: ctx.samples };
}

/** One-hot of `label` for a [N, K] output, else of the top class along the last axis of each row of `y`. */
function targetOf(y: Tensor, label: number | undefined): Tensor {
  const k = y.dims[y.dims.length - 1]!;
  if (label !== undefined && y.dims.length === 2 && y.dims[0] === 1 && label >= 0 && label < k) {
    const out = new Float32Array(k);
    out[label] = 1;
    return float32([...y.dims], out);
  }
  return topClassOneHot(y);
}

/** One-hot of the top class along the last axis of each row of `y`. */
function topClassOneHot(y: Tensor): Tensor {
  const d = y.data as Float32Array;
  const k = y.dims[y.dims.length - 1]!;
  const out = new Float32Array(d.length);
  for (let r = 0; r < d.length; r += k) {
    let best = r;
    for (let i = r + 1; i < r + k; i++) if (d[i]! > d[best]!) best = i;
    out[best] = 1;
  }
  return float32([...y.dims], out);
}

/**
 * Σ over the samples of ∂L/∂w for the named weights (float64), L the cross-entropy of the first
 * output against the labels, or the model's own top class; and how many samples were summed.
 */
export async function taylorGradients(
  model: Model,
  names: readonly string[],
  { samples, labels }: TaylorData,
  runner: RunnerFactory = squishRunner(),
): Promise<{ sums: Map<string, Float64Array>; count: number }> {
  const out = model.graph.outputs[0]!.name;
  const sums = new Map<string, Float64Array>();
  const forward = await runner(model);
  const graphs = new Map<string, { tg: TrainingGraph; run: Awaited<ReturnType<RunnerFactory>> }>();
  try {
    for (const [i, sample] of samples.entries()) {
      const key = Object.entries(sample)
        .map(([k, t]) => `${k}:${t.dims.join('x')}`)
        .join(',');
      let entry = graphs.get(key);
      if (!entry) {
        const inputShapes = Object.fromEntries(Object.entries(sample).map(([k, t]) => [k, [...t.dims]]));
        const tg = buildTrainingGraph(model, {
          inputShapes,
          loss: [{ kind: 'cross-entropy', value: out, target: 'label' }],
          weights: names,
        });
        entry = { tg, run: await runner(tg.model) };
        graphs.set(key, entry);
      }
      const y = (await forward.run(sample))[out]!;
      const feeds: Record<string, Tensor> = { ...sample, ...weightValues(model, entry.tg.weights) };
      for (const t of entry.tg.targets) feeds[t.input] = targetOf(y, labels?.[i]);
      const res = await entry.run.run(feeds);
      for (const [w, g] of entry.tg.gradients) {
        const d = res[g]!.data as Float32Array;
        let acc = sums.get(w);
        if (!acc) sums.set(w, (acc = new Float64Array(d.length)));
        for (let i = 0; i < d.length; i++) acc[i]! += d[i]!;
      }
    }
  } finally {
    await forward.release();
    for (const e of graphs.values()) await e.run.release();
  }
  return { sums, count: samples.length };
}

/**
 * Per conv node, the Taylor importance of each output channel: |mean over samples and positions of
 * a·∂L/∂a| for the node's output a (channel axis 1).
 */
export async function channelTaylor(
  model: Model,
  nodes: readonly Node[],
  data: TaylorData,
  runner?: RunnerFactory,
): Promise<Map<Node, Float64Array>> {
  const gated = cloneModel(model);
  const g = gated.graph;
  const inputShapes = Object.fromEntries(
    Object.entries(data.samples[0] ?? {}).map(([k, t]) => [k, [...t.dims]]),
  );
  const types = inferShapes(model.graph, { opset: model.opset('') ?? 17, inputShapes }).types;
  const gates = new Map<Node, { gate: string; positions: number }>();
  for (const n of new Set(nodes)) {
    const v = n.outputs[0]!;
    const shape = (types.get(v) ?? model.graph.declaredType(v))?.shape;
    if (!shape || shape.some((d) => typeof d !== 'number') || shape.length < 2)
      throw new Error(`taylor: the output of ${n.name || v} has no static shape`);
    const dims = shape as number[];
    const c = dims[1]!;
    const gate = g.uniqueName(`${v}/taylor_gate`);
    g.addInitializer(
      gate,
      float32(
        dims.map((d, i) => (i === 1 ? d : 1)),
        new Float32Array(c).fill(1),
      ),
    );
    const copy = g.producer(v)!;
    const pre = g.uniqueName(`${v}/taylor_in`);
    copy.setOutput(0, pre);
    g.addNode({ op: 'Mul', inputs: [pre, gate], outputs: [v] }, { after: copy });
    gates.set(n, { gate, positions: dims.reduce((a, b) => a * b, 1) / dims[0]! / c });
  }
  g.touch();
  const { sums, count } = await taylorGradients(
    gated,
    [...gates.values()].map((x) => x.gate),
    data,
    runner,
  );
  const out = new Map<Node, Float64Array>();
  for (const [n, { gate, positions }] of gates)
    out.set(
      n,
      Float64Array.from(sums.get(gate)!, (s) => Math.abs(s / (count * positions))),
    );
  return out;
}

/** Per weight element, |w·mean ∂L/∂w| (the weights named as the model has them now). */
export async function weightTaylor(
  model: Model,
  names: readonly string[],
  data: TaylorData,
  runner?: RunnerFactory,
): Promise<Map<string, Float32Array>> {
  const { sums, count } = await taylorGradients(model, names, data, runner);
  const out = new Map<string, Float32Array>();
  for (const name of names) {
    const w = model.graph.constant(name)!.data as Float32Array;
    const s = sums.get(name)!;
    out.set(
      name,
      Float32Array.from(w, (x, i) => Math.abs((x * s[i]!) / count)),
    );
  }
  return out;
}

/** Whether an output shape holds class scores along its last axis ([N, K] or [N, T, K], K ≥ 2). */
function classScores(shape: readonly (number | string)[] | undefined): boolean {
  if (!shape) return true;
  const last = shape[shape.length - 1];
  return (shape.length === 2 || shape.length === 3) && (typeof last !== 'number' || last >= 2);
}

/** Plan-time check of one prune kind: criterion taylor needs class scores as the first output (its loss). */
export function taylorChecks(
  kind: 'prune-structure' | 'prune-sparse',
  model: Model,
  plan: Plan & { inputShapes?: Record<string, unknown[]> },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<object>();
  const o = model.graph.outputs[0];
  let shape: readonly (number | string)[] | undefined;
  let done = false;
  for (const l of plan.layers)
    for (const a of l.actions) {
      if (a.kind !== kind) continue;
      if (seen.has(a.statement) || wordOption(a.statement, 'criterion') !== 'taylor') continue;
      seen.add(a.statement);
      if (!done) {
        const pinned = Object.fromEntries(
          Object.entries(plan.inputShapes ?? {}).filter(([, d]) => d.every((x) => typeof x === 'number')),
        ) as Record<string, number[]>;
        const types = inferShapes(model.graph, { opset: model.opset('') ?? 17, inputShapes: pinned }).types;
        shape = o ? ((types.get(o.name) ?? o.type)?.shape as (number | string)[] | undefined) : undefined;
        done = true;
      }
      if (o && classScores(shape)) continue;
      out.push(
        diag(
          'SQ413',
          findOption(a.statement.options, 'criterion')!.values[0]!.span,
          `criterion taylor takes gradients of the cross-entropy against the model's own top class, but output '${o?.name ?? '?'}' is [${(shape ?? ['?']).join(', ')}], not class scores`,
          'taylor works on classifiers ([N, K] or [N, T, K] first output); use l1, l2, activation or apoz here',
        ),
      );
    }
  return out;
}
