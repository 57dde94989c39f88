// What the ONNX checker knows of each default-domain op squish runs: how many inputs and outputs it
// takes (the widest range over the opsets squish reads) and the type of each attribute it defines.
// Ops not listed here (custom domains, control flow, newer ops) are not checked: they pass through.

import type { AttrType } from '../../ir/attribute.ts';

export interface OpSchema {
  inputs: [number, number];
  outputs: [number, number];
  attrs: Record<string, AttrType>;
}

const MANY = Number.POSITIVE_INFINITY;

function op(
  inputs: [number, number],
  outputs: [number, number],
  attrs: Record<string, AttrType> = {},
): OpSchema {
  return { inputs, outputs, attrs };
}

const CONV_ATTRS: Record<string, AttrType> = {
  auto_pad: 'STRING',
  dilations: 'INTS',
  group: 'INT',
  kernel_shape: 'INTS',
  pads: 'INTS',
  strides: 'INTS',
};
const POOL_ATTRS: Record<string, AttrType> = {
  auto_pad: 'STRING',
  ceil_mode: 'INT',
  dilations: 'INTS',
  kernel_shape: 'INTS',
  pads: 'INTS',
  strides: 'INTS',
};
const REDUCE_ATTRS: Record<string, AttrType> = { axes: 'INTS', keepdims: 'INT', noop_with_empty_axes: 'INT' };
const QUANT_ATTRS: Record<string, AttrType> = {
  axis: 'INT',
  block_size: 'INT',
  saturate: 'INT',
  output_dtype: 'INT',
  precision: 'INT',
};
const unary = op([1, 1], [1, 1]);
const binary = op([2, 2], [1, 1]);
const variadic = op([1, MANY], [1, 1]);
const alpha = op([1, 1], [1, 1], { alpha: 'FLOAT' });

