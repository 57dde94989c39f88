// Conformance case definitions: inputs, attributes, opset per op. scripts/gen-conformance.ts runs them through
// onnxruntime-node and writes specs/ops/<Op>.json (expected outputs are never written by hand).

import type { DType } from '../../runtime/ir/dtype.ts';

/** Attribute with its ONNX type: i (INT), f (FLOAT), ints, floats, s (STRING), t (TENSOR). */
export type AttrDef =
  | { i: number }
  | { f: number }
  | { ints: number[] }
  | { floats: number[] }
  | { s: string }
  | { t: { dtype: DType; dims: number[]; data: number[] } };

export interface InputDef {
  dtype: DType;
  dims: number[];
  /** Fixed values (int64: 2 ** 63 stands for INT64_MAX); otherwise random from `range` (floats uniform, ints uniform integers). */
  data?: number[];
  range?: [number, number];
  /** Positive floats only (Sqrt, Pow bases, variances, scales). */
  positive?: boolean;
  /** Put it in the model as an initializer rather than a feed (always for 4- and 2-bit types). */
  init?: boolean;
}

export interface CaseDef {
  op: string;
  name: string;
  opset: number;
  attrs?: Record<string, AttrDef>;
  inputs: (InputDef | null)[];
  outputs?: number;
  /** Output 0 is this packed type (int4/uint4/int2/uint2): onnxruntime-node cannot return it, so the
   *  generator appends a Cast to int8/uint8 and records this dtype with the (exact) values. */
  packedOut?: DType;
  /** Tolerances for this case (defaults rtol 1e-4, atol 1e-5; integer outputs exact unless `int`). */
  tol?: { rtol?: number; atol?: number; int?: number };
}

const f = (...dims: number[]): InputDef => ({ dtype: 'float32', dims });
const fp = (...dims: number[]): InputDef => ({ dtype: 'float32', dims, positive: true });
const i64 = (data: number[], dims = [data.length]): InputDef => ({ dtype: 'int64', dims, data });
const i32 = (data: number[], dims = [data.length]): InputDef => ({ dtype: 'int32', dims, data });
const fv = (data: number[], dims = [data.length]): InputDef => ({ dtype: 'float32', dims, data });
const q = (dtype: DType, dims: number[], range: [number, number], init = false): InputDef => ({
  dtype,
  dims,
  range,
  init,
});

