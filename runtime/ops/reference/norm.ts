// Normalizations: BatchNormalization (inference), Softmax and LogSoftmax (both opset semantics), LayerNorm, InstanceNorm.

import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs, ValueType } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import type { FArr } from './gemm.ts';
import { attrFloat, attrInt, normAxis, requireInput, tensor } from './util.ts';

function batchNorm(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'BatchNormalization', 'X');
  const [s, b, m, v] = [1, 2, 3, 4].map(
    (i) => requireInput(inp[i], 'BatchNormalization', `input ${i}`).data as FArr,
  );
  const eps = attrFloat(attrs, 'epsilon', 1e-5);
  const N = X.dims[0]!;
  const C = X.dims[1] ?? 1;
  const P = sizeOf(X.dims.slice(2));
  const out = tensor(X.dtype, X.dims);
  const x = X.data as FArr;
  const o = out.data as FArr;
  for (let c = 0; c < C; c++) {
    const k = Math.fround(s![c]! / Math.sqrt(v![c]! + eps));
    const a = Math.fround(b![c]! - m![c]! * k);
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * P;
      for (let i = 0; i < P; i++) o[base + i] = x[base + i]! * k + a;
    }
  }
  return [out];
}

/** Softmax over `inner` contiguous elements, for `outer` rows separated by `inner`·`tail`. */
function softmaxRows(x: FArr, o: FArr, outer: number, len: number, tail: number): void {
  for (let a = 0; a < outer; a++)
    for (let t = 0; t < tail; t++) {
      const base = a * len * tail + t;
      let mx = -Infinity;
      for (let i = 0; i < len; i++) mx = Math.max(mx, x[base + i * tail]!);
      let sum = 0;
      for (let i = 0; i < len; i++) {
        const e = Math.exp(x[base + i * tail]! - mx);
        o[base + i * tail] = e;
        sum += e;
      }
      for (let i = 0; i < len; i++) o[base + i * tail] /= sum;
    }
}

function softmax(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'Softmax', 'input');
  const r = X.dims.length;
  const out = tensor(X.dtype, X.dims);
  if (opset < 13) {
    const axis = normAxis(attrInt(attrs, 'axis', 1), Math.max(r, 1), 'Softmax');
    const outer = sizeOf(X.dims.slice(0, axis));
    softmaxRows(X.data as FArr, out.data as FArr, outer, sizeOf(X.dims.slice(axis)), 1);
  } else {
    const axis = normAxis(attrInt(attrs, 'axis', -1), Math.max(r, 1), 'Softmax');
    softmaxRows(
      X.data as FArr,
      out.data as FArr,
      sizeOf(X.dims.slice(0, axis)),
      X.dims[axis] ?? 1,
      sizeOf(X.dims.slice(axis + 1)),
    );
  }
  return [out];
}

function logSoftmax(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const [out] = softmax(inp, attrs, opset);
  const o = out!.data as FArr;
  const x = inp[0]!.data as FArr;
  // log(softmax) recomputed stably: x − max − log Σ exp(x − max), per row as softmax grouped them
  const r = inp[0]!.dims.length;
  const axis = normAxis(attrInt(attrs, 'axis', opset < 13 ? 1 : -1), Math.max(r, 1), 'LogSoftmax');
  const dims = inp[0]!.dims;
  const len = opset < 13 ? sizeOf(dims.slice(axis)) : (dims[axis] ?? 1);
  const tail = opset < 13 ? 1 : sizeOf(dims.slice(axis + 1));
  const outer = sizeOf(dims.slice(0, axis));
  for (let a = 0; a < outer; a++)
    for (let t = 0; t < tail; t++) {
      const base = a * len * tail + t;
      let mx = -Infinity;
      for (let i = 0; i < len; i++) mx = Math.max(mx, x[base + i * tail]!);
      let sum = 0;
      for (let i = 0; i < len; i++) sum += Math.exp(x[base + i * tail]! - mx);
      const ls = Math.log(sum);
      for (let i = 0; i < len; i++) o[base + i * tail] = x[base + i * tail]! - mx - ls;
    }
  return [out!];
}

/** Normalize over the trailing dims from `axis`: (x − mean)/√(var + ε)·scale + bias; also Mean and InvStdDev. */
function layerNorm(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'LayerNormalization', 'X');
  const S = requireInput(inp[1], 'LayerNormalization', 'Scale').data as FArr;
  const B = inp[2]?.data as FArr | undefined;
  const r = X.dims.length;
  const axis = normAxis(attrInt(attrs, 'axis', -1), r, 'LayerNormalization');
  const eps = attrFloat(attrs, 'epsilon', 1e-5);
  const outer = sizeOf(X.dims.slice(0, axis));
  const len = sizeOf(X.dims.slice(axis));
  const out = tensor(X.dtype, X.dims);
  const statDims = X.dims.map((d, i) => (i < axis ? d : 1));
  const mean = tensor('float32', statDims);
  const inv = tensor('float32', statDims);
  const x = X.data as FArr;
  const o = out.data as FArr;
  for (let a = 0; a < outer; a++) {
    const base = a * len;
    let m = 0;
    for (let i = 0; i < len; i++) m += x[base + i]!;
    m /= len;
    let v = 0;
    for (let i = 0; i < len; i++) v += (x[base + i]! - m) ** 2;
    const is = 1 / Math.sqrt(v / len + eps);
    (mean.data as FArr)[a] = m;
    (inv.data as FArr)[a] = is;
    for (let i = 0; i < len; i++) {
      const si = S.length === 1 ? 0 : i % S.length;
      o[base + i] = (x[base + i]! - m) * is * S[si]! + (B ? B[B.length === 1 ? 0 : i % B.length]! : 0);
    }
  }
  return [out, mean, inv];
}

function instanceNorm(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'InstanceNormalization', 'input');
  const S = requireInput(inp[1], 'InstanceNormalization', 'scale').data as FArr;
  const B = requireInput(inp[2], 'InstanceNormalization', 'B').data as FArr;
  const eps = attrFloat(attrs, 'epsilon', 1e-5);
  const [N, C] = [X.dims[0]!, X.dims[1]!];
  const P = sizeOf(X.dims.slice(2));
  const out = tensor(X.dtype, X.dims);
  const x = X.data as FArr;
  const o = out.data as FArr;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * P;
      let m = 0;
      for (let i = 0; i < P; i++) m += x[base + i]!;
      m /= P;
      let v = 0;
      for (let i = 0; i < P; i++) v += (x[base + i]! - m) ** 2;
      const k = S[c]! / Math.sqrt(v / P + eps);
      for (let i = 0; i < P; i++) o[base + i] = (x[base + i]! - m) * k + B[c]!;
    }
  return [out];
}

const sameType = (inputs: (ValueType | undefined)[]): ValueType[] => (inputs[0] ? [{ ...inputs[0] }] : []);

export const NORM_OPS: OpDef[] = [
  { type: 'BatchNormalization', shape: sameType, reference: (inp, attrs) => batchNorm(inp, attrs) },
  { type: 'Softmax', shape: sameType, reference: (inp, attrs, ctx) => softmax(inp, attrs, ctx.opset) },
  { type: 'LogSoftmax', shape: sameType, reference: (inp, attrs, ctx) => logSoftmax(inp, attrs, ctx.opset) },
  { type: 'LayerNormalization', reference: (inp, attrs) => layerNorm(inp, attrs) },
  { type: 'InstanceNormalization', shape: sameType, reference: (inp, attrs) => instanceNorm(inp, attrs) },
];
