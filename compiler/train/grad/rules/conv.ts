// Gradients of Conv and ConvTranspose (1-3 spatial dims, groups and depthwise, stride, dilation,
// explicit pads or auto_pad). The input gradient of one is the other op; the weight gradient is a
// convolution of the input with the output gradient (batch and channels swapped), or one product
// for a pointwise 1×1 conv.

import { UserError } from '../../../../runtime/errors.ts';
import type { Attrs } from '../../../../runtime/ir/types.ts';
import type { Emitter } from '../../graph/emitter.ts';
import { defineGradRules, type GradContext } from '../rule.ts';

interface Geometry {
  strides: number[];
  dilations: number[];
  /** begin pads then end pads, explicit. */
  pads: number[];
}

const ints = (v: unknown, n: number, d: number): number[] =>
  Array.isArray(v) ? v.map(Number) : Array.from({ length: n }, () => d);

/** Conv's strides, dilations and explicit pads (auto_pad resolved for these shapes). */
function convGeometry(attrs: Attrs, spatial: number[], kernel: number[]): Geometry {
  const n = spatial.length;
  const strides = ints(attrs.strides, n, 1);
  const dilations = ints(attrs.dilations, n, 1);
  let pads = ints(attrs.pads, 2 * n, 0);
  const auto = String(attrs.auto_pad ?? 'NOTSET');
  if (auto === 'VALID') pads = new Array(2 * n).fill(0);
  else if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    pads = new Array(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
      const small = Math.floor(total / 2);
      pads[i] = auto === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
    }
  }
  return { strides, dilations, pads };
}

/**
 * ∂loss/∂W of a convolution whose input is `x` [N, G·Cg, …S] and whose output gradient is `g`
 * [N, G·Og, …OS]: a grouped Conv of x (channels ↔ batch) with g as the kernel, strides and
 * dilations swapped; returns [G·Og, Cg, …K].
 */
export function convWeightGrad(
  e: Emitter,
  x: string,
  g: string,
  groups: number,
  geo: Geometry,
  K: number[],
): string {
  const [N, C, ...S] = e.shape(x);
  const [, O, ...OS] = e.shape(g);
  const n = S.length;
  const Cg = C! / groups;
  const Og = O! / groups;
  const sp = (k: number) => Array.from({ length: n }, (_, i) => i + k);
  if (
    K.every((k) => k === 1) &&
    geo.strides.every((s) => s === 1) &&
    geo.pads.every((p) => p === 0) &&
    groups === 1
  ) {
    // pointwise: dW = Σₙ dYₙ·Xₙᵀ
    const P = S.reduce((a, b) => a * b, 1);
    const x3 = e.reshape(x, [N!, C!, P]);
    const g3 = e.reshape(g, [N!, O!, P]);
    const prod =
      N === 1
        ? e.op('Gemm', [e.reshape(g3, [O!, P]), e.reshape(x3, [C!, P])], [O!, C!], { transB: 1 })
        : e.sum(e.matmul(g3, e.transpose(x3, [0, 2, 1])), [0], false);
    return e.reshape(prod, [O!, C!, ...K]);
  }
  if (Cg === 1 && Og === 1 && groups > 1) return depthwiseWeightGrad(e, x, g, geo, K);
  const xs = e.reshape(e.transpose(e.reshape(x, [N!, groups, Cg, ...S]), [2, 1, 0, ...sp(3)]), [
    Cg,
    groups * N!,
    ...S,
  ]);
  const gs = e.reshape(e.transpose(e.reshape(g, [N!, groups, Og, ...OS]), [1, 2, 0, ...sp(3)]), [
    O!,
    N!,
    ...OS,
  ]);
  const begin = geo.pads.slice(0, n);
  const end = begin.map((b, i) =>
    Math.max(0, (K[i]! - 1) * geo.dilations[i]! + (OS[i]! - 1) * geo.strides[i]! + 1 - b - S[i]!),
  );
  const full = S.map(
    (s, i) =>
      Math.floor((s + begin[i]! + end[i]! - ((OS[i]! - 1) * geo.strides[i]! + 1)) / geo.dilations[i]!) + 1,
  );
  let r = e.op('Conv', [xs, gs], [Cg, O!, ...full], {
    group: groups,
    strides: geo.dilations,
    dilations: geo.strides,
    pads: [...begin, ...end],
  });
  if (full.some((f, i) => f !== K[i]))
    r = e.op('Slice', [r, e.ints(new Array(n).fill(0)), e.ints(K), e.ints(sp(2))], [Cg, O!, ...K]);
  return e.transpose(r, [1, 0, ...sp(2)]);
}