const elementwise: CaseDef[] = [
  { op: 'Add', name: 'same shape', opset: 13, inputs: [f(2, 3, 4), f(2, 3, 4)] },
  { op: 'Add', name: 'broadcast trailing vector', opset: 13, inputs: [f(2, 3, 4), f(4)] },
  { op: 'Add', name: 'broadcast both ways', opset: 13, inputs: [f(2, 1, 4), f(3, 1)] },
  { op: 'Add', name: 'scalar', opset: 13, inputs: [f(3, 5), f()] },
  {
    op: 'Add',
    name: 'NaN and Inf propagate',
    opset: 13,
    inputs: [fv([Number.NaN, Infinity, -Infinity, 1], [4]), fv([1, -Infinity, 2, Number.NaN])],
  },
  {
    op: 'Add',
    name: 'int64 shape arithmetic',
    opset: 13,
    inputs: [i64([1, 3, 48, 320]), i64([0, 0, 1, -4])],
  },
  { op: 'Sub', name: 'broadcast per channel', opset: 13, inputs: [f(1, 3, 4, 5), f(1, 3, 1, 1)] },
  { op: 'Sub', name: 'scalar first', opset: 13, inputs: [f(), f(2, 3)] },
  { op: 'Mul', name: 'per channel NCHW', opset: 13, inputs: [f(2, 4, 3, 3), f(1, 4, 1, 1)] },
  {
    op: 'Mul',
    name: 'Inf times zero is NaN',
    opset: 13,
    inputs: [fv([Infinity, 0, -Infinity, 2]), fv([0, Infinity, 3, Number.NaN])],
  },
  { op: 'Mul', name: 'int64', opset: 13, inputs: [i64([2, 3, 4]), i64([5])] },
  { op: 'Div', name: 'broadcast', opset: 13, inputs: [f(2, 3, 4), fp(3, 1)] },
  { op: 'Div', name: 'by zero gives Inf and NaN', opset: 13, inputs: [fv([1, -1, 0, 2]), fv([0, 0, 0, 4])] },
  { op: 'Div', name: 'int64 truncates', opset: 13, inputs: [i64([7, -7, 9, 100]), i64([2, 2, 3, 7])] },
  { op: 'Pow', name: 'square (scalar exponent)', opset: 13, inputs: [f(2, 3, 4), fv([2], [])] },
  { op: 'Pow', name: 'broadcast positive base', opset: 13, inputs: [fp(3, 4), f(4)] },
  { op: 'Pow', name: 'opset 7', opset: 7, inputs: [fp(2, 5), fv([0.5], [1])] },
  { op: 'Sqrt', name: 'positive', opset: 13, inputs: [fp(3, 7)] },
  { op: 'Sqrt', name: 'negative gives NaN', opset: 13, inputs: [fv([-1, 0, 4, Infinity])] },
  { op: 'Relu', name: 'basic', opset: 14, inputs: [f(2, 3, 5)] },
  { op: 'Relu', name: 'opset 6', opset: 6, inputs: [f(17)] },
  {
    op: 'Sigmoid',
    name: 'wide range',
    opset: 13,
    inputs: [{ dtype: 'float32', dims: [4, 8], range: [-20, 20] }],
  },
  {
    op: 'HardSigmoid',
    name: 'default attrs',
    opset: 6,
    inputs: [{ dtype: 'float32', dims: [3, 9], range: [-5, 5] }],
  },
  {
    op: 'HardSigmoid',
    name: 'PaddleOCR hard-swish form',
    opset: 9,
    attrs: { alpha: { f: 0.1666667 }, beta: { f: 0.5 } },
    inputs: [{ dtype: 'float32', dims: [2, 4, 3, 3], range: [-6, 6] }],
  },
  {
    op: 'HardSwish',
    name: 'basic',
    opset: 14,
    inputs: [{ dtype: 'float32', dims: [2, 3, 7], range: [-6, 6] }],
  },
  {
    op: 'Clip',
    name: 'attribute form (opset < 11)',
    opset: 9,
    attrs: { min: { f: 0 }, max: { f: 6 } },
    inputs: [{ dtype: 'float32', dims: [2, 3, 4], range: [-8, 8] }],
  },
  { op: 'Clip', name: 'attribute form defaults', opset: 6, attrs: { min: { f: -0.5 } }, inputs: [f(3, 4)] },
  {
    op: 'Clip',
    name: 'input form min and max',
    opset: 11,
    inputs: [{ dtype: 'float32', dims: [2, 3, 4], range: [-8, 8] }, fv([0], []), fv([6], [])],
  },
  { op: 'Clip', name: 'input form min only', opset: 13, inputs: [f(3, 4), fv([-0.25], [])] },
  { op: 'Clip', name: 'input form max only', opset: 13, inputs: [f(3, 4), null, fv([0.25], [])] },
  { op: 'Identity', name: 'float', opset: 16, inputs: [f(2, 3)] },
  { op: 'Dropout', name: 'inference is identity', opset: 13, inputs: [f(2, 5)] },
  { op: 'Dropout', name: 'opset 7', opset: 7, attrs: { ratio: { f: 0.3 } }, inputs: [f(4, 3)] },
  {
    op: 'Cast',
    name: 'float to int64 truncates',
    opset: 13,
    attrs: { to: { i: 7 } },
    inputs: [fv([1.7, -1.7, 2.5, -0.2, 100.9, 0])],
  },
  { op: 'Cast', name: 'int64 to float', opset: 13, attrs: { to: { i: 1 } }, inputs: [i64([3, -48, 320, 0])] },
  {
    op: 'Cast',
    name: 'float to int32',
    opset: 9,
    attrs: { to: { i: 6 } },
    inputs: [fv([3.9, -3.9, 48, 0.5])],
  },
  { op: 'Cast', name: 'int64 to int32', opset: 9, attrs: { to: { i: 6 } }, inputs: [i64([1, 3, 48, -1])] },
  {
    op: 'Cast',
    name: 'float to uint8 in range',
    opset: 13,
    attrs: { to: { i: 2 } },
    inputs: [fv([0, 1.9, 200.2, 255])],
  },
];

const matrix: CaseDef[] = [
  { op: 'Gemm', name: 'plain', opset: 13, inputs: [f(3, 5), f(5, 4)] },
  {
    op: 'Gemm',
    name: 'transA transB alpha beta, C vector',
    opset: 13,
    attrs: { transA: { i: 1 }, transB: { i: 1 }, alpha: { f: 0.5 }, beta: { f: 2 } },
    inputs: [f(5, 3), f(4, 5), f(4)],
  },
  { op: 'Gemm', name: 'C column broadcast', opset: 13, inputs: [f(6, 7), f(7, 2), f(6, 1)] },
  {
    op: 'Gemm',
    name: 'C full, opset 9',
    opset: 9,
    attrs: { transB: { i: 1 } },
    inputs: [f(2, 9), f(5, 9), f(2, 5)],
  },
  { op: 'Gemm', name: 'C scalar', opset: 11, inputs: [f(4, 4), f(4, 3), f()] },
  { op: 'MatMul', name: '2-D', opset: 13, inputs: [f(7, 9), f(9, 6)] },
  { op: 'MatMul', name: 'batched 3-D', opset: 13, inputs: [f(2, 3, 4), f(2, 4, 5)] },
  { op: 'MatMul', name: 'broadcast batches', opset: 13, inputs: [f(2, 1, 3, 4), f(1, 5, 4, 2)] },
  { op: 'MatMul', name: 'shared right operand', opset: 9, inputs: [f(2, 4, 3, 8), f(8, 5)] },
  { op: 'MatMul', name: '1-D left', opset: 13, inputs: [f(4), f(3, 4, 2)] },
  { op: 'MatMul', name: '1-D right', opset: 13, inputs: [f(2, 3, 4), f(4)] },
  {
    op: 'MatMul',
    name: 'larger (blocking)',
    opset: 13,
    inputs: [f(37, 300), f(300, 270)],
    tol: { rtol: 1e-4, atol: 1e-4 },
  },
];

