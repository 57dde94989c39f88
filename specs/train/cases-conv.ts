// Random cases for the convolution, pooling, layout and normalization gradient rules (see cases.ts).

import fc from 'fast-check';
import type { NodeInit } from '../../runtime/ir/node.ts';
import type { Case, Fill } from './cases.ts';

const one = (op: string, inputs: string[], attrs?: NodeInit['attrs'], outputs = ['y']): NodeInit => ({
  op,
  inputs,
  outputs,
  attrs,
});
const i64 = (data: number[]): Fill => ({ dims: [data.length], dtype: 'int64', data });

const convCase = fc
  .record({
    rank: fc.constantFrom(1, 2),
    groups: fc.constantFrom('1', '2', 'depthwise'),
    cinPer: fc.integer({ min: 1, max: 2 }),
    coutPer: fc.integer({ min: 1, max: 2 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    pads: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 4, maxLength: 4 }),
    auto: fc.constantFrom('NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
    size: fc.integer({ min: 0, max: 3 }),
    n: fc.constantFrom(1, 2),
    bias: fc.boolean(),
  })
  .map((p): Case => {
    const g = p.groups === 'depthwise' ? 3 : Number(p.groups);
    const cinPer = p.groups === 'depthwise' ? 1 : p.cinPer;
    const cin = g * cinPer;
    const cout = g * p.coutPer;
    const K = Array.from({ length: p.rank }, (_, i) => (i === 0 ? p.k : Math.max(1, p.k - 1)));
    const S = K.map((k) => (k - 1) * p.dilation + 1 + p.size);
    const attrs: NodeInit['attrs'] = {
      kernel_shape: K,
      group: g,
      strides: K.map(() => p.stride),
      // onnxruntime supports no dilation with SAME_* auto_pad
      dilations: K.map(() => (p.auto.startsWith('SAME') ? 1 : p.dilation)),
    };
    if (p.auto === 'NOTSET') attrs.pads = [...p.pads.slice(0, p.rank), ...p.pads.slice(2, 2 + p.rank)];
    else attrs.auto_pad = p.auto;
    const operands: Record<string, Fill> = {
      x: { dims: [p.n, cin, ...S] },
      w: { dims: [cout, cinPer, ...K] },
    };
    if (p.bias) operands.b = { dims: [cout] };
    return {
      label: `Conv ${JSON.stringify(attrs)} x [${operands.x!.dims}]`,
      nodes: [one('Conv', p.bias ? ['x', 'w', 'b'] : ['x', 'w'], attrs)],
      operands,
      outputs: ['y'],
    };
  });

const convTransposeCase = fc
  .record({
    groups: fc.constantFrom(1, 2),
    cinPer: fc.integer({ min: 1, max: 2 }),
    coutPer: fc.integer({ min: 1, max: 2 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 1 }),
    outPad: fc.integer({ min: 0, max: 2 }),
    size: fc.integer({ min: 1, max: 4 }),
    bias: fc.boolean(),
  })
  .map((p): Case => {
    const cin = p.groups * p.cinPer;
    const pad = Math.min(p.pad, (p.k - 1) * p.dilation);
    const attrs: NodeInit['attrs'] = {
      kernel_shape: [p.k, 2],
      group: p.groups,
      strides: [p.stride, 1],
      dilations: [p.dilation, 1],
      pads: [pad, 0, 0, 1],
      output_padding: [Math.min(p.outPad, p.stride - 1), 0],
    };
    const operands: Record<string, Fill> = {
      x: { dims: [1, cin, p.size, 3] },
      w: { dims: [cin, p.coutPer, p.k, 2] },
    };
    if (p.bias) operands.b = { dims: [p.groups * p.coutPer] };
    return {
      label: `ConvTranspose ${JSON.stringify(attrs)}`,
      nodes: [one('ConvTranspose', p.bias ? ['x', 'w', 'b'] : ['x', 'w'], attrs)],
      operands,
      outputs: ['y'],
    };
  });

export const CONV: fc.Arbitrary<Case> = fc.oneof(convCase, convTransposeCase);

export const POOL: fc.Arbitrary<Case> = fc
  .record({
    op: fc.constantFrom('AveragePool', 'MaxPool', 'GlobalAveragePool'),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    includePad: fc.constantFrom(0, 1),
    ceil: fc.constantFrom(0, 1),
    extra: fc.integer({ min: 0, max: 3 }),
  })
  .map((p): Case => {
    const K = [p.k, 2];
    const pad = Math.min(p.pad, p.k - 1);
    const dil = p.op === 'MaxPool' ? p.dilation : 1;
    const S = K.map((k) => (k - 1) * dil + 1 + p.extra);
    const attrs: NodeInit['attrs'] =
      p.op === 'GlobalAveragePool'
        ? undefined
        : {
            kernel_shape: K,
            strides: [p.stride, p.stride],
            pads: [pad, 0, pad, 0],
            // ONNX's shape inference and onnxruntime's kernels disagree when a ceil_mode window would
            // start in the padding: keep ceil_mode to windows that start inside
            ceil_mode: pad === 0 && p.k >= p.stride ? p.ceil : 0,
            ...(p.op === 'AveragePool' ? { count_include_pad: p.includePad } : { dilations: [dil, 1] }),
          };
    return {
      label: `${p.op} ${JSON.stringify(attrs)} [${S}]`,
      nodes: [one(p.op, ['x'], attrs)],
      operands: { x: { dims: [2, 2, ...S] } },
      outputs: ['y'],
    };
  });

/** Layout ops, reductions, Gather, Resize and Sum, one arbitrary each. */
export const LAYOUT_CASES: fc.Arbitrary<Case>[] = [
  fc.constant({
    label: 'Reshape',
    nodes: [one('Reshape', ['x', 's'])],
    operands: { x: { dims: [2, 3, 4] }, s: i64([4, -1]) },
    outputs: ['y'],
  }),
  fc.constantFrom(0, 1, 2).map((axis) => ({
    label: `Flatten ${axis}`,
    nodes: [one('Flatten', ['x'], { axis })],
    operands: { x: { dims: [2, 3, 2] } },
    outputs: ['y'],
  })),
  fc.constant({
    label: 'Squeeze',
    nodes: [one('Squeeze', ['x', 'a'])],
    operands: { x: { dims: [2, 1, 3] }, a: i64([1]) },
    outputs: ['y'],
  }),
  fc.constant({
    label: 'Unsqueeze',
    nodes: [one('Unsqueeze', ['x', 'a'])],
    operands: { x: { dims: [2, 3] }, a: i64([0, 3]) },
    outputs: ['y'],
  }),
  fc.constantFrom<number[]>([0, 2, 1], [2, 0, 1], [1, 2, 0]).map((perm) => ({
    label: `Transpose ${perm}`,
    nodes: [one('Transpose', ['x'], { perm })],
    operands: { x: { dims: [2, 3, 4] } },
    outputs: ['y'],
  })),
  fc.constantFrom(0, 1, -1).map((axis) => ({
    label: `Concat ${axis}`,
    nodes: [one('Concat', ['a', 'b', 'c'], { axis })],
    operands: { a: { dims: [2, 2] }, b: { dims: [2, 2] }, c: { dims: [2, 2] } },
    outputs: ['y'],
  })),
  fc.constantFrom(0, 1).map((axis) => ({
    label: `Split ${axis}`,
    nodes: [one('Split', ['x', 's'], { axis }, ['y0', 'y1'])],
    operands: { x: { dims: [5, 5] }, s: i64([2, 3]) },
    outputs: axis === 0 ? ['y0', 'y1'] : ['y1'],
  })),
  fc
    .record({
      start: fc.integer({ min: -4, max: 3 }),
      end: fc.integer({ min: -5, max: 6 }),
      step: fc.constantFrom(1, 2, -1, -2),
      axis: fc.constantFrom(0, 1, -1),
    })
    .filter((p) => {
      const n = 5;
      const s = p.start < 0 ? p.start + n : p.start;
      const e = p.end < 0 ? p.end + n : p.end;
      return p.step > 0 ? e > s : s > e;
    })
    .map((p) => ({
      label: `Slice ${JSON.stringify(p)}`,
      nodes: [one('Slice', ['x', 'st', 'en', 'ax', 'sp'])],
      operands: {
        x: { dims: [5, 5] },
        st: i64([p.start]),
        en: i64([p.end]),
        ax: i64([p.axis]),
        sp: i64([p.step]),
      },
      outputs: ['y'],
    })),
  fc.constantFrom('constant', 'reflect', 'edge').chain((mode) =>
    fc
      .array(fc.integer({ min: mode === 'constant' ? -1 : 0, max: 2 }), { minLength: 4, maxLength: 4 })
      .map((pads) => ({
        label: `Pad ${mode} ${pads}`,
        nodes: [one('Pad', ['x', 'p'], { mode })],
        operands: { x: { dims: [3, 4] }, p: i64(pads) },
        outputs: ['y'],
      })),
  ),
  fc.constant({
    label: 'Sum of three (broadcast)',
    nodes: [one('Sum', ['a', 'b', 'c'])],
    operands: { a: { dims: [2, 3] }, b: { dims: [3] }, c: { dims: [2, 1] } },
    outputs: ['y'],
  }),
  fc.constant({
    label: 'Expand',
    nodes: [one('Expand', ['x', 's'])],
    operands: { x: { dims: [3, 1] }, s: i64([2, 3, 4]) },
    outputs: ['y'],
  }),
  fc.constant({
    label: 'Tile',
    nodes: [one('Tile', ['x', 'r'])],
    operands: { x: { dims: [2, 3] }, r: i64([2, 2]) },
    outputs: ['y'],
  }),
  fc.constantFrom(0, 1).map((axis) => ({
    label: `Gather axis ${axis}`,
    nodes: [one('Gather', ['x', 'i'], { axis })],
    operands: { x: { dims: [4, 3] }, i: { dims: [2, 2], dtype: 'int64', data: [0, 2, -1, 0] } },
    outputs: ['y'],
  })),
  fc
    .record({
      mode: fc.constantFrom('nearest', 'linear'),
      coord: fc.constantFrom('asymmetric', 'half_pixel', 'align_corners', 'pytorch_half_pixel'),
      nearest: fc.constantFrom('floor', 'round_prefer_floor', 'ceil'),
      sizes: fc.boolean(),
    })
    .map((p) => ({
      label: `Resize ${JSON.stringify(p)}`,
      nodes: [
        one('Resize', p.sizes ? ['x', '', '', 'sz'] : ['x', '', 'sc'], {
          mode: p.mode,
          coordinate_transformation_mode: p.coord,
          nearest_mode: p.nearest,
        }),
      ],
      operands: p.sizes
        ? { x: { dims: [1, 2, 3, 4] }, sz: i64([1, 2, 5, 7]) }
        : { x: { dims: [1, 2, 3, 4] }, sc: { dims: [4], data: [1, 1, 2, 1.5] } },
      outputs: ['y'],
    })),
  fc
    .record({
      op: fc.constantFrom('ReduceSum', 'ReduceMean'),
      keep: fc.constantFrom(0, 1),
      axes: fc.constantFrom<number[]>([0], [1, 2], [-1], []),
    })
    .map((p) => ({
      label: `${p.op} ${JSON.stringify(p)}`,
      nodes: [
        p.op === 'ReduceSum'
          ? one('ReduceSum', p.axes.length ? ['x', 'a'] : ['x'], { keepdims: p.keep })
          : one('ReduceMean', ['x'], { keepdims: p.keep, ...(p.axes.length ? { axes: p.axes } : {}) }),
      ],
      operands:
        p.op === 'ReduceSum' && p.axes.length
          ? { x: { dims: [2, 3, 4] }, a: i64(p.axes) }
          : { x: { dims: [2, 3, 4] } },
      outputs: ['y'],
    })),
];

export const NORM: fc.Arbitrary<Case> = fc
  .constantFrom('bn', 'bn-batch', 'ln-1', 'ln-2')
  .map((kind): Case => {
    if (kind.startsWith('bn'))
      return {
        label: kind,
        nodes: [
          one('BatchNormalization', ['x', 's', 'b', 'm', 'v'], {
            epsilon: { name: 'epsilon', type: 'FLOAT', value: 1e-3 },
          }),
        ],
        operands: {
          x: { dims: [3, 2, 2, 3] },
          s: { dims: [2] },
          b: { dims: [2] },
          m: { dims: [2] },
          v: { dims: [2], lo: 0.5, hi: 2 },
        },
        outputs: ['y'],
        batchNorm: kind === 'bn-batch' ? 'batch' : undefined,
      };
    const axis = kind === 'ln-1' ? -1 : 1;
    const norm = axis === -1 ? [4] : [3, 4];
    return {
      label: `LayerNormalization axis ${axis}`,
      nodes: [one('LayerNormalization', ['x', 's', 'b'], { axis })],
      operands: { x: { dims: [2, 3, 4] }, s: { dims: norm }, b: { dims: norm } },
      outputs: ['y'],
    };
  });
