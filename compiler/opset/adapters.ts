// Per-op adapters of the version converter: at each opset where an op's definition changed in a
// way that matters, rewrite the node into the new form (attributes that became inputs, changed
// semantics). Ops whose changes keep old models valid are listed in COMPATIBLE.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import { REDUCE_OPS } from '../../runtime/ir/shape/op-kinds.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

/** What adapters may ask about the graph beyond its declared types. */
export interface AdaptContext {
  /** Rank of a value from shape inference at the original opset, if known. */
  rankOf(name: string): number | undefined;
}

/** Rewrites `node` (in `g`) from the form before `version` to the form at `version`. */
export type Adapter = (g: Graph, node: Node, ctx?: AdaptContext) => void;

const int64s = (v: number[]): Tensor => ({
  dtype: 'int64',
  dims: [v.length],
  data: BigInt64Array.from(v.map(BigInt)),
});

function constInput(g: Graph, node: Node, base: string, t: Tensor): string {
  const name = g.uniqueName(`${node.name || node.opType}_${base}`);
  g.addInitializer(name, t);
  return name;
}

function setInputs(node: Node, inputs: string[]): void {
  while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
  node.inputs = inputs;
  node.graph?.touch();
}

/** An ints attribute becomes input `index` (absent attribute → absent input). */
function attrToInput(name: string, index: number): Adapter {
  return (g, node) => {
    const v = node.attrs[name] as number[] | undefined;
    if (v === undefined) return;
    node.removeAttr(name);
    const inputs = [...node.inputs];
    while (inputs.length < index) inputs.push('');
    inputs[index] = constInput(g, node, name, int64s(v));
    setInputs(node, inputs);
  };
}

function floatScalar(g: Graph, node: Node, base: string, v: number, like: string): string {
  const dt = g.declaredType(like)?.dtype ?? 'float32';
  const t: Tensor =
    dt === 'float64'
      ? { dtype: 'float64', dims: [], data: Float64Array.of(v) }
      : { dtype: 'float32', dims: [], data: Float32Array.of(v) };
  return constInput(g, node, base, t);
}

/** Clip-11: min/max attributes → optional inputs 1 and 2. */
const clip11: Adapter = (g, node) => {
  const min = node.attrs.min as number | undefined;
  const max = node.attrs.max as number | undefined;
  node.removeAttr('min');
  node.removeAttr('max');
  const x = node.inputs[0];
  setInputs(node, [
    x,
    min === undefined ? '' : floatScalar(g, node, 'min', min, x),
    max === undefined ? '' : floatScalar(g, node, 'max', max, x),
  ]);
};

/** Slice-10: starts/ends/axes attributes → inputs 1..3. */
const slice10: Adapter = (g, node) => {
  const starts = node.attrs.starts as number[];
  const ends = node.attrs.ends as number[];
  const axes = node.attrs.axes as number[] | undefined;
  for (const a of ['starts', 'ends', 'axes']) node.removeAttr(a);
  setInputs(node, [
    node.inputs[0],
    constInput(g, node, 'starts', int64s(starts)),
    constInput(g, node, 'ends', int64s(ends)),
    axes ? constInput(g, node, 'axes', int64s(axes)) : '',
  ]);
};

/** Dropout-12: the ratio attribute → input 1. */
const dropout12: Adapter = (g, node) => {
  const ratio = node.attrs.ratio as number | undefined;
  node.removeAttr('ratio');
  if (ratio !== undefined)
    setInputs(node, [node.inputs[0], floatScalar(g, node, 'ratio', ratio, node.inputs[0])]);
};

/** Pad-11: pads and value attributes → inputs. */
const pad11: Adapter = (g, node) => {
  const pads = node.attrs.pads as number[];
  const value = node.attrs.value as number | undefined;
  node.removeAttr('pads');
  node.removeAttr('value');
  setInputs(node, [
    node.inputs[0],
    constInput(g, node, 'pads', int64s(pads)),
    value === undefined || value === 0 ? '' : floatScalar(g, node, 'value', value, node.inputs[0]),
  ]);
};

/** Softmax/LogSoftmax/Hardmax-13: "flatten to 2-D at axis" becomes "along one axis". */
const softmax13: Adapter = (g, node, ctx) => {
  const axis = (node.attrs.axis as number | undefined) ?? 1;
  const x = node.inputs[0];
  const rank = g.declaredType(x)?.shape?.length ?? ctx?.rankOf(x);
  if (axis === -1 || (rank !== undefined && axis === rank - 1)) {
    node.setAttr('axis', -1, 'INT');
    return;
  }
  // general case: y = Reshape(Softmax_13(Flatten(x, axis), axis=1), Shape(x))
  const base = node.name || node.opType;
  const shape = g.uniqueName(`${base}_shape`);
  const flat = g.uniqueName(`${base}_flat`);
  const soft = g.uniqueName(`${base}_2d`);
  const y = node.outputs[0];
  g.addNode(
    { op: 'Shape', name: g.uniqueName(`${base}_Shape`), inputs: [x], outputs: [shape] },
    { before: node },
  );
  g.addNode(
    { op: 'Flatten', name: g.uniqueName(`${base}_Flatten`), inputs: [x], outputs: [flat], attrs: { axis } },
    { before: node },
  );
  g.addNode(
    { op: 'Reshape', name: g.uniqueName(`${base}_Reshape`), inputs: [soft, shape], outputs: [y] },
    { after: node },
  );
  node.setInput(0, flat);
  node.setOutput(0, soft);
  node.setAttr('axis', 1, 'INT');
};

