// Graph fusion for the backends with kernels of their own: Conv / ConvTranspose (+ BatchNormalization,
// affine constants, Relu/Clip/HardSigmoid/Sigmoid/HardSwish and their Add-Clip-Mul-Div decompositions)
// ⇒ one node `squish.fused::Fused<Producer>` whose epilogue runs inside the producer's kernel;
// likewise a binary op of two runtime tensors with what follows it (SE blocks: Mul(c, s) → Add(c, ·)).
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import { INT_RANGE } from '../../ops/reference/quant.ts';
import type { GraphNode } from '../backend.ts';
import { type EpilogueStep, encodeSteps, type Operand } from './epilogue.ts';

export const FUSED_DOMAIN = 'squish.fused';
const PRODUCERS = new Set(['Conv', 'ConvTranspose']);

/**
 * The op whose reference kernel computes a fused node before its epilogue: the producer or anchor,
 * except a QuantizeLinear anchor, whose quantization is all in the epilogue (over its float input).
 */
export function fusedBaseOp(fusedOp: string): string {
  return fusedOp === 'FusedQuantizeLinear' ? 'Identity' : fusedOp.replace(/^Fused/, '');
}

/** Whether the backend's kernel takes this producer (Conv / ConvTranspose) with an epilogue. */
export type TakesProducer = (n: GraphNode) => boolean;

/** Output channels a producer node writes (from its constant weights), or undefined. */
function producerChannels(n: GraphNode, takes: TakesProducer): number | undefined {
  const w = n.constInputs[1];
  if (w?.dtype !== 'float32' || w.dims.length !== 4) return undefined;
  // fuse only what the backend will prepare: the fused node has no reference kernel
  const x = n.inputTypes[0];
  if (x && (x.dtype !== 'float32' || (x.shape !== undefined && x.shape.length !== 4))) return undefined;
  const hasBias = n.inputs[2] !== undefined && n.inputs[2] !== '';
  if (hasBias && n.constInputs[2]?.dtype !== 'float32') return undefined;
  if (n.inputs.length > 3) return undefined;
  if (!takes(n)) return undefined;
  return n.op === 'Conv' ? w.dims[0] : (w.dims[1] as number);
}

/** A constant operand as scalar or per-channel (shape [C,1,1] or [1,C,1,1]); undefined otherwise. */
function constOperand(t: Tensor, channels: number, chans: Float32Array[]): Operand | undefined {
  if (t.dtype !== 'float32') return undefined;
  const n = sizeOf(t.dims);
  if (n === 1 && t.dims.length <= 4) return { scalar: (t.data as Float32Array)[0] as number };
  const d = t.dims;
  const perChannel =
    n === channels &&
    ((d.length === 3 && d[1] === 1 && d[2] === 1) ||
      (d.length === 4 && d[0] === 1 && d[2] === 1 && d[3] === 1));
  if (!perChannel) return undefined;
  chans.push(t.data as Float32Array);
  return { chan: chans.length - 1 };
}

interface Grown {
  steps: EpilogueStep[];
  chans: Float32Array[];
  out: string;
}

/** Translate one node into epilogue steps over the region's values; undefined if not fusible. */
function translate(
  n: GraphNode,
  vals: Map<string, number>,
  channels: number,
  chans: Float32Array[],
  base: number,
  anchorInputs: readonly string[],
): EpilogueStep[] | undefined {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return undefined;
  if (n.outputs.length !== 1) return undefined;
  const arg = (i: number): Operand | undefined => {
    const name = n.inputs[i];
    if (name === undefined || name === '') return undefined;
    const v = vals.get(name);
    if (v !== undefined) return { ref: v };
    const k = anchorInputs.indexOf(name);
    if (k >= 0) return { input: k };
    const c = n.constInputs[i];
    return c ? constOperand(c, channels, chans) : undefined;
  };
  const x = n.inputs[0] !== undefined ? vals.get(n.inputs[0]) : undefined;
  switch (n.op) {
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const a = arg(0);
      const b = arg(1);
      if (!a || !b || n.inputs.length !== 2) return undefined;
      if (!('ref' in a) && !('ref' in b)) return undefined;
      return [{ op: n.op, args: [a, b] }];
    }
    case 'Relu':
    case 'Sigmoid':
    case 'HardSwish':
      return x === undefined ? undefined : [{ op: n.op, args: [{ ref: x }] }];
    case 'HardSigmoid':
      if (x === undefined) return undefined;
      return [
        {
          op: 'HardSigmoid',
          args: [{ ref: x }],
          alpha: Number(n.attrs.alpha ?? 0.2),
          beta: Number(n.attrs.beta ?? 0.5),
        },
      ];
    case 'Clip': {
      if (x === undefined) return undefined;
      const bound = (i: number, attr: string): number | undefined | null => {
        const name = n.inputs[i];
        if (name !== undefined && name !== '') {
          const c = n.constInputs[i];
          return c && c.dtype === 'float32' && sizeOf(c.dims) === 1
            ? ((c.data as Float32Array)[0] as number)
            : null;
        }
        const a = n.attrs[attr];
        return typeof a === 'number' ? a : undefined;
      };
      const lo = bound(1, 'min');
      const hi = bound(2, 'max');
      if (lo === null || hi === null) return undefined;
      const steps: EpilogueStep[] = [];
      let cur = x;
      if (lo !== undefined) {
        steps.push({ op: 'Max', args: [{ ref: cur }, { scalar: lo }] });
        cur = base + steps.length;
      }
      if (hi !== undefined) steps.push({ op: 'Min', args: [{ ref: cur }, { scalar: hi }] });
      if (steps.length === 0) steps.push({ op: 'Add', args: [{ ref: cur }, { scalar: 0 }] });
      return steps;
    }
    case 'BatchNormalization': {
      if (x === undefined || n.inputs.length !== 5) return undefined;
      const [, g, b, m, v] = n.constInputs;
      if (!g || !b || !m || !v) return undefined;
      if (![g, b, m, v].every((t) => t.dtype === 'float32' && sizeOf(t.dims) === channels)) return undefined;
      const eps = Number(n.attrs.epsilon ?? 1e-5);
      const scale = new Float32Array(channels);
      const shift = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        const s =
          ((g.data as Float32Array)[c] as number) / Math.sqrt(((v.data as Float32Array)[c] as number) + eps);
        scale[c] = s;
        shift[c] = ((b.data as Float32Array)[c] as number) - ((m.data as Float32Array)[c] as number) * s;
      }
      chans.push(scale, shift);
      return [
        { op: 'Mul', args: [{ ref: x }, { chan: chans.length - 2 }] },
        { op: 'Add', args: [{ ref: base + 1 }, { chan: chans.length - 1 }] },
      ];
    }
    case 'QuantizeLinear':
    case 'DequantizeLinear':
      return x === undefined ? undefined : quantSteps(n, x, base);
    default:
      return undefined;
  }
}