const conv: CaseDef[] = [
  {
    op: 'Conv',
    name: '3x3 pad 1',
    opset: 11,
    attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
    inputs: [f(1, 3, 8, 8), f(4, 3, 3, 3)],
  },
  {
    op: 'Conv',
    name: 'stride 2 with bias',
    opset: 11,
    attrs: { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } },
    inputs: [f(2, 3, 9, 7), f(5, 3, 3, 3), f(5)],
  },
  {
    op: 'Conv',
    name: 'dilation 2',
    opset: 11,
    attrs: { dilations: { ints: [2, 2] }, pads: { ints: [2, 2, 2, 2] } },
    inputs: [f(1, 2, 9, 9), f(3, 2, 3, 3)],
  },
  {
    op: 'Conv',
    name: 'grouped (group 2)',
    opset: 11,
    attrs: { group: { i: 2 }, pads: { ints: [1, 1, 1, 1] } },
    inputs: [f(1, 4, 6, 6), f(6, 2, 3, 3), f(6)],
  },
  {
    op: 'Conv',
    name: 'depthwise 5x5',
    opset: 11,
    attrs: { group: { i: 4 }, pads: { ints: [2, 2, 2, 2] } },
    inputs: [f(1, 4, 10, 9), f(4, 1, 5, 5), f(4)],
  },
  {
    op: 'Conv',
    name: 'depthwise stride 2 multiplier 2',
    opset: 11,
    attrs: { group: { i: 3 }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } },
    inputs: [f(1, 3, 9, 8), f(6, 1, 3, 3)],
  },
  {
    op: 'Conv',
    name: 'auto_pad SAME_UPPER stride 2',
    opset: 11,
    attrs: { auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } },
    inputs: [f(1, 2, 8, 7), f(3, 2, 4, 4)],
  },
  {
    op: 'Conv',
    name: 'auto_pad SAME_LOWER',
    opset: 11,
    attrs: { auto_pad: { s: 'SAME_LOWER' } },
    inputs: [f(1, 2, 6, 6), f(2, 2, 2, 2)],
  },
  {
    op: 'Conv',
    name: 'auto_pad VALID',
    opset: 11,
    attrs: { auto_pad: { s: 'VALID' } },
    inputs: [f(1, 2, 7, 6), f(3, 2, 3, 2)],
  },
  {
    op: 'Conv',
    name: 'asymmetric pads',
    opset: 11,
    attrs: { pads: { ints: [0, 1, 2, 0] } },
    inputs: [f(1, 2, 5, 5), f(2, 2, 3, 3)],
  },
  { op: 'Conv', name: '1x1 pointwise', opset: 11, inputs: [f(2, 8, 5, 6), f(16, 8, 1, 1), f(16)] },
  {
    op: 'Conv',
    name: 'stride [2,1] (rec form)',
    opset: 9,
    attrs: { strides: { ints: [2, 1] }, pads: { ints: [1, 1, 1, 1] }, kernel_shape: { ints: [3, 3] } },
    inputs: [f(1, 4, 8, 12), f(4, 4, 3, 3)],
  },
  {
    op: 'Conv',
    name: 'kernel [1,3] pads [0,1,0,1]',
    opset: 9,
    attrs: { pads: { ints: [0, 1, 0, 1] } },
    inputs: [f(1, 3, 4, 10), f(5, 3, 1, 3)],
  },
  {
    op: 'Conv',
    name: '1-D',
    opset: 11,
    attrs: { strides: { ints: [2] }, pads: { ints: [1, 0] } },
    inputs: [f(2, 3, 11), f(4, 3, 3), f(4)],
  },
  {
    op: 'ConvTranspose',
    name: 'k2 s2 (det form)',
    opset: 11,
    attrs: { strides: { ints: [2, 2] }, kernel_shape: { ints: [2, 2] } },
    inputs: [f(1, 4, 5, 6), f(4, 3, 2, 2), f(3)],
  },
  {
    op: 'ConvTranspose',
    name: 'k3 s2 pads 1 output_padding 1',
    opset: 11,
    attrs: { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, output_padding: { ints: [1, 1] } },
    inputs: [f(1, 2, 4, 4), f(2, 3, 3, 3)],
  },
  {
    op: 'ConvTranspose',
    name: 'grouped',
    opset: 11,
    attrs: { group: { i: 2 }, strides: { ints: [2, 2] } },
    inputs: [f(1, 4, 3, 3), f(4, 2, 3, 3)],
  },
  {
    op: 'ConvTranspose',
    name: 'dilation 2',
    opset: 11,
    attrs: { dilations: { ints: [2, 2] } },
    inputs: [f(1, 2, 4, 3), f(2, 2, 2, 2)],
  },
  {
    op: 'ConvTranspose',
    name: '1-D',
    opset: 11,
    attrs: { strides: { ints: [3] } },
    inputs: [f(1, 2, 5), f(2, 3, 2)],
  },
  {
    op: 'ConvTranspose',
    name: 'output_shape',
    opset: 11,
    attrs: { strides: { ints: [2, 2] }, output_shape: { ints: [9, 9] } },
    inputs: [f(1, 1, 4, 4), f(1, 2, 3, 3)],
  },
];

