// The .sqz container layout (docs/sqz.md, versions 1 and 2): header fields, record codes, and how a
// tensor's elements map to the coded symbols (symbol 0 is always the element whose bits are all 0).

import type { DType } from '../ir/dtype.ts';

/** 0x89 'S' 'Q' 'Z': the high first byte keeps text tools from mistaking it for text. */
export const SQZ_MAGIC = Uint8Array.of(0x89, 0x53, 0x51, 0x5a);
/** The version squish writes; it reads this one and every earlier one. */
export const SQZ_VERSION = 2;
/** magic (4) + version (2) + flags (2) + payload length (4). */
export const SQZ_HEADER = 12;
/** Largest tensor (elements) a record may declare. */
export const SQZ_MAX_ELEMENTS = 2 ** 31 - 1;

/** How the element values become symbols. */
export const VALUES = {
  /** unsigned integers: the symbol is the value */
  uint: 0,
  /** signed integers: zigzag (0, −1, 1, −2 … → 0, 1, 2, 3 …) */
  zigzag: 1,
  /** float32: symbol 0 = +0.0, symbol k = codebook[k − 1] (exact bit patterns) */
  codebook: 2,
  /** float32: the 32 bits of each stored element, raw (little-endian), not Huffman-coded */
  raw32: 3,
  /** float32: the high byte (sign + 7 exponent bits) Huffman-coded, then the low 24 bits raw */
  split32: 4,
  /** float32 (version 2): the bit pattern with m mantissa bits kept, the lower 23 − m zero */
  float: 5,
} as const;

/** How a version 2 part (a tensor's symbols or floats) is coded in the value stream. */
export const CODING = {
  /** fixed width: the symbol's bits, or a float's 9 + m bits, as they are */
  raw: 0,
  /** a static prefix code (canonical Huffman) whose code-length table precedes the codes */
  static: 1,
  /** an adaptive model of the model table, shared by every part that names it */
  adaptive: 2,
} as const;

/** Kinds of the version 2 model table. */
export const MODEL = { int: 0, float: 1 } as const;

/** How the version 2 structure (ONNX graph + record table) is stored. */
export const STRUCTURE = { stored: 0, deflate: 1, mixing: 2 } as const;

/** Which elements are stored. */
export const LAYOUT = { dense: 0, sparse: 1 } as const;

/** How export writes the restored initializer (its TensorProto storage). */
export const STORAGE = { raw: 0, typed: 1 } as const;

/** The version 1 value mappings a dtype can use (none: never coded, stays in the graph). */
export function valueKinds(dtype: DType): number[] {
  switch (dtype) {
    case 'uint8':
    case 'uint4':
    case 'uint2':
    case 'uint16':
      return [VALUES.uint];
    case 'int8':
    case 'int4':
    case 'int2':
    case 'int16':
      return [VALUES.zigzag];
    case 'float32':
      return [VALUES.codebook, VALUES.raw32, VALUES.split32];
    default:
      return [];
  }
}

/** Symbols a dtype's integers can take (the alphabet of its value stream). */
export function intAlphabet(dtype: DType): number {
  switch (dtype) {
    case 'uint2':
    case 'int2':
      return 4;
    case 'uint4':
    case 'int4':
      return 16;
    case 'uint8':
    case 'int8':
      return 256;
    default:
      return 65536;
  }
}

export function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

export function unzigzag(s: number): number {
  return s & 1 ? -(s + 1) / 2 : s / 2;
}

/** The version 2 value mappings a dtype can use (none: never coded, stays in the graph). */
export function valueKindsV2(dtype: DType): number[] {
  const v1 = valueKinds(dtype);
  return dtype === 'float32' ? [VALUES.codebook, VALUES.float] : v1;
}

/** Bits of a symbol of an alphabet this large (at least 1). */
export function symbolBits(alphabet: number): number {
  return Math.max(1, 32 - Math.clz32(alphabet - 1));
}