/** Quantized types whose every value a float32 holds exactly (ranges from the reference kernels). */
const FAKE_QUANT_TYPES: readonly string[] = ['int8', 'uint8', 'int16', 'uint16'];

/**
 * QuantizeLinear / DequantizeLinear with one scale and zero point as float steps: the quantized value
 * stays a float holding an integer (round half to even, then clamp), so Q → DQ inside a region is
 * the fake quantization static QDQ activations describe.
 */
function quantSteps(n: GraphNode, x: number, base: number): EpilogueStep[] | undefined {
  const [, s, z] = n.constInputs;
  if (n.inputs.length < 2 || !s || s.dtype !== 'float32' || sizeOf(s.dims) !== 1) return undefined;
  const scale = (s.data as Float32Array)[0] as number;
  const hasZero = n.inputs[2] !== undefined && n.inputs[2] !== '';
  if (hasZero && (!z || sizeOf(z.dims) !== 1 || !FAKE_QUANT_TYPES.includes(z.dtype))) return undefined;
  const zero = hasZero && z ? Number((z.data as ArrayLike<number>)[0]) : 0;
  if (n.op === 'DequantizeLinear') {
    return [
      { op: 'Sub', args: [{ ref: x }, { scalar: zero }] },
      { op: 'Mul', args: [{ ref: base + 1 }, { scalar: scale }] },
    ];
  }
  if (n.attrs.output_dtype !== undefined && !hasZero) return undefined;
  const range = INT_RANGE[hasZero && z ? z.dtype : 'uint8'];
  if (!range) return undefined;
  return [
    { op: 'Div', args: [{ ref: x }, { scalar: scale }] },
    { op: 'Round', args: [{ ref: base + 1 }] },
    { op: 'Add', args: [{ ref: base + 2 }, { scalar: zero }] },
    { op: 'Max', args: [{ ref: base + 3 }, { scalar: range[0] }] },
    { op: 'Min', args: [{ ref: base + 4 }, { scalar: range[1] }] },
  ];
}

/** Grow the elementwise region after producer `p` (index i); returns the fused epilogue or undefined. */
/** Binary elementwise anchors: two runtime float32 inputs (SE / residual blocks). */
const ELTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);
function isEltwiseAnchor(n: GraphNode): boolean {
  return (
    ELTWISE.has(n.op) &&
    (n.domain === '' || n.domain === 'ai.onnx') &&
    n.inputs.length === 2 &&
    n.constInputs.every((c) => c === undefined) &&
    n.inputTypes.every((t) => t?.dtype === 'float32')
  );
}

/** Output channels of an elementwise anchor when static (rank-4 output), else -1 (no per-channel operands). */
/**
 * QuantizeLinear of a runtime float32 value with one scale (static QDQ activations not preceded by a
 * fusible producer), where the backend takes it: the fused node reads the float input and its
 * epilogue quantizes, dequantizes and goes on.
 */