const norm: CaseDef[] = [
  {
    op: 'BatchNormalization',
    name: 'NCHW opset 9',
    opset: 9,
    attrs: { epsilon: { f: 1e-5 } },
    inputs: [f(2, 3, 4, 5), f(3), f(3), f(3), fp(3)],
  },
  { op: 'BatchNormalization', name: '2-D opset 15', opset: 15, inputs: [f(4, 6), f(6), f(6), f(6), fp(6)] },
  {
    op: 'Softmax',
    name: 'opset 9 axis 1 coerces to 2-D',
    opset: 9,
    attrs: { axis: { i: 1 } },
    inputs: [f(2, 3, 4)],
  },
  { op: 'Softmax', name: 'opset 11 default axis', opset: 11, inputs: [f(2, 2, 3, 2)] },
  {
    op: 'Softmax',
    name: 'opset 9 last axis (rec form)',
    opset: 9,
    attrs: { axis: { i: 2 } },
    inputs: [{ dtype: 'float32', dims: [1, 5, 40], range: [-10, 10] }],
  },
  {
    op: 'Softmax',
    name: 'opset 13 axis 1 of 3-D',
    opset: 13,
    attrs: { axis: { i: 1 } },
    inputs: [f(2, 3, 4)],
  },
  {
    op: 'Softmax',
    name: 'opset 13 negative axis',
    opset: 13,
    attrs: { axis: { i: -2 } },
    inputs: [f(3, 4, 2)],
  },
  {
    op: 'ReduceMean',
    name: 'axes [-1] keepdims',
    opset: 13,
    attrs: { axes: { ints: [-1] } },
    inputs: [f(2, 3, 8)],
  },
  {
    op: 'ReduceMean',
    name: 'axes [1,2] no keepdims',
    opset: 13,
    attrs: { axes: { ints: [1, 2] }, keepdims: { i: 0 } },
    inputs: [f(2, 3, 4, 2)],
  },
  { op: 'ReduceMean', name: 'all axes', opset: 11, inputs: [f(3, 5)] },
  { op: 'ReduceMean', name: 'opset 18 axes input', opset: 18, inputs: [f(2, 3, 4), i64([0, -1])] },
  { op: 'GlobalAveragePool', name: 'NCHW', opset: 1, inputs: [f(2, 3, 5, 7)] },
  {
    op: 'AveragePool',
    name: 'k[3,2] s[3,2] (rec form)',
    opset: 10,
    attrs: { kernel_shape: { ints: [3, 2] }, strides: { ints: [3, 2] }, pads: { ints: [0, 0, 0, 0] } },
    inputs: [f(1, 2, 6, 8)],
  },
  {
    op: 'AveragePool',
    name: 'pads exclude pad',
    opset: 11,
    attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
    inputs: [f(1, 2, 5, 5)],
  },
  {
    op: 'AveragePool',
    name: 'pads count_include_pad',
    opset: 11,
    attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, count_include_pad: { i: 1 } },
    inputs: [f(1, 2, 5, 5)],
  },
  {
    op: 'AveragePool',
    name: 'ceil_mode',
    opset: 11,
    attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } },
    inputs: [f(1, 1, 5, 7)],
  },
  {
    op: 'AveragePool',
    name: 'auto_pad SAME_UPPER',
    opset: 11,
    attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' } },
    inputs: [f(1, 1, 6, 5)],
  },
  {
    op: 'AveragePool',
    name: '1-D',
    opset: 11,
    attrs: { kernel_shape: { ints: [3] }, strides: { ints: [2] } },
    inputs: [f(2, 2, 9)],
  },
  {
    op: 'MaxPool',
    name: 'k2 s2 (cls form)',
    opset: 9,
    attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 0, 0] } },
    inputs: [f(1, 3, 6, 8)],
  },
  {
    op: 'MaxPool',
    name: 'k3 s1 pads 1',
    opset: 11,
    attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
    inputs: [f(1, 2, 5, 4)],
  },
  {
    op: 'MaxPool',
    name: 'dilations',
    opset: 11,
    attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } },
    inputs: [f(1, 1, 6, 6)],
  },
  {
    op: 'MaxPool',
    name: 'ceil_mode',
    opset: 11,
    attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } },
    inputs: [f(1, 1, 6, 8)],
  },
  {
    op: 'MaxPool',
    name: 'auto_pad SAME_LOWER',
    opset: 11,
    attrs: { kernel_shape: { ints: [2, 2] }, auto_pad: { s: 'SAME_LOWER' } },
    inputs: [f(1, 2, 5, 5)],
  },
];

