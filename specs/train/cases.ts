// Random one-node (or few-node) graphs for the gradient-rule properties: each case draws shapes and
// attributes with fast-check; every float operand is an initializer, so every operand's gradient is
// checked. Values come from a seeded generator (away from kinks where a case says so).

import fc from 'fast-check';
import { rng } from '../../compiler/data/random.ts';
import type { LossTerm } from '../../compiler/train/loss/terms.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { makeTensor, type Tensor } from '../../runtime/ir/tensor.ts';

/** How to fill an operand: uniform in [lo, hi], kept away from 0 by `gap` (|v| ≥ gap). */
export interface Fill {
  dims: number[];
  lo?: number;
  hi?: number;
  gap?: number;
  dtype?: 'float32' | 'int64' | 'bool' | 'int8' | 'uint8';
  /** Fixed values (indices, shapes, conditions). */
  data?: number[];
}

export interface Case {
  label: string;
  nodes: NodeInit[];
  operands: Record<string, Fill>;
  outputs: string[];
  opset?: number;
  /** Train BatchNormalization on batch statistics. */
  batchNorm?: 'batch';
  /** Loss terms (default: mse of every output against a random target). */
  loss?: LossTerm[];
}

export function caseModel(c: Case, seed: number): Model {
  const next = rng(seed);
  const g = new Graph('case');
  for (const [name, f] of Object.entries(c.operands)) g.addInitializer(name, fill(f, next));
  for (const n of c.nodes) g.addNode(n);
  g.outputs = c.outputs.map((name) => ({ name, type: { dtype: 'float32', shape: undefined } }));
  const m = new Model(g);
  m.irVersion = 8;
  m.opsetImports = [{ domain: '', version: c.opset ?? 17 }];
  return m;
}

function fill(f: Fill, next: () => number): Tensor {
  const dtype = f.dtype ?? 'float32';
  const t = makeTensor(dtype, f.dims);
  const n = t.data.length;
  if (f.data) {
    for (let i = 0; i < n; i++)
      (t.data as unknown as Record<number, number | bigint>)[i] =
        dtype === 'int64' ? BigInt(f.data[i]!) : f.data[i]!;
    return t;
  }
  const lo = f.lo ?? -1;
  const hi = f.hi ?? 1;
  const d = t.data as Float32Array;
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * next();
    if (f.gap && Math.abs(v) < f.gap) v = v < 0 ? v - f.gap : v + f.gap;
    d[i] = v;
  }
  return t;
}

export const numel = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

const dim = fc.integer({ min: 1, max: 4 });
const shape = (min: number, max: number) => fc.array(dim, { minLength: min, maxLength: max });

/** Two shapes that broadcast (some axes of each set to 1 or dropped). */
const broadcastPair = shape(1, 3).chain((s) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
      fc.integer({ min: 0, max: s.length - 1 }),
    )
    .map(([ones, drop]) => {
      const b = s.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
      return [s, b] as const;
    }),
);

const one = (op: string, inputs: string[], attrs?: NodeInit['attrs'], outputs = ['y']): NodeInit => ({
  op,
  inputs,
  outputs,
  attrs,
});

export const ARITHMETIC_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where'];

export const arithmetic = (op: string): fc.Arbitrary<Case> =>
  fc.tuple(broadcastPair, fc.boolean()).map(([[a, b], swap]) => {
    const [sa, sb] = swap ? [b, a] : [a, b];
    if (op === 'Where')
      return {
        label: `Where [${sa}] [${sb}]`,
        nodes: [one('Where', ['c', 'a', 'b'])],
        operands: {
          c: {
            dims: sa,
            dtype: 'bool',
            data: Array.from({ length: numel(sa) }, (_, i) => ((i * 7) % 3 ? 1 : 0)),
          },
          a: { dims: sa },
          b: { dims: sb },
        },
        outputs: ['y'],
      };
    const operands: Record<string, Fill> = { a: { dims: sa }, b: { dims: sb } };
    if (op === 'Div') operands.b = { dims: sb, lo: -1.5, hi: 1.5, gap: 0.5 };
    if (op === 'Pow') operands.a = { dims: sa, lo: 0.5, hi: 2 };
    return { label: `${op} [${sa}] [${sb}]`, nodes: [one(op, ['a', 'b'])], operands, outputs: ['y'] };
  });