export const SCHEMAS: Readonly<Record<string, OpSchema>> = {
  Abs: unary,
  Add: binary,
  And: binary,
  ArgMax: op([1, 1], [1, 1], { axis: 'INT', keepdims: 'INT', select_last_index: 'INT' }),
  ArgMin: op([1, 1], [1, 1], { axis: 'INT', keepdims: 'INT', select_last_index: 'INT' }),
  AveragePool: op([1, 1], [1, 1], { ...POOL_ATTRS, count_include_pad: 'INT' }),
  BatchNormalization: op([5, 5], [1, 5], {
    epsilon: 'FLOAT',
    momentum: 'FLOAT',
    training_mode: 'INT',
    spatial: 'INT',
    is_test: 'INT',
  }),
  Cast: op([1, 1], [1, 1], { to: 'INT', saturate: 'INT', round_mode: 'STRING' }),
  Ceil: unary,
  Celu: alpha,
  Clip: op([1, 3], [1, 1], { min: 'FLOAT', max: 'FLOAT' }),
  Concat: op([1, MANY], [1, 1], { axis: 'INT' }),
  Constant: op([0, 0], [1, 1], {
    value: 'TENSOR',
    sparse_value: 'SPARSE_TENSOR',
    value_float: 'FLOAT',
    value_floats: 'FLOATS',
    value_int: 'INT',
    value_ints: 'INTS',
    value_string: 'STRING',
    value_strings: 'STRINGS',
  }),
  ConstantOfShape: op([1, 1], [1, 1], { value: 'TENSOR' }),
  Conv: op([2, 3], [1, 1], CONV_ATTRS),
  ConvInteger: op([2, 4], [1, 1], CONV_ATTRS),
  ConvTranspose: op([2, 3], [1, 1], { ...CONV_ATTRS, output_padding: 'INTS', output_shape: 'INTS' }),
  Cos: unary,
  DequantizeLinear: op([2, 3], [1, 1], QUANT_ATTRS),
  Div: binary,
  Dropout: op([1, 3], [1, 2], { ratio: 'FLOAT', seed: 'INT', is_test: 'INT' }),
  Elu: alpha,
  Equal: binary,
  Erf: unary,
  Exp: unary,
  Expand: binary,
  Flatten: op([1, 1], [1, 1], { axis: 'INT' }),
  Floor: unary,
  Gather: op([2, 2], [1, 1], { axis: 'INT' }),
  Gelu: op([1, 1], [1, 1], { approximate: 'STRING' }),
  Gemm: op([2, 3], [1, 1], { alpha: 'FLOAT', beta: 'FLOAT', transA: 'INT', transB: 'INT' }),
  GlobalAveragePool: unary,
  GlobalMaxPool: unary,
  Greater: binary,
  GreaterOrEqual: binary,
  HardSigmoid: op([1, 1], [1, 1], { alpha: 'FLOAT', beta: 'FLOAT' }),
  HardSwish: unary,
  Identity: unary,
  InstanceNormalization: op([3, 3], [1, 1], { epsilon: 'FLOAT' }),
  IsInf: op([1, 1], [1, 1], { detect_negative: 'INT', detect_positive: 'INT' }),
  IsNaN: unary,
  LayerNormalization: op([2, 3], [1, 3], { axis: 'INT', epsilon: 'FLOAT', stash_type: 'INT' }),
  LeakyRelu: alpha,
  Less: binary,
  LessOrEqual: binary,
  Log: unary,
  LogSoftmax: op([1, 1], [1, 1], { axis: 'INT' }),
  MatMul: binary,
  MatMulInteger: op([2, 4], [1, 1]),
  Max: variadic,
  MaxPool: op([1, 1], [1, 2], { ...POOL_ATTRS, storage_order: 'INT' }),
  Mean: variadic,
  Min: variadic,
  Mish: unary,
  Mul: binary,
  Neg: unary,
  Not: unary,
  Or: binary,
  PRelu: binary,
  Pad: op([1, 4], [1, 1], { mode: 'STRING', pads: 'INTS', value: 'FLOAT' }),
  Pow: binary,
  QLinearConv: op([8, 9], [1, 1], CONV_ATTRS),
  QLinearMatMul: op([8, 8], [1, 1]),
  QuantizeLinear: op([2, 3], [1, 1], QUANT_ATTRS),
  Range: op([3, 3], [1, 1]),
  Reciprocal: unary,
  ReduceL1: op([1, 2], [1, 1], REDUCE_ATTRS),
  ReduceL2: op([1, 2], [1, 1], REDUCE_ATTRS),
  ReduceMax: op([1, 2], [1, 1], REDUCE_ATTRS),
  ReduceMean: op([1, 2], [1, 1], REDUCE_ATTRS),
  ReduceMin: op([1, 2], [1, 1], REDUCE_ATTRS),
  ReduceProd: op([1, 2], [1, 1], REDUCE_ATTRS),
  ReduceSum: op([1, 2], [1, 1], REDUCE_ATTRS),
  ReduceSumSquare: op([1, 2], [1, 1], REDUCE_ATTRS),
  Relu: unary,
  Reshape: op([1, 2], [1, 1], { allowzero: 'INT', shape: 'INTS' }),
  Resize: op([1, 4], [1, 1], {
    antialias: 'INT',
    axes: 'INTS',
    coordinate_transformation_mode: 'STRING',
    cubic_coeff_a: 'FLOAT',
    exclude_outside: 'INT',
    extrapolation_value: 'FLOAT',
    keep_aspect_ratio_policy: 'STRING',
    mode: 'STRING',
    nearest_mode: 'STRING',
  }),
  Round: unary,
  Selu: op([1, 1], [1, 1], { alpha: 'FLOAT', gamma: 'FLOAT' }),
  Shape: op([1, 1], [1, 1], { start: 'INT', end: 'INT' }),
  Sigmoid: unary,
  Sign: unary,
  Sin: unary,
  Size: unary,
  Slice: op([1, 5], [1, 1], { axes: 'INTS', ends: 'INTS', starts: 'INTS' }),
  Softmax: op([1, 1], [1, 1], { axis: 'INT' }),
  Softplus: unary,
  Softsign: unary,
  Split: op([1, 2], [1, MANY], { axis: 'INT', split: 'INTS', num_outputs: 'INT' }),
  Sqrt: unary,
  Squeeze: op([1, 2], [1, 1], { axes: 'INTS' }),
  Sub: binary,
  Sum: variadic,
  Tanh: unary,
  ThresholdedRelu: alpha,
  Tile: binary,
  Transpose: op([1, 1], [1, 1], { perm: 'INTS' }),
  Unsqueeze: op([1, 2], [1, 1], { axes: 'INTS' }),
  Upsample: op([1, 2], [1, 1], { mode: 'STRING', scales: 'FLOATS' }),
  Where: op([3, 3], [1, 1]),
  Xor: binary,
};