const resize: CaseDef[] = [
  {
    op: 'Resize',
    name: 'nearest asymmetric floor x2 (det form)',
    opset: 11,
    attrs: {
      mode: { s: 'nearest' },
      coordinate_transformation_mode: { s: 'asymmetric' },
      nearest_mode: { s: 'floor' },
    },
    inputs: [f(1, 2, 3, 4), fv([], [0]), fv([1, 1, 2, 2])],
  },
  {
    op: 'Resize',
    name: 'nearest half_pixel round_prefer_floor downscale',
    opset: 13,
    attrs: { mode: { s: 'nearest' } },
    inputs: [f(1, 1, 8, 6), null, fv([1, 1, 0.5, 0.5])],
  },
  {
    op: 'Resize',
    name: 'nearest round_prefer_ceil x3',
    opset: 13,
    attrs: { mode: { s: 'nearest' }, nearest_mode: { s: 'round_prefer_ceil' } },
    inputs: [f(1, 1, 2, 3), null, fv([1, 1, 3, 3])],
  },
  {
    op: 'Resize',
    name: 'nearest ceil, sizes',
    opset: 13,
    attrs: { mode: { s: 'nearest' }, nearest_mode: { s: 'ceil' } },
    inputs: [f(1, 2, 4, 5), null, null, i64([1, 2, 7, 3])],
  },
  {
    op: 'Resize',
    name: 'linear half_pixel sizes',
    opset: 13,
    attrs: { mode: { s: 'linear' } },
    inputs: [f(1, 2, 4, 5), null, null, i64([1, 2, 7, 9])],
  },
  {
    op: 'Resize',
    name: 'linear align_corners',
    opset: 13,
    attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'align_corners' } },
    inputs: [f(1, 1, 3, 4), null, fv([1, 1, 2, 1.5])],
  },
  {
    op: 'Resize',
    name: 'linear pytorch_half_pixel downscale',
    opset: 13,
    attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'pytorch_half_pixel' } },
    inputs: [f(1, 1, 8, 9), null, null, i64([1, 1, 3, 4])],
  },
  {
    op: 'Resize',
    name: 'linear asymmetric x2',
    opset: 11,
    attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'asymmetric' } },
    inputs: [f(1, 2, 3, 3), fv([], [0]), fv([1, 1, 2, 2])],
  },
  {
    op: 'Resize',
    name: 'opset 10 nearest',
    opset: 10,
    attrs: { mode: { s: 'nearest' } },
    inputs: [f(1, 1, 3, 2), fv([1, 1, 2, 3])],
  },
  {
    op: 'Resize',
    name: 'opset 10 linear',
    opset: 10,
    attrs: { mode: { s: 'linear' } },
    inputs: [f(1, 1, 3, 2), fv([1, 1, 2, 2])],
  },
  {
    op: 'Upsample',
    name: 'opset 9 nearest',
    opset: 9,
    attrs: { mode: { s: 'nearest' } },
    inputs: [f(1, 2, 2, 3), fv([1, 1, 2, 2])],
  },
  {
    op: 'Upsample',
    name: 'opset 7 scales attribute, linear',
    opset: 7,
    attrs: { mode: { s: 'linear' }, scales: { floats: [1, 1, 2, 2] } },
    inputs: [f(1, 1, 3, 3)],
  },
];

