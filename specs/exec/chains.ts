// Random op chains for property specs: a list of choices becomes a one-input model (IR) with random
// shapes, attributes and constant operands, tracking the shape through each op.

import type { Attribute } from '../../runtime/ir/attribute.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

export interface Step {
  op: number;
  r: number[]; // random numbers in [0, 1000) that pick this step's attributes
}

const FLOAT = (name: string, value: number): Attribute => ({ name, type: 'FLOAT', value });
const INT = (name: string, value: number): Attribute => ({ name, type: 'INT', value });
const INTS = (name: string, value: number[]): Attribute => ({ name, type: 'INTS', value });
const STR = (name: string, value: string): Attribute => ({
  name,
  type: 'STRING',
  value: new TextEncoder().encode(value),
});

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

class Builder {
  readonly g = new Graph('chain');
  private n = 0;
  constructor(private readonly rand: () => number) {}

  const(dims: number[], lo = -1, hi = 1, avoidZero = false): string {
    const name = `c${this.n++}`;
    const size = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      let v = lo + (hi - lo) * this.rand();
      if (avoidZero) v = (this.rand() < 0.5 ? -1 : 1) * (0.5 + Math.abs(v));
      data[i] = v;
    }
    this.g.addInitializer(name, { dtype: 'float32', dims, data });
    return name;
  }

  ints(values: number[]): string {
    const name = `i${this.n++}`;
    const t: Tensor = { dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
    this.g.addInitializer(name, t);
    return name;
  }

  node(op: string, inputs: string[], attrs: Attribute[] = []): string {
    const out = `v${this.n++}`;
    this.g.addNode({ op, inputs, outputs: [out], attrs: Object.fromEntries(attrs.map((a) => [a.name, a])) });
    return out;
  }
}

const pick = (r: number, n: number) => r % n;

/** Apply one step to value `x` of shape `s`; returns the new value and shape (or undefined: skip). */
/** Ops whose output is bit-exact in any correct implementation (data movement, max, ReLU). */
const EXACT = new Set([5, 6, 14, 15, 16, 17, 21]);

