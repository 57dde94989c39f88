// The trainable view of a compressed model, and writing what trained back into it, so training keeps
// the structure the recipe chose:
// - a float weight trains as it is; where its layer was pruned (weights, N:M, kernels, blocks) its
//   zeros are masked and stay zero; channel-pruned and factorized layers train at their new shapes;
// - a clustered weight (indices → Cast → Gather(codebook)) trains its codebook: every member's
//   gradient sums into its centroid, and the entry 0.0 of pruned zeros stays 0;
// - a quantized weight (codes → DequantizeLinear) trains a float shadow through a fake quantizer
//   — Div(S) → Add(Z) → Clip(lo, hi) → QuantizeLinear → DequantizeLinear → Sub(Z) → Mul(S), S and Z
//   per element — which computes exactly the stored codes' values (the straight-through estimator
//   passes the gradient inside the clip range), and the shadow is quantized again at the end;
//   binary weights use S = 2α, Z = ½ and codes 2c − 1 on c ∈ {0, 1};
// - everything else (layers outside the statement's selection, `keep` layers, scales) stays frozen.

import type { DType } from '../../../runtime/ir/dtype.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, makeTensor, type Tensor } from '../../../runtime/ir/tensor.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import { gradRule } from '../../train/grad/registry.ts';
import { differentiable } from '../../train/grad/rule.ts';
import { writeWeights } from '../../train/weights.ts';
import type { WeightSettings } from '../quantize/options.ts';
import { qRange, roundHalfEven, scaleIndexer } from '../quantize/uniform.ts';

/** What the plan says about one trained node. */
export interface TrainedNode {
  /** Its pruned zeros stay zero (the layer has a weights/N:M/kernels/blocks prune action). */
  masked: boolean;
  /** Its quantize-weights settings, when it has that action. */
  quantized?: WeightSettings;
}

interface FakeQuantized {
  shadow: string;
  codes: string;
  dtype: DType;
  dims: number[];
  /** Per element: x = w / S + Z is rounded and clipped to [lo, hi]; the value is (c − Z)·S. */
  S: Float32Array;
  Z: Float32Array;
  lo: number;
  hi: number;
  binary: boolean;
}

export interface TrainingView {
  model: Model;
  /** Names of the weights that train (graph initializers of `model`). */
  trainable: string[];
  /** Per trainable weight with masked elements: 1 trains, 0 stays zero. */
  masks: Record<string, Uint8Array>;
  /** Trained elements by how they are kept. */
  counts: { trained: number; masked: number; fake_quantized: number; codebook: number };
  /** The nodes whose weights train. */
  nodes: string[];
  fake: FakeQuantized[];
  /** Weights of trained nodes that stay frozen, and why. */
  skipped: string[];
}

const FLOAT_WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

function isDataOp(n: Node | undefined): boolean {
  return !!n && (n.domain === '' || n.domain === 'ai.onnx');
}

/** The float constant of a value (initializer or Constant node), when it is one. */
function floatConstant(g: Graph, name: string): Tensor | undefined {
  const t = g.constant(name);
  return t?.dtype === 'float32' ? t : undefined;
}

/** The code range and offset of a quantized weight's stored codes. */
function codeRange(
  dtype: DType,
  s: WeightSettings | undefined,
): { lo: number; hi: number; kind: 'uniform' | 'binary' | 'ternary' } {
  const signed = dtype.startsWith('int');
  const width = dtype.endsWith('8') ? 8 : dtype.endsWith('4') ? 4 : 2;
  const kind = s?.kind ?? 'uniform';
  if (kind === 'ternary') return { lo: -1, hi: 1, kind };
  if (kind === 'binary') return { lo: 0, hi: 1, kind };
  const { qmin, qmax } = qRange(s?.bits ?? width, signed);
  return { lo: qmin, hi: qmax, kind };
}

/** Per-element scale and offset of a DequantizeLinear's codes. */
function perElement(
  g: Graph,
  dq: Node,
  dims: readonly number[],
): { scale: Float32Array; zero: Float32Array } | string {
  const scale = floatConstant(g, dq.inputs[1] ?? '');
  if (!scale) return 'its scale is not a float32 constant';
  const zp = dq.inputs[2] ? g.constant(dq.inputs[2]) : undefined;
  if (dq.inputs[2] && !zp) return 'its zero point is not a constant';
  const block = Number(dq.attrs.block_size ?? 0);
  const rawAxis = Number(dq.attrs.axis ?? 1);
  const count = scale.data.length;
  const layout =
    count === 1
      ? scaleIndexer(dims, { kind: 'tensor' })
      : block > 0
        ? scaleIndexer(dims, { kind: 'group', axis: rawAxis, size: block })
        : scaleIndexer(dims, { kind: 'channel', axis: rawAxis });
  const n = dims.reduce((p, d) => p * d, 1);
  const S = new Float32Array(n);
  const Z = new Float32Array(n);
  const sd = scale.data as Float32Array;
  const zd = zp?.data as ArrayLike<number> | undefined;
  for (let i = 0; i < n; i++) {
    const k = layout.index(i);
    S[i] = sd[k]!;
    Z[i] = zd ? Number(zd[k]) : 0;
  }
  return { scale: S, zero: Z };
}