const shape: CaseDef[] = [
  {
    op: 'Concat',
    name: 'axis 1',
    opset: 11,
    attrs: { axis: { i: 1 } },
    inputs: [f(2, 3, 2), f(2, 1, 2), f(2, 4, 2)],
  },
  { op: 'Concat', name: 'negative axis', opset: 13, attrs: { axis: { i: -1 } }, inputs: [f(2, 3), f(2, 2)] },
  {
    op: 'Concat',
    name: 'int64 shapes (rec form)',
    opset: 9,
    attrs: { axis: { i: 0 } },
    inputs: [i64([1]), i64([-1]), i64([120, 40])],
  },
  { op: 'Reshape', name: '0 and -1', opset: 13, inputs: [f(2, 3, 4), i64([0, -1, 2])] },
  { op: 'Reshape', name: 'flatten to 1-D', opset: 5, inputs: [f(2, 3, 4), i64([-1])] },
  {
    op: 'Transpose',
    name: 'perm [0,2,1]',
    opset: 13,
    attrs: { perm: { ints: [0, 2, 1] } },
    inputs: [f(2, 3, 4)],
  },
  {
    op: 'Transpose',
    name: '5-D perm [2,0,3,1,4] (rec attention)',
    opset: 9,
    attrs: { perm: { ints: [2, 0, 3, 1, 4] } },
    inputs: [f(2, 3, 2, 4, 3)],
  },
  { op: 'Transpose', name: 'default reverses', opset: 13, inputs: [f(2, 3, 4)] },
  { op: 'Flatten', name: 'axis 1', opset: 13, inputs: [f(2, 3, 4, 2)] },
  { op: 'Flatten', name: 'axis 0', opset: 13, attrs: { axis: { i: 0 } }, inputs: [f(2, 3, 4)] },
  { op: 'Flatten', name: 'negative axis', opset: 13, attrs: { axis: { i: -1 } }, inputs: [f(2, 3, 4)] },
  {
    op: 'Squeeze',
    name: 'attr axes (opset 11)',
    opset: 11,
    attrs: { axes: { ints: [0, -1] } },
    inputs: [f(1, 3, 1)],
  },
  { op: 'Squeeze', name: 'input axes (opset 13)', opset: 13, inputs: [f(2, 1, 3), i64([-2])] },
  { op: 'Squeeze', name: 'all unit dims', opset: 13, inputs: [f(1, 3, 1, 2)] },
  {
    op: 'Unsqueeze',
    name: 'attr axes (opset 11)',
    opset: 11,
    attrs: { axes: { ints: [0, 3] } },
    inputs: [f(2, 3)],
  },
  { op: 'Unsqueeze', name: 'input negative axes (opset 13)', opset: 13, inputs: [f(2, 3), i64([-1, 1])] },
  {
    op: 'Slice',
    name: 'attr form (opset 9)',
    opset: 9,
    attrs: { axes: { ints: [0] }, starts: { ints: [1] }, ends: { ints: [3] } },
    inputs: [i64([1, 3, 48, 320])],
  },
  {
    op: 'Slice',
    name: 'attr form, no axes',
    opset: 9,
    attrs: { starts: { ints: [0, 1] }, ends: { ints: [2, 1000] } },
    inputs: [f(3, 4)],
  },
  {
    op: 'Slice',
    name: 'inputs, negative starts and ends',
    opset: 13,
    inputs: [f(4, 6), i64([-3, 1]), i64([-1, 5]), i64([0, 1])],
  },
  {
    op: 'Slice',
    name: 'steps and negative step',
    opset: 13,
    inputs: [f(5, 6), i64([4, 0]), i64([0, 6]), i64([0, 1]), i64([-2, 2])],
  },
  {
    op: 'Slice',
    name: 'negative axes, huge end',
    opset: 13,
    inputs: [f(2, 3, 5), i64([1]), i64([2 ** 63]), i64([-1])],
  },
  { op: 'Shape', name: 'basic', opset: 13, inputs: [f(2, 3, 4)] },
  {
    op: 'Shape',
    name: 'start and end (opset 15)',
    opset: 15,
    attrs: { start: { i: 1 }, end: { i: -1 } },
    inputs: [f(2, 3, 4, 5)],
  },
  { op: 'Gather', name: 'axis 0 int64 negative index', opset: 13, inputs: [f(5, 3), i64([0, -1, 2])] },
  {
    op: 'Gather',
    name: 'axis 1 int32 2-D indices',
    opset: 13,
    attrs: { axis: { i: 1 } },
    inputs: [f(2, 4, 3), i32([3, 0, 1, 1], [2, 2])],
  },
  { op: 'Gather', name: 'scalar index from shape', opset: 11, inputs: [i64([1, 3, 48, 320]), i64([3], [])] },
  {
    op: 'Gather',
    name: 'codebook lookup (clustered weights)',
    opset: 13,
    inputs: [f(16), { dtype: 'int64', dims: [4, 3, 2, 2], range: [0, 15] }],
  },
  {
    op: 'Gather',
    name: 'negative axis',
    opset: 13,
    attrs: { axis: { i: -1 } },
    inputs: [f(2, 5), i64([4, 0])],
  },
  {
    op: 'Constant',
    name: 'tensor value',
    opset: 13,
    attrs: { value: { t: { dtype: 'float32', dims: [2, 2], data: [1.5, -2, 0.25, 8] } } },
    inputs: [],
  },
  {
    op: 'Constant',
    name: 'value_floats',
    opset: 13,
    attrs: { value_floats: { floats: [0.5, 1, 2] } },
    inputs: [],
  },
  { op: 'Constant', name: 'value_int', opset: 13, attrs: { value_int: { i: 42 } }, inputs: [] },
  {
    op: 'Constant',
    name: 'int64 tensor (opset 9)',
    opset: 9,
    attrs: { value: { t: { dtype: 'int64', dims: [4], data: [0, -1, 120, 40] } } },
    inputs: [],
  },
];

