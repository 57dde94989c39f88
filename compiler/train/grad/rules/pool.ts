// Gradients of AveragePool (a depthwise ConvTranspose of dY/count with a ones kernel; pads,
// count_include_pad, ceil_mode) and MaxPool (dY scattered to the argmax that MaxPool's own Indices
// output names).

import { UserError } from '../../../../runtime/errors.ts';
import { makeTensor } from '../../../../runtime/ir/tensor.ts';
import { defineGradRules, type GradContext } from '../rule.ts';
import { scatterFlat } from './scatter.ts';

function poolGeometry(c: GradContext) {
  const a = c.node.attrs;
  const S = c.emit.shape(c.node.inputs[0]!).slice(2);
  const n = S.length;
  const K = (a.kernel_shape as number[]).map(Number);
  const strides = Array.isArray(a.strides) ? a.strides.map(Number) : K.map(() => 1);
  const dilations = Array.isArray(a.dilations) ? a.dilations.map(Number) : K.map(() => 1);
  let pads = Array.isArray(a.pads) ? a.pads.map(Number) : new Array(2 * n).fill(0);
  const auto = String(a.auto_pad ?? 'NOTSET');
  const OS = c.emit.shape(c.node.outputs[0]!).slice(2);
  if (auto === 'VALID') pads = new Array(2 * n).fill(0);
  else if (auto.startsWith('SAME')) {
    for (let i = 0; i < n; i++) {
      const total = Math.max(0, (OS[i]! - 1) * strides[i]! + (K[i]! - 1) * dilations[i]! + 1 - S[i]!);
      const small = Math.floor(total / 2);
      pads[i] = auto === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
    }
  }
  return { S, OS, K, strides, dilations, pads, n };
}

function averagePoolGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const { S, OS, K, strides, dilations, pads, n } = poolGeometry(c);
  const includePad = Number(c.node.attrs.count_include_pad ?? 0) === 1;
  const [N, C] = e.shape(c.node.inputs[0]!);
  // how many cells each window averages, per axis (the product is separable)
  const perAxis = OS.map((o, i) => {
    const lo = includePad ? -pads[i]! : 0;
    const hi = includePad ? S[i]! + pads[i + n]! : S[i]!;
    return Array.from({ length: o }, (_, j) => {
      let cnt = 0;
      for (let k = 0; k < K[i]!; k++) {
        const p = j * strides[i]! - pads[i]! + k * dilations[i]!;
        if (p >= lo && p < hi) cnt++;
      }
      return cnt;
    });
  });
  const counts = makeTensor('float32', OS);
  const cd = counts.data as Float32Array;
  for (let idx = 0; idx < cd.length; idx++) {
    let rest = idx;
    let v = 1;
    for (let i = n - 1; i >= 0; i--) {
      v *= perAxis[i]![rest % OS[i]!]!;
      rest = Math.floor(rest / OS[i]!);
    }
    cd[idx] = 1 / v;
  }
  const scaled = e.mul(c.grads[0]!, e.constant(counts, 'pool_counts'));
  const ones = makeTensor('float32', [C!, 1, ...K]);
  (ones.data as Float32Array).fill(1);
  // ConvTranspose output = s·(OS−1) + (K−1)·d + 1 − pb − pe + op: choose pe/op to land on S
  const end: number[] = [];
  const outPad: number[] = [];
  for (let i = 0; i < n; i++) {
    const reach = strides[i]! * (OS[i]! - 1) + (K[i]! - 1) * dilations[i]! + 1 - pads[i]!;
    end.push(Math.max(0, reach - S[i]!));
    outPad.push(Math.max(0, S[i]! - reach));
  }
  const dX = e.op('ConvTranspose', [scaled, e.constant(ones, 'pool_ones')], [N!, C!, ...S], {
    group: C!,
    strides,
    dilations,
    pads: [...pads.slice(0, n), ...end],
    output_padding: outPad.some((p) => p > 0) ? outPad : undefined,
  });
  return [dX];
}

function maxPoolGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const node = c.node;
  const x = node.inputs[0]!;
  if (Number(node.attrs.storage_order ?? 0) !== 0)
    throw new UserError(
      `MaxPool '${node.label}': storage_order 1 (column-major indices) has no gradient rule`,
    );
  if (!node.outputs[1]) {
    // ask the forward MaxPool for its argmax (flat indices into X)
    const name = e.fresh('maxpool_indices');
    node.outputs[1] = name;
    node.graph?.touch();
    e.declare(name, e.shape(node.outputs[0]!), 'int64');
  }
  return [scatterFlat(e, c.grads[0]!, node.outputs[1]!, e.shape(x), true)];
}

export const POOL_GRADS = defineGradRules('pool', [
  {
    op: 'AveragePool',
    summary: 'dX = ConvTranspose(dY/count, ones) per channel',
    inputs: [0],
    backward: averagePoolGrad,
  },
  {
    op: 'MaxPool',
    summary: 'dX = dY scattered (added) to the argmax of each window',
    inputs: [0],
    backward: maxPoolGrad,
  },
]);