/** Every kernel offset of a (padded) input: per offset the strided window a conv output reads. */
function offsets(K: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const k of K) out = out.flatMap((o) => Array.from({ length: k }, (_, i) => [...o, i]));
  return out;
}

/**
 * Depthwise ∂loss/∂W [C, 1, …K]: for each kernel offset, the window of the padded input it reads
 * times dY, summed over batch and space (a grouped Conv with the output gradient as kernel is many
 * times slower in onnxruntime).
 */
function depthwiseWeightGrad(e: Emitter, x: string, g: string, geo: Geometry, K: number[]): string {
  const [, C, ...S] = e.shape(x);
  const OS = e.shape(g).slice(2);
  const n = S.length;
  const begin = geo.pads.slice(0, n);
  const end = S.map((s, i) =>
    Math.max(0, (K[i]! - 1) * geo.dilations[i]! + (OS[i]! - 1) * geo.strides[i]! + 1 - begin[i]! - s),
  );
  const xp =
    begin.some((b) => b > 0) || end.some((v) => v > 0)
      ? e.op(
          'Pad',
          [x, e.ints([0, 0, ...begin, 0, 0, ...end])],
          [e.shape(x)[0]!, C!, ...S.map((s, i) => s + begin[i]! + end[i]!)],
        )
      : x;
  const axes = S.map((_, i) => i + 2);
  const parts = offsets(K).map((k) => {
    const starts = k.map((v, i) => v * geo.dilations[i]!);
    const window = e.op(
      'Slice',
      [
        xp,
        e.ints(starts),
        e.ints(starts.map((st, i) => st + (OS[i]! - 1) * geo.strides[i]! + 1)),
        e.ints(axes),
        e.ints(geo.strides),
      ],
      e.shape(g),
    );
    return e.sum(e.mul(window, g), [0, ...axes], true);
  });
  const cat = e.op('Concat', parts, [1, C!, parts.length, ...new Array(n - 1).fill(1)], { axis: 2 });
  return e.reshape(cat, [C!, 1, ...K]);
}

/** Conv's input gradient where onnxruntime's ConvTranspose is slow: pointwise on one sample (a Gemm) and depthwise stride 1 (a Conv with the kernel flipped). */
function fastInputGrad(
  e: Emitter,
  g: string,
  W: string,
  xs: number[],
  groups: number,
  geo: Geometry,
): string | undefined {
  const ws = e.shape(W);
  const K = ws.slice(2);
  const n = K.length;
  const unitStride = geo.strides.every((v) => v === 1);
  if (
    groups === 1 &&
    unitStride &&
    K.every((k) => k === 1) &&
    geo.pads.every((p) => p === 0) &&
    xs[0] === 1
  ) {
    // one sample: dX = Wᵀ·dY as one 2-D product (a broadcast 3-D MatMul is several times slower)
    const C = xs[1]!;
    const O = ws[0]!;
    const P = xs.slice(2).reduce((a, b) => a * b, 1);
    return e.reshape(e.op('Gemm', [e.reshape(W, [O, C]), e.reshape(g, [O, P])], [C, P], { transA: 1 }), xs);
  }
  if (groups > 1 && ws[1] === 1 && xs[1] === groups && unitStride) {
    const far = K.map((k, i) => (k - 1) * geo.dilations[i]!);
    const pads = [...far.map((f, i) => f - geo.pads[i]!), ...far.map((f, i) => f - geo.pads[i + n]!)];
    if (pads.some((p) => p < 0)) return undefined;
    const flipped = e.op(
      'Slice',
      [
        W,
        e.ints(K.map(() => -1)),
        e.ints(K.map(() => -(2 ** 31))),
        e.ints(K.map((_, i) => i + 2)),
        e.ints(K.map(() => -1)),
      ],
      ws,
    );
    const m = ws[0]! / groups;
    return e.op('Conv', [g, e.reshape(flipped, [groups, m, ...K])], xs, {
      group: groups,
      dilations: geo.dilations,
      pads,
    });
  }
  return undefined;
}