function isQuantAnchor(n: GraphNode, takes: TakesProducer): boolean {
  return (
    n.op === 'QuantizeLinear' &&
    (n.domain === '' || n.domain === 'ai.onnx') &&
    n.constInputs[0] === undefined &&
    n.inputTypes[0]?.dtype === 'float32' &&
    quantSteps(n, 0, 0) !== undefined &&
    takes(n)
  );
}

function eltwiseChannels(n: GraphNode): number {
  const shapes = n.inputTypes.map((t) => t?.shape);
  for (const sh of shapes) {
    const c = sh?.length === 4 ? sh[1] : undefined;
    if (typeof c === 'number' && c > 1) return c;
  }
  return -1;
}

function grow(
  nodes: readonly GraphNode[],
  i: number,
  keep: ReadonlySet<string>,
  used: Set<number>,
  takes: TakesProducer,
) {
  const p = nodes[i] as GraphNode;
  const eltwise = isEltwiseAnchor(p);
  // a QuantizeLinear anchor: its own steps come first, over its float input (v0)
  const pre = isQuantAnchor(p, takes) ? (quantSteps(p, 0, 0) ?? []) : [];
  const channels = pre.length > 0 ? -1 : eltwise ? eltwiseChannels(p) : producerChannels(p, takes);
  const anchorInputs = eltwise ? p.inputs : [];
  const y = p.outputs[0];
  if (channels === undefined || y === undefined || p.outputs.length !== 1) return undefined;
  // candidate region in order; stop at the first consumer of a region value that cannot join
  const region: number[] = [];
  const vals = new Map<string, number>([[y, pre.length]]);
  const chans: Float32Array[] = [];
  const stepsPer: EpilogueStep[][] = [];
  let count = pre.length;
  for (let j = i + 1; j < nodes.length; j++) {
    const n = nodes[j] as GraphNode;
    if (!n.inputs.some((name) => vals.has(name))) continue;
    const before = chans.length;
    const steps = used.has(j) ? undefined : translate(n, vals, channels, chans, count, anchorInputs);
    if (!steps) {
      chans.length = before;
      break;
    }
    region.push(j);
    stepsPer.push(steps);
    count += steps.length;
    vals.set(n.outputs[0] as string, count);
  }
  // shrink until exactly one value (the last one) leaves the region
  while (region.length > 0) {
    const inRegion = new Set(region);
    const produced = [y, ...region.map((j) => (nodes[j] as GraphNode).outputs[0] as string)];
    const last = produced[produced.length - 1] as string;
    const escapes = produced.filter(
      (v) => keep.has(v) || nodes.some((n, k) => k !== i && !inRegion.has(k) && n.inputs.includes(v)),
    );
    // a quantized (integer) value never leaves: the fused node's output is float
    const endsQuantized = (nodes[region[region.length - 1] as number] as GraphNode).op === 'QuantizeLinear';
    if (!endsQuantized && escapes.length <= 1 && (escapes.length === 0 || escapes[0] === last)) break;
    region.pop();
    const dropped = stepsPer.pop() as EpilogueStep[];
    count -= dropped.length;
  }
  if (region.length === 0) return undefined;
  const steps = [...pre, ...stepsPer.flat()];
  const maxChan = steps.reduce(
    (m, s) => s.args.reduce((mm, a) => ('chan' in a ? Math.max(mm, a.chan) : mm), m),
    -1,
  );
  const grown: Grown = {
    steps,
    chans: chans.slice(0, maxChan + 1),
    out: (nodes[region[region.length - 1] as number] as GraphNode).outputs[0] as string,
  };
  return { region, grown };
}

/** Fuse producers with their elementwise epilogues; nodes it does not fuse pass through unchanged. */
export function fuseEpilogues(
  nodes: readonly GraphNode[],
  keep: ReadonlySet<string>,
  takes: TakesProducer,
): GraphNode[] {
  const used = new Set<number>();
  const replaced = new Map<number, GraphNode>();
  for (let i = 0; i < nodes.length; i++) {
    const p = nodes[i] as GraphNode;
    const producer = PRODUCERS.has(p.op) && (p.domain === '' || p.domain === 'ai.onnx');
    if (used.has(i) || !(producer || isEltwiseAnchor(p) || isQuantAnchor(p, takes))) continue;
    const r = grow(nodes, i, keep, used, takes);
    if (!r) continue;
    for (const j of r.region) used.add(j);
    const lastNode = nodes[r.region[r.region.length - 1] as number] as GraphNode;
    replaced.set(i, {
      ...p,
      op: `Fused${p.op}`,
      domain: FUSED_DOMAIN,
      name: `${p.name}+${r.region.length}`,
      attrs: { ...p.attrs, epilogue: encodeSteps(r.grown.steps), channels: r.grown.chans.map(chanTensor) },
      outputs: [r.grown.out],
      outputTypes: lastNode.outputTypes,
    });
  }
  const out: GraphNode[] = [];
  nodes.forEach((n, i) => {
    if (used.has(i)) return;
    out.push(replaced.get(i) ?? n);
  });
  return out;
}

function chanTensor(a: Float32Array): Tensor {
  return { dtype: 'float32', dims: [a.length], data: a };
}