const quant: CaseDef[] = [
  {
    op: 'QuantizeLinear',
    name: 'uint8 per tensor',
    opset: 13,
    inputs: [
      { dtype: 'float32', dims: [3, 8], range: [-2, 2] },
      fv([0.02], []),
      { dtype: 'uint8', dims: [], data: [128] },
    ],
  },
  {
    op: 'QuantizeLinear',
    name: 'default uint8, no zero point, saturates',
    opset: 10,
    inputs: [{ dtype: 'float32', dims: [10], range: [-2, 8] }, fv([0.02], [])],
  },
  {
    op: 'QuantizeLinear',
    name: 'int8 per axis',
    opset: 13,
    attrs: { axis: { i: 1 } },
    inputs: [
      { dtype: 'float32', dims: [2, 3, 4], range: [-3, 3] },
      fv([0.01, 0.02, 0.05]),
      { dtype: 'int8', dims: [3], data: [0, -3, 5] },
    ],
  },
  {
    op: 'QuantizeLinear',
    name: 'int8 per axis, negative axis',
    opset: 13,
    attrs: { axis: { i: -1 } },
    inputs: [
      { dtype: 'float32', dims: [3, 4], range: [-1, 1] },
      fv([0.01, 0.02, 0.03, 0.04]),
      { dtype: 'int8', dims: [4], data: [0, 0, 0, 0] },
    ],
  },
  {
    op: 'QuantizeLinear',
    name: 'int4 blocked',
    opset: 21,
    attrs: { axis: { i: 1 }, block_size: { i: 4 } },
    inputs: [
      { dtype: 'float32', dims: [3, 8], range: [-1, 1] },
      fv([0.1, 0.2, 0.15, 0.3, 0.12, 0.25], [3, 2]),
      q('int4', [3, 2], [-1, 1], true),
    ],
    packedOut: 'int4',
  },
  {
    op: 'QuantizeLinear',
    name: 'uint4 per tensor',
    opset: 21,
    inputs: [
      { dtype: 'float32', dims: [12], range: [-1, 1] },
      fv([0.125], []),
      { dtype: 'uint4', dims: [], data: [8], init: true },
    ],
    packedOut: 'uint4',
  },
  {
    op: 'DequantizeLinear',
    name: 'uint8 per tensor (opset 10)',
    opset: 10,
    inputs: [q('uint8', [4, 5], [0, 255]), fv([0.05], []), { dtype: 'uint8', dims: [], data: [128] }],
  },
  {
    op: 'DequantizeLinear',
    name: 'int8 per axis',
    opset: 13,
    attrs: { axis: { i: 0 } },
    inputs: [
      q('int8', [3, 4], [-128, 127]),
      fv([0.1, 0.01, 0.5]),
      { dtype: 'int8', dims: [3], data: [0, 2, -4] },
    ],
  },
  {
    op: 'DequantizeLinear',
    name: 'int8 per axis, negative axis',
    opset: 13,
    attrs: { axis: { i: -2 } },
    inputs: [q('int8', [2, 3, 4], [-128, 127]), fv([0.1, 0.01, 0.5])],
  },
  {
    op: 'DequantizeLinear',
    name: 'int32 (bias form)',
    opset: 13,
    inputs: [{ dtype: 'int32', dims: [6], range: [-100000, 100000] }, fv([0.0001], [])],
  },
  {
    op: 'DequantizeLinear',
    name: 'int4 blocked, axis 0, block 4',
    opset: 21,
    attrs: { axis: { i: 0 }, block_size: { i: 4 } },
    inputs: [
      q('int4', [8, 3], [-8, 7], true),
      fv([0.1, 0.2, 0.3, 0.05, 0.06, 0.07], [2, 3]),
      q('int4', [2, 3], [-2, 2], true),
    ],
  },
  {
    op: 'DequantizeLinear',
    name: 'int4 blocked, axis 1, ragged last block',
    opset: 21,
    attrs: { axis: { i: 1 }, block_size: { i: 4 } },
    inputs: [q('int4', [2, 10], [-8, 7], true), fv([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3])],
  },
  {
    op: 'DequantizeLinear',
    name: 'uint4 blocked with zero point',
    opset: 21,
    attrs: { axis: { i: 1 }, block_size: { i: 2 } },
    inputs: [
      q('uint4', [3, 4], [0, 15], true),
      fv([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [3, 2]),
      q('uint4', [3, 2], [6, 9], true),
    ],
  },
  {
    op: 'DequantizeLinear',
    name: 'uint4 per axis',
    opset: 21,
    attrs: { axis: { i: 0 } },
    inputs: [q('uint4', [3, 5], [0, 15], true), fv([0.1, 0.2, 0.3]), q('uint4', [3], [7, 8], true)],
  },
  {
    op: 'DequantizeLinear',
    name: 'int4 per tensor',
    opset: 21,
    inputs: [q('int4', [7], [-8, 7], true), fv([0.25], [])],
  },
  {
    op: 'DequantizeLinear',
    name: 'int2 per axis',
    opset: 25,
    attrs: { axis: { i: 0 } },
    inputs: [q('int2', [2, 6], [-2, 1], true), fv([0.5, 0.25])],
  },
  {
    op: 'DequantizeLinear',
    name: 'uint2 blocked',
    opset: 25,
    attrs: { axis: { i: 1 }, block_size: { i: 4 } },
    inputs: [
      q('uint2', [2, 8], [0, 3], true),
      fv([0.5, 0.25, 0.1, 0.2], [2, 2]),
      q('uint2', [2, 2], [1, 2], true),
    ],
  },
  {
    op: 'MatMulInteger',
    name: 'uint8 with zero points',
    opset: 10,
    inputs: [
      q('uint8', [3, 5], [0, 255]),
      q('uint8', [5, 4], [0, 255]),
      { dtype: 'uint8', dims: [], data: [12] },
      { dtype: 'uint8', dims: [], data: [130] },
    ],
  },
  {
    op: 'MatMulInteger',
    name: 'int8 batched, no zero points',
    opset: 10,
    inputs: [q('int8', [2, 3, 6], [-128, 127]), q('int8', [6, 2], [-128, 127])],
  },
  {
    op: 'MatMulInteger',
    name: 'uint8 x int8, per-column b zero point',
    opset: 10,
    inputs: [
      q('uint8', [4, 3], [0, 255]),
      q('int8', [3, 5], [-128, 127]),
      { dtype: 'uint8', dims: [], data: [3] },
      { dtype: 'int8', dims: [5], data: [1, -2, 0, 4, 5] },
    ],
  },
  {
    op: 'ConvInteger',
    name: 'uint8 with zero points',
    opset: 10,
    attrs: { pads: { ints: [1, 1, 1, 1] } },
    inputs: [
      q('uint8', [1, 3, 5, 5], [0, 255]),
      q('uint8', [2, 3, 3, 3], [0, 255]),
      { dtype: 'uint8', dims: [], data: [100] },
      { dtype: 'uint8', dims: [], data: [120] },
    ],
  },
  {
    op: 'ConvInteger',
    name: 'uint8 input, int8 weight, stride 2',
    opset: 10,
    attrs: { strides: { ints: [2, 2] } },
    inputs: [q('uint8', [1, 2, 7, 7], [0, 255]), q('int8', [3, 2, 3, 3], [-128, 127])],
  },
  {
    op: 'QLinearConv',
    name: 'uint8 per tensor with bias',
    opset: 10,
    attrs: { pads: { ints: [1, 1, 1, 1] } },
    inputs: [
      q('uint8', [1, 3, 6, 6], [0, 255]),
      fv([0.02], []),
      { dtype: 'uint8', dims: [], data: [128] },
      q('uint8', [4, 3, 3, 3], [0, 255]),
      fv([0.005], []),
      { dtype: 'uint8', dims: [], data: [127] },
      fv([0.05], []),
      { dtype: 'uint8', dims: [], data: [120] },
      { dtype: 'int32', dims: [4], range: [-2000, 2000] },
    ],
    tol: { int: 1 },
  },
  {
    op: 'QLinearConv',
    name: 'int8 weights per channel, depthwise',
    opset: 10,
    attrs: { group: { i: 4 }, pads: { ints: [1, 1, 1, 1] } },
    inputs: [
      q('uint8', [1, 4, 5, 5], [0, 255]),
      fv([0.03], []),
      { dtype: 'uint8', dims: [], data: [100] },
      q('int8', [4, 1, 3, 3], [-127, 127]),
      fv([0.01, 0.02, 0.005, 0.015]),
      { dtype: 'int8', dims: [4], data: [0, 0, 0, 0] },
      fv([0.04], []),
      { dtype: 'uint8', dims: [], data: [128] },
    ],
    tol: { int: 1 },
  },
  {
    op: 'QLinearMatMul',
    name: 'uint8',
    opset: 10,
    inputs: [
      q('uint8', [3, 8], [0, 255]),
      fv([0.02], []),
      { dtype: 'uint8', dims: [], data: [128] },
      q('uint8', [8, 5], [0, 255]),
      fv([0.01], []),
      { dtype: 'uint8', dims: [], data: [125] },
      fv([0.06], []),
      { dtype: 'uint8', dims: [], data: [127] },
    ],
    tol: { int: 1 },
  },
  {
    op: 'QLinearMatMul',
    name: 'int8 batched',
    opset: 10,
    inputs: [
      q('int8', [2, 3, 6], [-128, 127]),
      fv([0.02], []),
      { dtype: 'int8', dims: [], data: [1] },
      q('int8', [2, 6, 4], [-128, 127]),
      fv([0.03], []),
      { dtype: 'int8', dims: [], data: [-2] },
      fv([0.1], []),
      { dtype: 'int8', dims: [], data: [0] },
    ],
    tol: { int: 1 },
  },
];

export const CASES: CaseDef[] = [...elementwise, ...matrix, ...conv, ...norm, ...resize, ...shape, ...quant];
