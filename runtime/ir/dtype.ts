// ONNX element types: numbers as in onnx.proto, names as squish writes them.

export const DTYPE_CODES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  complex64: 14,
  complex128: 15,
  bfloat16: 16,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
  uint4: 21,
  int4: 22,
  float4e2m1: 23,
  float8e8m0: 24,
  uint2: 25,
  int2: 26,
} as const;

export type DType = keyof typeof DTYPE_CODES;

const BY_CODE = new Map<number, DType>(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k as DType]));

/** The dtype for an ONNX DataType number, or undefined when the number is unknown. */
export function dtypeFromCode(code: number): DType | undefined {
  return BY_CODE.get(code);
}

export function dtypeCode(dtype: DType): number {
  return DTYPE_CODES[dtype];
}

/** Bits one element takes in raw_data (packed types take 4 or 2; string has no fixed size: 0). */
export function dtypeBits(dtype: DType): number {
  switch (dtype) {
    case 'bool':
    case 'uint8':
    case 'int8':
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
    case 'float8e8m0':
      return 8;
    case 'uint16':
    case 'int16':
    case 'float16':
    case 'bfloat16':
      return 16;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 32;
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'complex64':
      return 64;
    case 'complex128':
      return 128;
    case 'uint4':
    case 'int4':
    case 'float4e2m1':
      return 4;
    case 'uint2':
    case 'int2':
      return 2;
    case 'string':
      return 0;
  }
}

/** Bytes that `count` elements take in raw_data, packed types rounded up to whole bytes. */
export function dtypeByteLength(dtype: DType, count: number): number {
  return Math.ceil((dtypeBits(dtype) * count) / 8);
}

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16' || d.startsWith('float');
}