export const UNARY_OPS = [
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Erf',
  'Gelu',
  'GeluTanh',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Clip',
  'Abs',
  'Neg',
  'Identity',
  'Dropout',
  'Softmax',
  'LogSoftmax',
  'Cast',
];

export const unary = (op: string): fc.Arbitrary<Case> =>
  fc.tuple(shape(1, 3), fc.integer({ min: -1, max: 0 })).map(([dims, axis]) => {
    const x: Fill = { dims, lo: -4, hi: 4, gap: 0.05 };
    let node = one(op, ['x']);
    const operands: Record<string, Fill> = { x };
    let opset = 17;
    if (op === 'Log' || op === 'Sqrt') x.lo = 0.2;
    if (op === 'Reciprocal') x.gap = 0.5;
    if (op === 'LeakyRelu') node = one(op, ['x'], { alpha: 0.1 });
    if (op === 'HardSigmoid') node = one(op, ['x'], { alpha: 0.25, beta: 0.4 });
    if (op === 'Gelu' || op === 'GeluTanh') {
      opset = 20;
      node = one('Gelu', ['x'], op === 'GeluTanh' ? { approximate: 'tanh' } : undefined);
    }
    if (op === 'Softmax' || op === 'LogSoftmax') node = one(op, ['x'], { axis });
    if (op === 'Cast') node = one(op, ['x'], { to: 1 });
    if (op === 'Clip') {
      node = one(op, ['x', 'lo', 'hi']);
      operands.lo = { dims: [], data: [-1] };
      operands.hi = { dims: [], data: [2] };
    }
    return { label: `${op} [${dims}]`, nodes: [node], operands, outputs: ['y'], opset };
  });

export const LINEAR: fc.Arbitrary<Case> = fc.oneof(
  fc
    .tuple(dim, dim, dim, fc.constantFrom('none', 'a1', 'b1', 'batchA', 'batchB', 'both'), dim)
    .map(([m, k, n, form, b]) => {
      let sa = [m, k];
      let sb = [k, n];
      if (form === 'a1') sa = [k];
      if (form === 'b1') sb = [k];
      if (form === 'batchA') sa = [b, m, k];
      if (form === 'batchB') sb = [b, 1, k, n];
      if (form === 'both')
        [sa, sb] = [
          [b, m, k],
          [b, k, n],
        ];
      return {
        label: `MatMul [${sa}]·[${sb}]`,
        nodes: [one('MatMul', ['a', 'b'])],
        operands: { a: { dims: sa }, b: { dims: sb } },
        outputs: ['y'],
      };
    }),
  fc
    .tuple(
      dim,
      dim,
      dim,
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom('none', 'n', 'm1', 'mn', 'scalar'),
      fc.constantFrom(1, 0.5),
      fc.constantFrom(1, 2),
    )
    .map(([m, k, n, ta, tb, cForm, alpha, beta]) => {
      const operands: Record<string, Fill> = {
        a: { dims: ta ? [k, m] : [m, k] },
        b: { dims: tb ? [n, k] : [k, n] },
      };
      const inputs = ['a', 'b'];
      if (cForm !== 'none') {
        operands.c = { dims: { n: [n], m1: [m, 1], mn: [m, n], scalar: [] }[cForm] as number[] };
        inputs.push('c');
      }
      return {
        label: `Gemm transA=${+ta} transB=${+tb} C=${cForm}`,
        nodes: [
          one('Gemm', inputs, {
            transA: +ta,
            transB: +tb,
            alpha: { name: 'alpha', type: 'FLOAT', value: alpha },
            beta: { name: 'beta', type: 'FLOAT', value: beta },
          }),
        ],
        operands,
        outputs: ['y'],
      };
    }),
);
