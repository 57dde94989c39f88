// The IR's value and attribute types: what a value's static type is (dtype + possibly symbolic
// shape) and what an attribute holds once decoded. The op registry and the kernels use them too.

import type { DType } from './dtype.ts';
import type { Graph } from './graph.ts';
import type { Tensor } from './tensor.ts';

/** Attribute values as kernels see them (ONNX AttributeProto decoded). */
export type AttrValue =
  | number
  | bigint
  | string
  | number[]
  | string[]
  | Tensor
  | Tensor[]
  | Graph // GRAPH attribute (If branches, Loop/Scan bodies)
  | Graph[]
  | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A dim is a number, or a symbolic name for a dynamic dim ("batch", "unk_0"). */
export type Dim = number | string;
export interface ValueType {
  dtype: DType;
  shape: Dim[] | undefined; // undefined: rank unknown
}
