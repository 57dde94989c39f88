// Tensor: a dtype, dims and the elements, decoded one element per array slot.
//
// In-memory layout (the contract every kernel and pass relies on):
//   float32 → Float32Array   float64 → Float64Array
//   int8/int4/int2 → Int8Array (int4/int2 unpacked, one value per slot)
//   uint8/uint4/uint2/bool/float8*/float4e2m1 → Uint8Array (unpacked raw codes)
//   int16 → Int16Array   uint16 → Uint16Array   float16/bfloat16 → Uint16Array (raw bits)
//   int32 → Int32Array   uint32 → Uint32Array   int64 → BigInt64Array   uint64 → BigUint64Array
//   complex64 → Float32Array (re, im pairs)   complex128 → Float64Array (pairs)
//   string → Uint8Array[] (bytes, kept exactly)

import type { DType } from './dtype.ts';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array[];

export type Dims = readonly number[];

export interface Tensor {
  readonly dtype: DType;
  readonly dims: Dims;
  readonly data: TensorData;
}

export function sizeOf(dims: Dims): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Allocate the typed array that holds `count` elements of `dtype` (see the layout above). */
export function allocData(dtype: DType, count: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(count);
    case 'float64':
      return new Float64Array(count);
    case 'int8':
    case 'int4':
    case 'int2':
      return new Int8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'uint16':
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'uint32':
      return new Uint32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'uint64':
      return new BigUint64Array(count);
    case 'complex64':
      return new Float32Array(count * 2);
    case 'complex128':
      return new Float64Array(count * 2);
    case 'string':
      return Array.from({ length: count }, () => new Uint8Array(0));
    default:
      return new Uint8Array(count);
  }
}

export function makeTensor(dtype: DType, dims: Dims, data?: TensorData): Tensor {
  const d = data ?? allocData(dtype, sizeOf(dims));
  return { dtype, dims: [...dims], data: d };
}

export function float32(dims: Dims, values?: ArrayLike<number>): Tensor {
  const data = new Float32Array(sizeOf(dims));
  if (values) data.set(values);
  return { dtype: 'float32', dims: [...dims], data };
}
