// What reading a .sqz container tells about where its bytes went: the structure (the ONNX graph
// without the coded tensors, plus the record table in version 2) and each coded tensor's share of
// the value data, for `squish inspect` and the compile report's pack section.

import type { DType } from '../ir/dtype.ts';

export interface SqzRecordInfo {
  /** Initializer name, or `Constant node 'name'`. */
  label: string;
  dtype: DType;
  numel: number;
  /** How elements became symbols: uint, zigzag, codebook, float (v2), raw32/split32 (v1). */
  values: string;
  /** How the symbols were coded: raw, static, adaptive (v2; codebooks: entries + indices), huffman (v1). */
  coding: string;
  /** Bits of the value data this tensor took (v2: information content at the range coder). */
  bits: number;
  /** float (v2): mantissa bits kept (23 = exact). */
  mantissa?: number;
}

export interface SqzInfo {
  version: number;
  fileBytes: number;
  /** The coded structure: the ONNX graph without the coded tensors (+ the record table in v2). */
  structureBytes: number;
  structureMethod: 'stored' | 'deflate' | 'mixing';
  /** The ONNX graph's own size, before coding. */
  graphBytes: number;
  records: SqzRecordInfo[];
}
