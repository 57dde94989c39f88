// Sub-byte packing for int4/uint4/float4e2m1 (two per byte) and int2/uint2 (four per byte):
// the first element in the lowest bits, as the ONNX spec says; odd tails padded with zero bits.

import type { DType } from './dtype.ts';

/** Bits per element for the packed dtypes, 0 for the others. */
export function packedBits(dtype: DType): 0 | 2 | 4 {
  if (dtype === 'int4' || dtype === 'uint4' || dtype === 'float4e2m1') return 4;
  if (dtype === 'int2' || dtype === 'uint2') return 2;
  return 0;
}

function isSigned(dtype: DType): boolean {
  return dtype === 'int4' || dtype === 'int2';
}

/** Pack one-value-per-slot codes into ceil(n·bits/8) bytes, low bits first. */
export function packSubByte(dtype: DType, values: Int8Array | Uint8Array): Uint8Array {
  const bits = packedBits(dtype);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(Math.ceil(values.length / per));
  for (let i = 0; i < values.length; i++) {
    out[(i / per) | 0]! |= (values[i]! & mask) << ((i % per) * bits);
  }
  return out;
}

/** Unpack `count` values from packed bytes (sign-extended for int4/int2). */
export function unpackSubByte(dtype: DType, bytes: Uint8Array, count: number): Int8Array | Uint8Array {
  const bits = packedBits(dtype);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const signed = isSigned(dtype);
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  const sign = 1 << (bits - 1);
  for (let i = 0; i < count; i++) {
    let v = (bytes[(i / per) | 0]! >> ((i % per) * bits)) & mask;
    if (signed && v & sign) v -= 1 << bits;
    out[i] = v;
  }
  return out;
}

/** Value range of an integer packed dtype. */
export function subByteRange(dtype: DType): [number, number] {
  const bits = packedBits(dtype);
  return isSigned(dtype) ? [-(1 << (bits - 1)), (1 << (bits - 1)) - 1] : [0, (1 << bits) - 1];
}
