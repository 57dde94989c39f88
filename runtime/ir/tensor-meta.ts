// How a tensor is stored in its ONNX file (raw_data, typed fields, external file, sparse COO),
// remembered per tensor object so export writes it back alike. Passes may set it, e.g. markSparse.

import type { Tensor } from './tensor.ts';

export interface TensorMeta {
  storage: 'raw' | 'typed' | 'external' | 'sparse';
  /** The name it was stored with (attribute tensors keep it; initializers take their map key). */
  name?: string;
  docString?: string;
  /** external_data entries as read (location, offset, length, checksum …). */
  external?: { key: string; value: string }[];
  /** Other TensorProto fields (segment, metadata_props, unknown fields). */
  extra?: Record<string, unknown>;
  /** For sparse initializers: the SparseTensorProto as read (re-emitted while the data is unchanged). */
  sparseRaw?: Record<string, unknown>;
}

/** Storage hints by tensor object: set on import, read on export. */
export const TENSOR_META = new WeakMap<Tensor, TensorMeta>();

/** Store this initializer as a sparse_initializer (COO: its nonzero values and their indices). */
export function markSparse(t: Tensor): void {
  const m = TENSOR_META.get(t);
  TENSOR_META.set(t, { ...(m ?? {}), storage: 'sparse', sparseRaw: undefined });
}

/** Whether export writes `t` as a sparse initializer. */
export function isSparse(t: Tensor): boolean {
  return TENSOR_META.get(t)?.storage === 'sparse';
}
