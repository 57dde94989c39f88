// Hostile models for the specs, each a few hundred bytes, built with the IR (or as raw protobuf
// where the IR would not let the defect through).

import type { Attribute } from '../../runtime/ir/attribute.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { AttrValue, Dim } from '../../runtime/ir/types.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { makeModel } from '../onnx/build.ts';

export const i64 = (v: number[], dims = [v.length]): Tensor => ({
  dtype: 'int64',
  dims,
  data: BigInt64Array.from(v.map(BigInt)),
});
export const f32 = (v: number[], dims = [v.length]): Tensor => ({
  dtype: 'float32',
  dims,
  data: Float32Array.from(v),
});
const scalar = (v: number): Tensor => f32([v], []);

/** x[1] + ReduceSum(big) → y: the output is one number whatever `big` allocates. */
function sumInto(m: Model, big: string): Uint8Array {
  m.graph.addNode({ op: 'ReduceSum', inputs: [big], outputs: ['s'], name: 'sum', attrs: { keepdims: 0 } });
  m.graph.addNode({ op: 'Add', inputs: ['x', 's'], outputs: ['y'], name: 'add' });
  return exportModel(m);
}

function scalarModel(): Model {
  return makeModel([['x', 'float32', [1]]], [['y', 'float32', [1]]], 17);
}

/** ConstantOfShape(dims) summed. */
export function constantOfShape(dims: number[]): Uint8Array {
  const m = scalarModel();
  m.graph.addInitializer('shape', i64(dims));
  m.graph.addNode({ op: 'ConstantOfShape', inputs: ['shape'], outputs: ['big'], name: 'fill' });
  return sumInto(m, 'big');
}

/** Expand(x, dims) summed: the big tensor depends on the input, so it is made at run time. */
export function expand(dims: number[]): Uint8Array {
  const m = scalarModel();
  m.graph.addInitializer('shape', i64(dims));
  m.graph.addNode({ op: 'Expand', inputs: ['x', 'shape'], outputs: ['big'], name: 'grow' });
  return sumInto(m, 'big');
}

/** Range(0, limit, 1) summed. */
export function range(limit: number): Uint8Array {
  const m = scalarModel();
  m.graph.addInitializer('start', scalar(0));
  m.graph.addInitializer('limit', scalar(limit));
  m.graph.addInitializer('delta', scalar(1));
  m.graph.addNode({ op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['big'], name: 'count' });
  return sumInto(m, 'big');
}

/** Relu over an input declared with absurd dims. */
export function hugeInput(dims: Dim[]): Uint8Array {
  const m = makeModel([['x', 'float32', dims]], [['y', 'float32', dims]]);
  m.graph.addNode({ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' });
  return exportModel(m);
}

export interface ConvSpec {
  x?: Dim[];
  w?: number[];
  attrs?: Record<string, AttrValue | Attribute>;
  /** Extra input names after x, w (each an initializer `extra<i>` of one float). */
  extraInputs?: number;
  /** A second node with the same name. */
  duplicateName?: boolean;
}

/** x → Conv(w) → Relu → y; defaults: x [1, 3, 8, 8], w [4, 3, 3, 3], pads 1. */
export function conv(spec: ConvSpec = {}): Uint8Array {
  const x = spec.x ?? [1, 3, 8, 8];
  const w = spec.w ?? [4, 3, 3, 3];
  const m = makeModel([['x', 'float32', x]], [['y', 'float32', undefined]], 17);
  const count = w.reduce((a, b) => a * b, 1);
  m.graph.addInitializer(
    'w',
    f32(
      Array.from({ length: count }, (_, i) => ((i % 7) - 3) / 10),
      w,
    ),
  );
  const inputs = ['x', 'w'];
  for (let i = 0; i < (spec.extraInputs ?? 0); i++) {
    m.graph.addInitializer(`extra${i}`, f32([0]));
    inputs.push(`extra${i}`);
  }
  m.graph.addNode({
    op: 'Conv',
    inputs,
    outputs: ['c'],
    name: 'conv',
    attrs: spec.attrs ?? { pads: [1, 1, 1, 1] },
  });
  m.graph.addNode({ op: 'Relu', inputs: ['c'], outputs: ['y'], name: spec.duplicateName ? 'conv' : 'relu' });
  return exportModel(m);
}
