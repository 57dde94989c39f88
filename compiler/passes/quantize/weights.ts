// Weight quantization of one Conv/Gemm/MatMul: float weight → int8, or int4 for 4-bit/2-bit/binary/
// ternary codes, initializer + DequantizeLinear (per-tensor, per-axis, blocked `group N` at opset 21).

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, makeTensor } from '../../../runtime/ir/tensor.ts';
import type { Matrix } from '../../linalg/matrix.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import { addToBias, biasDelta } from './bias-correct.ts';
import { binarize, ternarize } from './binary.ts';
import { type GptqTuning, gptqLayer } from './gptq-layer.ts';
import type { WeightSettings } from './options.ts';
import { dequantize, quantizeTensor } from './uniform.ts';

/** Calibration facts for one layer: GPTQ Hessian(s), input mean for bias correction. */
export interface LayerData {
  /** method gptq: the layer's Hessian(s) (one per conv group). */
  hs?: Matrix[];
  tuning?: GptqTuning;
  /** The layer input's mean per channel/feature: the bias is corrected by (W − Ŵ)·mean. */
  mean?: Float64Array;
  /** Set when the bias was corrected. */
  corrected?: boolean;
  /** The output opset the recipe pins (`output { opset N }`), if any: storage must fit it. */
  maxOpset?: number;
  /** Set when the codes were stored wider than they need (the pinned opset lacks int4). */
  widened?: string;
}

/**
 * Storage of the codes: int4/uint4 (opset 21) for 4-bit, 2-bit, binary and ternary codes; int8 when
 * the pinned output opset is below 21. int2 (opset 25) is not used: onnxruntime 1.30 computes
 * DequantizeLinear(int2) → MatMul wrongly at graph optimization level extended/all (right with
 * basic/disabled), so int4 is the narrowest type it runs correctly.
 */
function storage(bits: number, kind: string, cap: number | undefined): { int4: boolean; opset: number } {
  const narrow = bits <= 4 || kind !== 'uniform';
  const int4 = narrow && (cap === undefined || cap >= 21);
  return { int4, opset: int4 ? 21 : 13 };
}

/** Quantizes one layer's weight in place; returns the max |w − dq(q(w))| or a skip reason. */
export function quantizeLayerWeight(
  model: Model,
  n: Node,
  s: WeightSettings,
  data: LayerData = {},
): number | string {
  const { hs, tuning } = data;
  const g = model.graph;
  if (n.opType !== 'Conv' && n.opType !== 'Gemm' && n.opType !== 'MatMul') return `${n.opType} has no weight`;
  const wName = n.inputs[1] ?? '';
  const w = g.constant(wName);
  if (w?.dtype !== 'float32') return 'weight is not a float32 constant';
  if (g.consumers(wName).length !== 1) return 'weight is shared';
  let axis = 0;
  if (n.opType === 'MatMul') axis = w.dims.length - 1;
  else if (n.opType === 'Gemm') axis = n.attrs.transB === 1 ? 0 : 1;
  if (w.dims.length < 2 && (s.perChannel || s.group)) return 'weight is not a matrix';
  // Blocks run along the reduction axis: rows of MatMul [K,N], input channels of Conv [M,C,…].
  let redAxis = 0;
  if (n.opType === 'MatMul') redAxis = w.dims.length - 2;
  else if (n.opType === 'Gemm') redAxis = n.attrs.transB === 1 ? 1 : 0;
  else redAxis = 1;
  const bits = s.bits ?? 8;
  const kind = s.kind ?? 'uniform';
  const cap = data.maxOpset;
  if (s.group && cap !== undefined && cap < 21)
    throw new Error(`${s.from}: group ${s.group} with output opset ${cap} passed the checks`);
  const store = storage(bits, kind, cap);
  if (!store.int4 && (bits <= 4 || kind !== 'uniform')) {
    data.widened = `${kind === 'uniform' ? `${bits}-bit` : kind} codes stored as int8: output { opset ${cap} } cannot hold int4 (opset 21)`;
  }
  const needOpset = Math.max(store.opset, s.group ? 21 : 13);
  if ((model.opset('') ?? 0) < needOpset) upgradeOpset(model, needOpset);
  if (s.method === 'gptq' && !hs) return 'no calibration Hessian for method gptq';
  const qt =
    s.method === 'gptq' && hs
      ? gptqLayer(n, w, s, hs, tuning)
      : kind === 'binary'
        ? binarize(w.data as Float32Array, w.dims, { axis })
        : kind === 'ternary'
          ? ternarize(w.data as Float32Array, w.dims, { axis })
          : quantizeTensor(w.data as Float32Array, w.dims, {
              bits,
              granularity: s.group
                ? { kind: 'group', axis: redAxis, size: s.group }
                : s.perChannel
                  ? { kind: 'channel', axis }
                  : { kind: 'tensor' },
              symmetric: s.symmetric,
              method: s.method === 'mse' ? 'mse' : 'minmax',
            });
  const dq = dequantize(qt);
  const src = w.data as Float32Array;
  let err = 0;
  for (let i = 0; i < src.length; i++) err = Math.max(err, Math.abs(src[i]! - dq[i]!));
  if (data.mean) {
    const delta = biasDelta(n, w.dims, src, dq, data.mean);
    data.corrected = !!delta && addToBias(model, n, delta);
  }
  const base = n.name || n.outputs[0]!;
  const qName = g.uniqueName(`${base}.wq`);
  const zName = g.uniqueName(`${base}.wz`);
  const sName = g.uniqueName(`${base}.ws`);
  const out = g.uniqueName(`${base}.wdq`);
  const qType = store.int4 ? (qt.signed ? 'int4' : 'uint4') : qt.signed ? 'int8' : 'uint8';
  g.addInitializer(qName, makeTensor(qType, qt.shape, qt.q));
  g.addInitializer(sName, float32(qt.scaleShape, qt.scale));
  // A zero zero-point on int8 is ONNX's default: leave the optional input out (smaller file).
  const zpNeeded = !qt.signed || qt.zeroPoint.some((z) => z !== 0);
  if (zpNeeded) g.addInitializer(zName, makeTensor(qType, qt.scaleShape, qt.zeroPoint));
  g.addNode(
    {
      op: 'DequantizeLinear',
      name: `${base}.dq`,
      inputs: zpNeeded ? [qName, sName, zName] : [qName, sName],
      outputs: [out],
      attrs: qt.blockSize
        ? { axis: qt.axis, block_size: qt.blockSize }
        : qt.axis >= 0
          ? { axis: qt.axis }
          : {},
    },
    { before: n },
  );
  n.setInput(1, out);
  g.sweep();
  return err;
}
