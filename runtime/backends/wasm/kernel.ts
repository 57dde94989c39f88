// What a wasm kernel file provides: given a node and the concrete shapes of its values, the steps
// (library kernel + argument words) that compute it, or undefined to leave the node to the
// reference kernel. Arguments name values and constants; the program resolves them to addresses.

import type { DType } from '../../ir/dtype.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { getKernel, registerKernel } from '../../ops/kernels.ts';
import type { GraphNode } from '../backend.ts';

export interface ValueShape {
  dtype: DType;
  dims: number[];
}

/** A constant the program copies into memory once; an argument refers to its address. */
export type ConstData = Float32Array | Int32Array | Uint8Array | Int8Array;

export type Arg =
  /** An i32 word. */
  | number
  /** A float32 word. */
  | { f32: number }
  /** The byte address of a value's buffer (plus `offset` bytes). */
  | { value: string; offset?: number }
  /** The byte address of a constant array. */
  | { data: ConstData }
  /** The byte address of the calling thread's scratch area is base + tid × stride: these give both. */
  | { scratch: 'base' | 'stride' };

export interface Step {
  /** Library kernel (defineKernel name). */
  kernel: string;
  args: Arg[];
  /** Scratch bytes each thread needs (0 when none). */
  scratch?: number;
  /** Arithmetic it does (FLOPs, about): whether a graph is worth several threads. */
  work?: number;
}

/** What a kernel may ask about the node's surroundings while planning. */
export interface PlanIO {
  shape(value: string): ValueShape;
  /** A constant input (weights), or undefined for a computed value. */
  constant(value: string): Tensor | undefined;
  /** A scratch buffer of `floats` float32 values living only while this node runs: its name. */
  temp(floats: number): string;
  /** The model's default-domain opset. */
  opset: number;
}

export interface WasmKernel {
  /** The steps computing the node, or undefined to leave it to the reference kernel. */
  plan(node: GraphNode, io: PlanIO): Step[] | undefined;
  /**
   * For a node that only reinterprets its input (Reshape, Flatten, Squeeze…): the index of the
   * input whose bytes the output shares, or undefined to run it as a copy.
   */
  alias?(node: GraphNode, io: PlanIO): number | undefined;
  /** For a fused producer (FusedConv…): whether it takes this unfused node with an epilogue. */
  takes?(node: GraphNode): boolean;
}

export function registerWasmKernel(op: string, kernel: WasmKernel, domain = ''): void {
  registerKernel('webasm', op, kernel, domain);
}

export function wasmKernel(op: string, domain = ''): WasmKernel | undefined {
  return getKernel<WasmKernel>('webasm', op, domain);
}

/** The float32 data of a constant input, or undefined. */
export function floatConst(io: PlanIO, name: string | undefined): Float32Array | undefined {
  if (!name) return undefined;
  const t = io.constant(name);
  return t?.dtype === 'float32' ? (t.data as Float32Array) : undefined;
}

export const sizeOfDims = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