/** Upsample (removed at 10) → Resize-11 with Upsample's asymmetric coordinates and floor rounding. */
const upsampleToResize: Adapter = (g, node) => {
  const mode = (node.attrs.mode as string | undefined) ?? 'nearest';
  const scalesAttr = node.attrs.scales as number[] | undefined;
  node.opType = 'Resize';
  node.attributes = [];
  node.setAttr('mode', mode === 'bilinear' ? 'linear' : mode, 'STRING');
  node.setAttr('coordinate_transformation_mode', 'asymmetric', 'STRING');
  if (mode === 'nearest') node.setAttr('nearest_mode', 'floor', 'STRING');
  const scales = scalesAttr
    ? constInput(g, node, 'scales', {
        dtype: 'float32',
        dims: [scalesAttr.length],
        data: Float32Array.from(scalesAttr),
      })
    : node.inputs[1];
  const roi = constInput(g, node, 'roi', { dtype: 'float32', dims: [0], data: new Float32Array(0) });
  setInputs(node, [node.inputs[0], roi, scales]);
};

/** Resize-11: Resize-10 (X, scales) gains roi; its coordinates were asymmetric. */
const resize11: Adapter = (g, node) => {
  if (node.inputs.length >= 3) return;
  node.setAttr('coordinate_transformation_mode', 'asymmetric', 'STRING');
  if (((node.attrs.mode as string | undefined) ?? 'nearest') === 'nearest')
    node.setAttr('nearest_mode', 'floor', 'STRING');
  const roi = constInput(g, node, 'roi', { dtype: 'float32', dims: [0], data: new Float32Array(0) });
  setInputs(node, [node.inputs[0], roi, node.inputs[1]]);
};

/** Split-13: the split attribute → input 1. */
const split13 = attrToInput('split', 1);

/** TopK-10: k attribute → input 1. */
const topk10: Adapter = (g, node) => {
  const k = node.attrs.k as number | undefined;
  if (k === undefined) return;
  node.removeAttr('k');
  setInputs(node, [node.inputs[0], constInput(g, node, 'k', int64s([k]))]);
};

/** BatchNormalization-9 dropped `spatial` (it must have been 1) and the old consumed_inputs. */
const batchNorm9: Adapter = (_g, node) => {
  const spatial = node.attrs.spatial as number | undefined;
  if (spatial !== undefined && spatial !== 1)
    throw new Error('BatchNormalization with spatial=0 has no opset-9 form');
  node.removeAttr('spatial');
  node.removeAttr('consumed_inputs');
};

const REDUCE_18 = REDUCE_OPS.filter((op) => op !== 'ReduceSum');

/** op type → [opset where the form changed, adapter] in increasing order. */
export const ADAPTERS: Record<string, [number, Adapter][]> = {
  Clip: [[11, clip11]],
  Slice: [[10, slice10]],
  Squeeze: [[13, attrToInput('axes', 1)]],
  Unsqueeze: [[13, attrToInput('axes', 1)]],
  ReduceSum: [[13, attrToInput('axes', 1)]],
  ...Object.fromEntries(REDUCE_18.map((op) => [op, [[18, attrToInput('axes', 1)]]])),
  Softmax: [[13, softmax13]],
  LogSoftmax: [[13, softmax13]],
  Hardmax: [[13, softmax13]],
  Upsample: [[10, upsampleToResize]],
  Resize: [[11, resize11]],
  Dropout: [[12, dropout12]],
  Pad: [[11, pad11]],
  Split: [[13, split13]],
  TopK: [[10, topk10]],
  BatchNormalization: [[9, batchNorm9]],
};

/**
 * Ops whose newer versions accept every older node unchanged (new types, new attributes with
 * defaults that keep the old meaning). Checked against the ONNX operator changelog for ≥ opset 7.
 */
export const COMPATIBLE = new Set(
  (
    'Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool Cast Ceil Celu Concat Constant ' +
    'ConstantOfShape Conv ConvInteger ConvTranspose Cos Cosh CumSum DepthToSpace DequantizeLinear Div Einsum ' +
    'Elu Equal Erf Exp Expand Flatten Floor Gather GatherElements GatherND Gelu Gemm GlobalAveragePool ' +
    'GlobalMaxPool Greater GreaterOrEqual HardSigmoid HardSwish Identity InstanceNormalization IsInf IsNaN LRN ' +
    'LayerNormalization LeakyRelu Less LessOrEqual Log MatMul MatMulInteger Max MaxPool Mean Min Mish Mod Mul ' +
    'Neg NonZero Not Or PRelu Pow QLinearConv QLinearMatMul QuantizeLinear Range Reciprocal Relu Reshape ' +
    'Round ScatterElements ScatterND Selu Shape Sigmoid Sign Sin Sinh Size Softplus Softsign SpaceToDepth Sqrt ' +
    'Sub Sum Tan Tanh ThresholdedRelu Tile Transpose Trilu Where Xor If Loop Scan'
  ).split(' '),
);
