// The quantize-weights pass: Conv/Gemm/MatMul float weights → int8/int4 (2-bit codes in int8)
// initializer + DequantizeLinear (per-tensor, per-axis, blocked `group N` at opset 21, symmetric or asymmetric, minmax or mse). Other options: UserError.

import { UserError } from '../../../runtime/errors.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, makeTensor } from '../../../runtime/ir/tensor.ts';
import type { Pass, PassContext } from '../../engine/pass.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import { registerLossyPass } from '../../plan/lower.ts';
import { num, option, word } from '../../plan/options.ts';
import type { Plan, PlannedAction } from '../../plan/plan.ts';
import { binarize, ternarize } from '../../quant/binary.ts';
import { dequantize, quantizeTensor } from '../../quant/uniform.ts';

export interface WeightSettings {
  perChannel: boolean;
  /** 8 (int8), 4 (int4, opset 21), 2 (2-bit codes stored as int8). */
  bits?: 8 | 4 | 2;
  /** Blocked along the reduction axis (DequantizeLinear block_size, opset 21). */
  group?: number;
  symmetric: boolean;
  method: 'minmax' | 'mse';
  /** binary: ±α per channel; ternary: {−α, 0, α} per channel (stored int8 per-axis). */
  kind?: 'uniform' | 'binary' | 'ternary';
  from: string;
}

const FLAGS = new Set(['binary', 'ternary', 'per-channel', 'per-tensor', 'symmetric', 'asymmetric']);

/** Reads one `quantize weights` action; anything not implemented yet is a UserError. */
export function weightSettings(a: PlannedAction): WeightSettings {
  const s: WeightSettings = { perChannel: false, symmetric: true, method: 'minmax', from: a.from };
  for (const o of a.statement.options ?? []) {
    if (o.name === 'bits') {
      const b = num(option(a.statement.options, 'bits')?.values[0], 'bits');
      if (b !== 8 && b !== 4 && b !== 2) {
        throw new UserError(
          `${a.from}: quantize weights { bits ${b} }: bits must be 8, 4 or 2`,
          'write bits 8, 4 or 2',
        );
      }
      s.bits = b;
    } else if (o.name === 'group') {
      const gsz = num(o.values[0], 'group');
      if (!gsz || gsz < 1 || !Number.isInteger(gsz)) {
        throw new UserError(
          `${a.from}: quantize weights { group ${gsz} }: need a positive integer`,
          'e.g. group 32',
        );
      }
      s.group = gsz;
    } else if (o.name === 'method') {
      const m = word(o.values[0]);
      if (m !== 'minmax' && m !== 'mse') {
        throw new UserError(
          `${a.from}: quantize weights { method ${m} } is not implemented yet`,
          'use method minmax or mse for now',
        );
      }
      s.method = m;
    } else if (FLAGS.has(o.name)) {
      if (o.name === 'binary' || o.name === 'ternary') s.kind = o.name;
      if (o.name === 'per-channel') s.perChannel = true;
      if (o.name === 'per-tensor') s.perChannel = false;
      if (o.name === 'asymmetric') s.symmetric = false;
      if (o.name === 'symmetric') s.symmetric = true;
    } else {
      throw new UserError(
        `${a.from}: quantize weights { ${o.name} } is not implemented yet`,
        'remove it (implemented: bits 8|4|2, group N, binary, ternary, per-channel|per-tensor, symmetric|asymmetric, method minmax|mse)',
      );
    }
  }
  return s;
}

function nodesByLayer(model: Model): Map<string, Node> {
  const out = new Map<string, Node>();
  model.graph.topoOrder().forEach((n, i) => {
    out.set(n.name || n.outputs[0] || `${n.opType}_${i}`, n);
  });
  return out;
}

/** Quantizes one layer's weight in place; returns the max |w − dq(q(w))| or a skip reason. */
export function quantizeLayerWeight(model: Model, n: Node, s: WeightSettings): number | string {
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
  const needOpset = bits === 4 || s.group ? 21 : 13;
  if ((model.opset('') ?? 0) < needOpset) upgradeOpset(model, needOpset);
  const kind = s.kind ?? 'uniform';
  const qt =
    kind === 'binary'
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
            method: s.method,
          });
  const dq = dequantize(qt);
  const src = w.data as Float32Array;
  let err = 0;
  for (let i = 0; i < src.length; i++) err = Math.max(err, Math.abs(src[i]! - dq[i]!));
  const base = n.name || n.outputs[0]!;
  const qName = g.uniqueName(`${base}.wq`);
  const zName = g.uniqueName(`${base}.wz`);
  const sName = g.uniqueName(`${base}.ws`);
  const out = g.uniqueName(`${base}.wdq`);
  // int4 as ONNX int4/uint4; 2-bit codes are stored in int8/uint8 (int2 needs opset 25).
  const qType = bits === 4 ? (qt.signed ? 'int4' : 'uint4') : qt.signed ? 'int8' : 'uint8';
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

export function quantizeWeightsPass(plan: Plan): Pass {
  const jobs: { layer: string; s: WeightSettings }[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'quantize-weights');
    if (a) jobs.push({ layer: l.name, s: weightSettings(a) });
  }
  return {
    name: 'quantize-weights',
    run: (model: Model, ctx: PassContext) => {
      if ((model.opset('') ?? 0) < 13) upgradeOpset(model, 13);
      // Blocked/int4 layers raise the opset to 21 themselves (quantizeLayerWeight).
      const byLayer = nodesByLayer(model);
      let changed = false;
      for (const { layer, s } of jobs) {
        const n = byLayer.get(layer);
        const r = n ? quantizeLayerWeight(model, n, s) : 'no such node';
        if (typeof r === 'string') {
          (ctx.warn ?? ctx.log)?.(`${s.from}: quantize weights skipped ${layer}: ${r}`);
          continue;
        }
        changed = true;
        ctx.layerError[layer] = Math.max(ctx.layerError[layer] ?? 0, r);
      }
      return { changed };
    },
  };
}

registerLossyPass('quantize-weights', quantizeWeightsPass);
registerLossyPass('quantize-activations', (plan) => {
  const a = plan.layers.flatMap((l) => l.actions).find((x) => x.kind === 'quantize-activations');
  throw new UserError(
    `${a?.from ?? 'recipe'}: quantize activations is not implemented yet`,
    'remove the quantize activations statement for now (quantize weights works)',
  );
});