function apply(b: Builder, x: string, s: number[], st: Step, exact: boolean): [string, number[]] | undefined {
  const r = st.r;
  const rank = s.length;
  const ax = pick(r[0]!, rank);
  switch (st.op) {
    case 19: {
      // QuantizeLinear → DequantizeLinear, per tensor or per axis. Only on bit-exact values: a 1-ulp
      // difference upstream could move a value across a rounding boundary, a whole quantum away.
      if (!exact) return undefined;
      const perAxis = r[1]! % 2 === 1;
      const n = perAxis ? s[ax]! : 1;
      const scale = b.g.uniqueName('scale');
      const zp = b.g.uniqueName('zp');
      const signed = r[2]! % 2 === 1;
      const scales = Float32Array.from(
        { length: n },
        (_, i) => 0.01 + ((r[(i + 3) % 8]! + i * 37) % 100) / 1000,
      );
      const zps = Array.from(
        { length: n },
        (_, i) => ((r[(i + 4) % 8]! + i * 11) % 21) - 10 + (signed ? 0 : 128),
      );
      b.g.addInitializer(scale, { dtype: 'float32', dims: perAxis ? [n] : [], data: scales });
      b.g.addInitializer(zp, {
        dtype: signed ? 'int8' : 'uint8',
        dims: perAxis ? [n] : [],
        data: signed ? Int8Array.from(zps) : Uint8Array.from(zps),
      });
      const attrs = perAxis ? [INT('axis', ax - (r[5]! % 2 ? rank : 0))] : [];
      const q = b.node('QuantizeLinear', [x, scale, zp], attrs);
      return [b.node('DequantizeLinear', [q, scale, zp], attrs), s];
    }
    case 20: {
      const op = ['LeakyRelu', 'Tanh', 'Erf', 'Abs', 'Neg', 'Softplus', 'Elu', 'Softsign'][pick(r[1]!, 8)]!;
      const attrs = op === 'LeakyRelu' || op === 'Elu' ? [FLOAT('alpha', 0.05 + r[2]! / 1000)] : [];
      return [b.node(op, [x], attrs), s];
    }
    case 21: {
      const mode = ['constant', 'edge', 'reflect'][pick(r[1]!, 3)]!;
      const pads = [
        ...s.map((d, i) => (mode === 'reflect' ? pick(r[(i + 2) % 8]!, d) : pick(r[(i + 2) % 8]!, 3))),
        ...s.map((d, i) => (mode === 'reflect' ? pick(r[(i + 5) % 8]!, d) : pick(r[(i + 5) % 8]!, 3))),
      ];
      const out = s.map((d, i) => d + pads[i]! + pads[i + rank]!);
      return [b.node('Pad', [x, b.ints(pads)], [STR('mode', mode)]), out];
    }
    case 0:
      return [b.node(['Relu', 'Sigmoid', 'HardSwish'][pick(r[1]!, 3)]!, [x]), s];
    case 1:
      return [
        b.node('HardSigmoid', [x], [FLOAT('alpha', 0.05 + r[1]! / 2000), FLOAT('beta', r[2]! / 1000)]),
        s,
      ];
    case 2: {
      // broadcast a constant of a random compatible shape
      const drop = pick(r[1]!, rank + 1);
      const cdims = s.slice(drop).map((d, i) => ((r[2]! >> i) & 1 ? 1 : d));
      const op = ['Add', 'Sub', 'Mul', 'Div'][pick(r[3]!, 4)]!;
      const c = b.const(cdims, -1, 1, op === 'Div');
      return [r[4]! % 2 && op !== 'Div' ? b.node(op, [c, x]) : b.node(op, [x, c]), s];
    }
    case 3: {
      const lo = -r[1]! / 500;
      return [b.node('Clip', [x, b.const([], lo, lo), b.const([], lo + 0.2, lo + 1)]), s];
    }
    case 4:
      return [b.node('Softmax', [x], [INT('axis', ax - (r[1]! % 2 ? rank : 0))]), s];
    case 5: {
      const perm = s
        .map((_, i) => i)
        .sort((p, q) => ((r[(p + 1) % 8]! * 7 + p) % 11) - ((r[(q + 1) % 8]! * 7 + q) % 11));
      return [b.node('Transpose', [x], [INTS('perm', perm)]), perm.map((p) => s[p]!)];
    }
    case 6: {
      if (rank < 2) return undefined;
      const out = [s[0]!, s.slice(1).reduce((a, c) => a * c, 1)];
      return [b.node('Reshape', [x, b.ints([0, -1])]), out];
    }
    case 7: {
      const keep = r[1]! % 2;
      const axes = s.map((_, i) => i).filter((i) => (r[2]! >> i) & 1 || i === ax);
      const out = keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
      if (out.length === 0) return undefined;
      return [
        b.node(
          'ReduceMean',
          [x],
          [
            INTS(
              'axes',
              axes.map((a) => (r[3]! % 2 ? a - rank : a)),
            ),
            INT('keepdims', keep),
          ],
        ),
        out,
      ];
    }
    case 8: {
      const k = 1 + pick(r[1]!, 6);
      const w = b.const([s[rank - 1]!, k]);
      return [b.node('MatMul', [x, w]), [...s.slice(0, -1), k]];
    }
    case 9: {
      // Conv on rank-4 input with random kernel, stride, pads, dilation, group
      if (rank !== 4) return undefined;
      const [N, C, H, W] = s as [number, number, number, number];
      const k = 1 + pick(r[1]!, 3);
      const stride = 1 + pick(r[2]!, 2);
      const dil = 1 + pick(r[6]!, 2);
      const pad = pick(r[3]!, k);
      const group = C % 2 === 0 && r[4]! % 3 === 0 ? 2 : r[4]! % 3 === 1 ? C : 1;
      const M = group === C ? C * (1 + pick(r[5]!, 2)) : 1 + pick(r[5]!, 4) * (group === 2 ? 2 : 1);
      const span = (k - 1) * dil + 1;
      const oh = Math.floor((H + 2 * pad - span) / stride) + 1;
      const ow = Math.floor((W + 2 * pad - span) / stride) + 1;
      if (oh < 1 || ow < 1 || M % group) return undefined;
      const attrs = [
        INTS('kernel_shape', [k, k]),
        INTS('strides', [stride, stride]),
        INTS('pads', [pad, pad, pad, pad]),
        INTS('dilations', [dil, dil]),
        INT('group', group),
      ];
      const inputs = [x, b.const([M, C / group, k, k])];
      if (r[7]! % 2) inputs.push(b.const([M]));
      return [b.node('Conv', inputs, attrs), [N, M, oh, ow]];
    }
    case 10: {
      if (rank !== 4) return undefined;
      const k = 1 + pick(r[1]!, 3);
      const stride = 1 + pick(r[2]!, 2);
      const pad = pick(r[3]!, k);
      const ceil = r[4]! % 2;
      const op = r[5]! % 2 ? 'MaxPool' : 'AveragePool';
      const [N, C, H, W] = s as [number, number, number, number];
      const f = ceil ? Math.ceil : Math.floor;
      // In ceil mode a last window starting inside the right padding is dropped by onnxruntime's
      // kernel but not by ONNX shape inference, which then rejects the next node: skip that case.
      const lastInPadding = (n: number) => ceil && f((n + 2 * pad - k) / stride) * stride >= n + pad;
      const size = (n: number) => f((n + 2 * pad - k) / stride) + 1;
      if (lastInPadding(H) || lastInPadding(W)) return undefined;
      if (size(H) < 1 || size(W) < 1 || H + 2 * pad < k || W + 2 * pad < k) return undefined;
      const attrs = [
        INTS('kernel_shape', [k, k]),
        INTS('strides', [stride, stride]),
        INTS('pads', [pad, pad, pad, pad]),
        INT('ceil_mode', ceil),
      ];
      if (op === 'AveragePool') attrs.push(INT('count_include_pad', r[6]! % 2));
      return [b.node(op, [x], attrs), [N, C, size(H), size(W)]];
    }
    case 11: {
      if (rank !== 4) return undefined;
      return [b.node('GlobalAveragePool', [x]), [s[0]!, s[1]!, 1, 1]];
    }
    case 12: {
      if (rank !== 4) return undefined;
      const C = s[1]!;
      const ins = [x, b.const([C]), b.const([C]), b.const([C]), b.const([C], 0.2, 2)];
      return [b.node('BatchNormalization', ins, [FLOAT('epsilon', 1e-5)]), s];
    }
    case 13: {
      if (rank !== 4) return undefined;
      const mode = r[1]! % 2 ? 'linear' : 'nearest';
      const coord = ['asymmetric', 'half_pixel', 'align_corners'][pick(r[2]!, 3)]!;
      const sc = 1 + pick(r[3]!, 2);
      const attrs = [STR('mode', mode), STR('coordinate_transformation_mode', coord)];
      if (mode === 'nearest')
        attrs.push(STR('nearest_mode', coord === 'asymmetric' ? 'floor' : 'round_prefer_floor'));
      const scales = b.g.uniqueName('scales');
      b.g.addInitializer(scales, { dtype: 'float32', dims: [4], data: Float32Array.of(1, 1, sc, sc) });
      return [b.node('Resize', [x, '', scales], attrs), [s[0]!, s[1]!, s[2]! * sc, s[3]! * sc]];
    }
    case 14: {
      const start = pick(r[1]!, s[ax]!);
      const end = start + 1 + pick(r[2]!, s[ax]! - start);
      const out = [...s];
      out[ax] = end - start;
      return [
        b.node('Slice', [x, b.ints([start - (r[3]! % 2 ? s[ax]! : 0)]), b.ints([end]), b.ints([ax])]),
        out,
      ];
    }
    case 15: {
      const out = [...s];
      out[ax] = s[ax]! * 2;
      return [b.node('Concat', [x, x], [INT('axis', ax)]), out];
    }
    case 16: {
      const n = s[ax]!;
      const idx = Array.from({ length: 1 + pick(r[1]!, 3) }, (_, i) => (r[i + 2]! % (2 * n)) - n);
      const out = [...s.slice(0, ax), idx.length, ...s.slice(ax + 1)];
      return [b.node('Gather', [x, b.ints(idx)], [INT('axis', ax)]), out];
    }
    case 17: {
      const out = [...s.slice(0, ax + 1), 1, ...s.slice(ax + 1)];
      if (out.length > 5) return undefined;
      return [b.node('Unsqueeze', [x, b.ints([ax + 1])]), out];
    }
    case 18:
      return [b.node('Pow', [b.node('Sigmoid', [x]), b.const([], 0.5, 3)]), s];
    default: {
      // Gemm
      if (rank !== 2) return undefined;
      const n = 1 + pick(r[1]!, 5);
      const tB = r[2]! % 2;
      const w = b.const(tB ? [n, s[1]!] : [s[1]!, n]);
      const attrs = [INT('transB', tB), FLOAT('alpha', 0.5 + r[3]! / 1000), FLOAT('beta', r[4]! / 500)];
      return [b.node('Gemm', [x, w, b.const([n])], attrs), [s[0]!, n]];
    }
  }
}

export const CHAIN_OPS = 23;

/** Build the model for `steps` on an input of shape `dims`; the data seed fixes weights and input. */
export function buildChain(dims: number[], steps: Step[], seed: number): { model: Model; input: Tensor } {
  const b = new Builder(rng(seed));
  b.g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [...dims] } }];
  let x = 'x';
  let s = [...dims];
  let exact = true;
  for (const st of steps) {
    const next = apply(b, x, s, st, exact);
    if (!next) continue;
    [x, s] = next;
    // Relu (case 0, op 0) and MaxPool are exact too, but the case also picks Sigmoid/AveragePool
    exact &&= EXACT.has(st.op);
  }
  if (x === 'x') x = b.node('Identity', ['x']);
  b.g.outputs = [{ name: x, type: { dtype: 'float32', shape: s } }];
  const model = new Model(b.g);
  model.irVersion = 8;
  model.opsetImports = [{ domain: '', version: 14 }];
  const rand = rng(seed ^ 0x9e3779b9);
  const data = new Float32Array(dims.reduce((a, c) => a * c, 1)).map(() => rand() * 4 - 2);
  return { model, input: { dtype: 'float32', dims, data } };
}