/** Replace a weight's DequantizeLinear by a fake quantizer over a float shadow (in the view). */
function fakeQuantize(g: Graph, dq: Node, settings: WeightSettings | undefined): FakeQuantized | string {
  const codesName = dq.inputs[0]!;
  const codes = g.initializers.get(codesName);
  if (!codes) return 'its codes are not an initializer';
  if (!/^u?int(8|4|2)$/.test(codes.dtype)) return `its codes are ${codes.dtype}`;
  const dims = [...codes.dims];
  const el = perElement(g, dq, dims);
  if (typeof el === 'string') return el;
  const { lo, hi, kind } = codeRange(codes.dtype, settings);
  const binary = kind === 'binary';
  const S = binary ? el.scale.map((s) => 2 * s) : el.scale;
  const Z = binary ? new Float32Array(S.length).fill(0.5) : el.zero;
  const q = codes.data as ArrayLike<number>;
  const shadow = new Float32Array(S.length);
  for (let i = 0; i < shadow.length; i++) {
    const c = binary ? (Number(q[i]) + 1) / 2 : Number(q[i]);
    shadow[i] = Math.fround((c - Z[i]!) * S[i]!);
  }
  const base = dq.name || dq.outputs[0]!;
  const name = (suffix: string) => g.uniqueName(`${base}.${suffix}`);
  const shadowName = name('shadow');
  const sName = name('fq_scale');
  const zName = name('fq_offset');
  const one = name('fq_one');
  const zero = name('fq_zero');
  g.addInitializer(shadowName, float32(dims, shadow));
  g.addInitializer(sName, float32(dims, S));
  g.addInitializer(zName, float32(dims, Z));
  g.addInitializer(one, float32([], [1]));
  // the rounding happens in an 8-bit type wide enough for every code range used here
  g.addInitializer(
    zero,
    makeTensor(lo < 0 ? 'int8' : 'uint8', [], lo < 0 ? new Int8Array(1) : new Uint8Array(1)),
  );
  const lim = (v: number) => {
    const n = name('fq_limit');
    g.addInitializer(n, float32([], [v]));
    return n;
  };
  const steps: [string, string[]][] = [
    ['Div', [shadowName, sName]],
    ['Add', ['', zName]],
    ['Clip', ['', lim(lo), lim(hi)]],
    ['QuantizeLinear', ['', one, zero]],
    ['DequantizeLinear', ['', one, zero]],
    ['Sub', ['', zName]],
    ['Mul', ['', sName]],
  ];
  let prev = '';
  steps.forEach(([op, inputs], i) => {
    const last = i === steps.length - 1;
    const out = last ? dq.outputs[0]! : name(`fq${i}`);
    g.addNode(
      { op, name: `${base}.fq${i}`, inputs: inputs.map((x) => x || prev), outputs: [out] },
      { before: dq },
    );
    prev = out;
  });
  g.removeNode(dq);
  return {
    shadow: shadowName,
    codes: codesName,
    dtype: codes.dtype,
    dims,
    S,
    Z,
    lo,
    hi,
    binary,
  };
}

/** The codebook of a clustered weight (indices → Cast → Gather(codebook)), if `v` is one. */
function codebookOf(g: Graph, v: string): string | undefined {
  const p = g.producer(v);
  if (p?.opType !== 'Gather' || !isDataOp(p)) return undefined;
  const book = p.inputs[0] ?? '';
  if (!floatConstant(g, book)) return undefined;
  const indices = p.inputs[1] ?? '';
  const cast = g.producer(indices);
  const constant = cast
    ? cast.opType === 'Cast' && g.constant(cast.inputs[0] ?? '') !== undefined
    : g.constant(indices) !== undefined;
  return constant ? book : undefined;
}

/** A node's layer name, as the plan and nodesByLayer name it. */
export const layerOf = (n: Node): string => n.name || n.outputs[0] || '';

/**
 * The trainable view of `model` for the named nodes. Weights of other nodes stay frozen; a weight
 * shared with a frozen node stays frozen too.
 */