function biasGrad(e: Emitter, g: string): string {
  const r = e.shape(g).length;
  return e.sum(g, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)], false);
}

function convGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [X, W, B] = c.node.inputs as [string, string, string | undefined];
  const g = c.grads[0]!;
  const xs = e.shape(X);
  const ws = e.shape(W);
  const spatial = xs.slice(2);
  const K = ws.slice(2);
  const groups = Number(c.node.attrs.group ?? 1);
  const geo = convGeometry(c.node.attrs, spatial, K);
  const OS = e.shape(g).slice(2);
  let dX: string | undefined;
  if (c.needs(0)) {
    const outputPadding = spatial.map(
      (s, i) =>
        s -
        ((OS[i]! - 1) * geo.strides[i]! +
          (K[i]! - 1) * geo.dilations[i]! +
          1 -
          geo.pads[i]! -
          geo.pads[i + K.length]!),
    );
    dX =
      fastInputGrad(e, g, W, xs, groups, geo) ??
      e.op('ConvTranspose', [g, W], xs, {
        group: groups,
        strides: geo.strides,
        dilations: geo.dilations,
        pads: geo.pads,
        output_padding: outputPadding.some((p) => p !== 0) ? outputPadding : undefined,
      });
  }
  const dW = c.needs(1) ? convWeightGrad(e, X, g, groups, geo, K) : undefined;
  const dB = B && c.needs(2) ? biasGrad(e, g) : undefined;
  return [dX, dW, dB];
}

function convTransposeGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [X, W, B] = c.node.inputs as [string, string, string | undefined];
  const g = c.grads[0]!;
  const xs = e.shape(X);
  const K = e.shape(W).slice(2);
  const n = K.length;
  const groups = Number(c.node.attrs.group ?? 1);
  const auto = String(c.node.attrs.auto_pad ?? 'NOTSET');
  const strides = ints(c.node.attrs.strides, n, 1);
  const dilations = ints(c.node.attrs.dilations, n, 1);
  const outPad = ints(c.node.attrs.output_padding, n, 0);
  const OS = e.shape(g).slice(2);
  let pads = ints(c.node.attrs.pads, 2 * n, 0);
  if (auto !== 'NOTSET' || c.node.attrs.output_shape !== undefined) {
    // recover the explicit pads from the shapes: total = s·(in−1) + op + (k−1)·d + 1 − out
    pads = new Array(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const total = strides[i]! * (xs[i + 2]! - 1) + outPad[i]! + (K[i]! - 1) * dilations[i]! + 1 - OS[i]!;
      if (total < 0)
        throw new UserError(
          `ConvTranspose '${c.node.label}': its output is larger than its kernel covers; training needs explicit pads`,
        );
      const half = Math.floor(total / 2);
      const begin = auto === 'SAME_LOWER' ? total - half : half;
      pads[i] = begin;
      pads[i + n] = total - begin;
    }
  }
  const geo = { strides, dilations, pads };
  const dX = c.needs(0) ? e.op('Conv', [g, W], xs, { group: groups, strides, dilations, pads }) : undefined;
  const dW = c.needs(1) ? convWeightGrad(e, g, X, groups, geo, K) : undefined;
  const dB = B && c.needs(2) ? biasGrad(e, g) : undefined;
  return [dX, dW, dB];
}

export const CONV_GRADS = defineGradRules('conv', [
  {
    op: 'Conv',
    summary: 'dX = ConvTranspose(dY, W), dW = Conv(Xᵀ, dYᵀ), dB = ΣdY',
    inputs: [0, 1, 2],
    backward: convGrad,
  },
  {
    op: 'ConvTranspose',
    summary: 'dX = Conv(dY, W), dW = Conv(dYᵀ, Xᵀ), dB = ΣdY',
    inputs: [0, 1, 2],
    backward: convTransposeGrad,
  },
]);
