// The shape-function contract: output types from input types, attributes, constant inputs and
// known small integer values (shape tensors), with symbolic dims.

import type { Tensor } from '../tensor.ts';
import type { Attrs, Dim, ValueType } from '../types.ts';

export interface ShapeCtx {
  opset: number;
  /** Constant inputs (weights, Constant outputs), undefined for computed ones. */
  consts: (Tensor | undefined)[];
  /** Known elementwise values of small integer inputs (e.g. a Shape output), possibly symbolic. */
  values: (Dim[] | undefined)[];
  /** How many outputs the node has (Split without sizes divides evenly among them). */
  nOutputs?: number;
}

/** Returns one type per output (undefined where it cannot tell). */
export type ShapeFn = (
  inputs: (ValueType | undefined)[],
  attrs: Attrs,
  ctx: ShapeCtx,
) => (ValueType | undefined)[];

/** Computes the output's elementwise value from known input values (shape arithmetic). */
export type ValueFn = (
  values: (Dim[] | undefined)[],
  attrs: Attrs,
  inputs: (ValueType | undefined)[],
) => Dim[] | undefined;

export interface OpShape {
  shape: ShapeFn;
  value?: ValueFn;
}
