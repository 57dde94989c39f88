// Conformance case types and builders. scripts/gen-conformance.ts runs the cases through onnxruntime-node and
// writes specs/ops/<Op>.json (expected outputs are never written by hand).

import type { DType } from '../../../runtime/ir/dtype.ts';

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

export const f = (...dims: number[]): InputDef => ({ dtype: 'float32', dims });
export const fp = (...dims: number[]): InputDef => ({ dtype: 'float32', dims, positive: true });
export const i64 = (data: number[], dims = [data.length]): InputDef => ({ dtype: 'int64', dims, data });
export const i32 = (data: number[], dims = [data.length]): InputDef => ({ dtype: 'int32', dims, data });
export const fv = (data: number[], dims = [data.length]): InputDef => ({ dtype: 'float32', dims, data });
export const q = (dtype: DType, dims: number[], range: [number, number], init = false): InputDef => ({
  dtype,
  dims,
  range,
  init,
});