export function trainingView(model: Model, nodes: ReadonlyMap<string, TrainedNode>): TrainingView {
  const view = cloneModel(model);
  const g = view.graph;
  const trainable = new Set<string>();
  const masks: Record<string, Uint8Array> = {};
  const fake: FakeQuantized[] = [];
  const counts = { trained: 0, masked: 0, fake_quantized: 0, codebook: 0 };
  const frozenUse = new Set<string>();
  const picked: { node: Node; plan: TrainedNode }[] = [];
  const skipped: string[] = [];
  for (const n of g.topoOrder()) {
    const plan = nodes.get(layerOf(n));
    if (plan) picked.push({ node: n, plan });
    else for (const i of n.inputs) if (i) frozenUse.add(i);
  }
  const mask = (name: string, data: Float32Array, masked: boolean) => {
    if (!masked) return;
    const m = Uint8Array.from(data, (v) => (v === 0 ? 0 : 1));
    if (m.includes(0)) masks[name] = m;
  };
  for (const { node, plan } of picked) {
    node.inputs.forEach((v, slot) => {
      if (!v || frozenUse.has(v) || trainable.has(v)) return;
      if (slot === 0 && FLOAT_WEIGHT_OPS.has(node.opType) && !floatConstant(g, v)) return;
      // slots no gradient flows through (Resize scales, Clip bounds, shapes) hold no weights
      const rule = gradRule(node.opType, node.domain);
      if (rule && !differentiable(rule, slot)) return;
      const weightSlot = FLOAT_WEIGHT_OPS.has(node.opType) && slot === 1;
      const direct = floatConstant(g, v);
      if (direct) {
        if (direct.data.length < 2) return;
        if (g.consumers(v).some((c) => !nodes.has(layerOf(c)))) return;
        trainable.add(v);
        mask(v, direct.data as Float32Array, plan.masked && weightSlot);
        return;
      }
      const p = g.producer(v);
      if (p?.opType === 'DequantizeLinear' && isDataOp(p) && g.initializers.has(p.inputs[0] ?? '')) {
        if (g.consumers(v).length !== 1 || g.consumers(p.inputs[0]!).length !== 1) return;
        const fq = fakeQuantize(g, p, plan.quantized);
        if (typeof fq === 'string') {
          skipped.push(`the quantized weight of '${node.label}' stays frozen: ${fq}`);
          return;
        }
        fake.push(fq);
        trainable.add(fq.shadow);
        mask(fq.shadow, g.initializers.get(fq.shadow)!.data as Float32Array, plan.masked);
        return;
      }
      const book = codebookOf(g, v);
      if (book && g.consumers(book).length === 1) {
        trainable.add(book);
        const data = g.constant(book)!.data as Float32Array;
        mask(book, data, true);
        counts.codebook += data.length;
      }
    });
  }
  for (const name of trainable) {
    const n = g.constant(name)!.data.length;
    counts.trained += n;
    counts.masked += masks[name] ? masks[name]!.filter((x) => x === 0).length : 0;
  }
  counts.fake_quantized = fake.reduce((s, f) => s + f.S.length, 0);
  g.sweep();
  return {
    model: view,
    trainable: [...trainable],
    masks,
    counts,
    nodes: picked.map((p) => layerOf(p.node)),
    fake,
    skipped,
  };
}

/** The stored code of trained value w under a fake quantizer (what its forward rounded to). */
export function codeOf(f: FakeQuantized, i: number, w: number): number {
  const x = Math.fround(Math.fround(w / f.S[i]!) + f.Z[i]!);
  const c = Math.min(f.hi, Math.max(f.lo, roundHalfEven(x)));
  return f.binary ? 2 * c - 1 : c;
}

/** Write the trained weights of `trained` (a trained copy of the view) into the compressed model. */
export function writeBack(view: TrainingView, trained: Model, target: Model): void {
  const values = new Map<string, Float32Array>();
  const shadows = new Map(view.fake.map((f) => [f.shadow, f]));
  for (const name of view.trainable) {
    const data = trained.graph.constant(name)?.data as Float32Array | undefined;
    if (!data) throw new Error(`the trained model lost weight '${name}'`);
    const f = shadows.get(name);
    if (!f) {
      values.set(name, data);
      continue;
    }
    const codes = makeTensor(f.dtype, f.dims);
    const out = codes.data as Int8Array | Uint8Array;
    for (let i = 0; i < data.length; i++) out[i] = codeOf(f, i, data[i]!);
    target.graph.initializers.set(f.codes, codes);
  }
  writeWeights(target, values);
}
