// FLOPs per node from concrete shapes (one multiply-add = 2 FLOPs). The formulas:
//   Conv           2·N·Cout·(Cin/g)·∏k·∏out  +  N·Cout·∏out when a bias is given (ConvInteger,
//                  QLinearConv alike: integer multiply-adds counted as FLOPs)
//   ConvTranspose  2·N·Cin·(Cout/g)·∏k·∏in   +  N·Cout·∏out when a bias is given
//   MatMul         2·M·N·K per batch item (batch = broadcast leading dims; MatMulInteger, QLinearMatMul alike)
//   Gemm           2·M·N·K  +  M·N when C is given
//   BatchNormalization 2 per output element (scale and shift, inference form)
//   Max/AveragePool ∏k per output element; Global*Pool and Reduce*: one per input element
//   Softmax/LogSoftmax 3 per element; other elementwise ops and activations 1 per output element
//   layout/data-movement ops (Reshape, Transpose, Concat, Slice, Gather, Shape, Cast …) 0
// Undefined when a needed dim is symbolic or the op is not known here.

import type { Attrs } from '../types.ts';
import type { Dim, ValueType } from './dims.ts';
import { UNARY_ELEMENTWISE } from './op-kinds.ts';

const ZERO = new Set([
  'Reshape',
  'Transpose',
  'Concat',
  'Slice',
  'Gather',
  'GatherElements',
  'Shape',
  'Size',
  'Cast',
  'CastLike',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Identity',
  'Constant',
  'ConstantOfShape',
  'Split',
  'Expand',
  'Tile',
  'Pad',
  'Dropout',
  'Range',
  'NonZero',
  'ScatterND',
  'ScatterElements',
  'DepthToSpace',
  'SpaceToDepth',
  'EyeLike',
]);
const ELEMENTWISE = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'PRelu',
  'Mod',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'Not',
  'Where',
  ...UNARY_ELEMENTWISE,
  'Resize',
  'Upsample',
  'QuantizeLinear',
  'DynamicQuantizeLinear',
  'DequantizeLinear',
  'InstanceNormalization',
  'LayerNormalization',
  'LpNormalization',
]);

function known(shape: Dim[] | undefined): number[] | undefined {
  return shape?.every((d) => typeof d === 'number') ? (shape as number[]) : undefined;
}
const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);

export function nodeFlops(
  op: string,
  inputs: (ValueType | undefined)[],
  outputs: (ValueType | undefined)[],
  attrs: Attrs,
  hasInput: (i: number) => boolean,
): number | undefined {
  if (ZERO.has(op)) return 0;
  const out = known(outputs[0]?.shape);
  const x = known(inputs[0]?.shape);
  switch (op) {
    case 'Conv':
    case 'ConvInteger':
    case 'QLinearConv': {
      const w = known(inputs[op === 'QLinearConv' ? 3 : 1]?.shape);
      if (!out || !w) return undefined;
      const [n, cout] = out as [number, number];
      const spatial = prod(out.slice(2));
      const perOut = w[1]! * prod(w.slice(2)); // (Cin/g)·∏k
      const bias = op === 'QLinearConv' ? hasInput(8) : op === 'Conv' && hasInput(2);
      return 2 * n * cout * perOut * spatial + (bias ? n * cout * spatial : 0);
    }
    case 'ConvTranspose': {
      const w = known(inputs[1]?.shape);
      if (!out || !w || !x) return undefined;
      const g = (attrs.group as number | undefined) ?? 1;
      const [n, cin] = x as [number, number];
      const coutPerG = w[1]!; // W: [Cin, Cout/g, k…]
      const macs = n * cin * coutPerG * prod(w.slice(2)) * prod(x.slice(2));
      void g;
      return 2 * macs + (hasInput(2) ? n * out[1]! * prod(out.slice(2)) : 0);
    }
    case 'MatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul': {
      const a = known(inputs[0]?.shape);
      if (!out || !a) return undefined;
      const k = a[a.length - 1]!;
      return 2 * prod(out) * k;
    }
    case 'Gemm': {
      const a = known(inputs[0]?.shape);
      if (!out || !a) return undefined;
      const k = attrs.transA ? a[0]! : a[1]!;
      const [m, n] = out as [number, number];
      return 2 * m * n * k + (hasInput(2) ? m * n : 0);
    }
    case 'BatchNormalization':
      return out ? 2 * prod(out) : undefined;
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool':
      return out ? prod(out) * prod((attrs.kernel_shape as number[]) ?? []) : undefined;
    case 'Softmax':
    case 'LogSoftmax':
      return out ? 3 * prod(out) : undefined;
    default:
      if (op.startsWith('Global') || op.startsWith('Reduce') || op === 'ArgMax' || op === 'ArgMin') {
        return x ? prod(x) : undefined;
      }
      if (ELEMENTWISE.has(op)) return out ? prod(out) : undefined;
      return undefined;
  }
}
