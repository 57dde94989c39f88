// Spec helpers: JSON ↔ Tensor for conformance data, and a tolerance check that reports where outputs differ.

import type { DType } from '../../runtime/ir/dtype.ts';
import { allocData, type Tensor } from '../../runtime/ir/tensor.ts';
import type { AttrValue } from '../../runtime/ir/types.ts';

export interface JsonTensor {
  dtype: DType;
  dims: number[];
  data: (number | string)[];
}

export interface ConformanceCase {
  name: string;
  opset: number;
  attrs: Record<string, unknown>;
  inputs: (JsonTensor | null)[];
  outputs: JsonTensor[];
  tol?: { rtol?: number; atol?: number; int?: number };
}

export interface ConformanceFile {
  op: string;
  oracle: string;
  cases: ConformanceCase[];
}

export function fromJson(j: JsonTensor): Tensor {
  const data = allocData(j.dtype, j.data.length);
  const d = data as unknown as { [i: number]: number | bigint };
  const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
  j.data.forEach((v, i) => {
    d[i] = big ? BigInt(v) : Number(v);
  });
  return { dtype: j.dtype, dims: [...j.dims], data };
}

export function attrsFromJson(a: Record<string, unknown>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(a))
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? fromJson(v as JsonTensor) : (v as AttrValue);
  return out;
}

/** Why `got` is not `want` within tolerance (first few differences), or undefined when it is. */
export function mismatch(
  got: Tensor,
  want: Tensor,
  tol: { rtol?: number; atol?: number; int?: number } = {},
): string | undefined {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, expected ${want.dtype}`;
  if (got.dims.length !== want.dims.length || got.dims.some((d, i) => d !== want.dims[i]))
    return `shape [${got.dims}], expected [${want.dims}]`;
  const rtol = tol.rtol ?? 1e-4;
  const atol = tol.atol ?? 1e-5;
  const isF = want.dtype === 'float32' || want.dtype === 'float64';
  const g = got.data as ArrayLike<number | bigint>;
  const w = want.data as ArrayLike<number | bigint>;
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Number(g[i]);
    const b = Number(w[i]);
    let ok: boolean;
    if (isF) {
      if (Number.isNaN(b)) ok = Number.isNaN(a);
      else if (!Number.isFinite(b)) ok = a === b;
      else ok = Math.abs(a - b) <= atol + rtol * Math.abs(b);
    } else ok = Math.abs(a - b) <= (tol.int ?? 0);
    if (!ok) {
      count++;
      if (bad.length < 5) bad.push(`[${i}] got ${a}, expected ${b}`);
    }
  }
  return count ? `${count}/${w.length} elements differ: ${bad.join('; ')}` : undefined;
}
