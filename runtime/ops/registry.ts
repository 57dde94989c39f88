// The op registry: per op type a shape function and kernels per backend.
// An op with no kernel fails before anything runs, naming the op and listing what is registered.

import type { Tensor } from '../ir/tensor.ts';
import type { Attrs, ValueType } from '../ir/types.ts';

export interface KernelContext {
  opset: number; // default-domain opset of the model
  /** How many outputs the node declares (Split without sizes divides evenly among them). */
  nOutputs?: number;
  /** Bytes a node's outputs may take (the executor's budget, runtime/exec/budget.ts). */
  maxMemory?: number;
}

export interface OpDef {
  type: string;
  domain?: string; // '' = ai.onnx
  /** Output types from input types (and constant inputs, when known). */
  shape?: (
    inputs: (ValueType | undefined)[],
    attrs: Attrs,
    ctx: KernelContext,
    consts: (Tensor | undefined)[],
  ) => ValueType[];
  /** Plain-TypeScript reference kernel: the oracle and the fallback. Missing optional inputs are undefined. */
  reference: (
    inputs: (Tensor | undefined)[],
    attrs: Attrs,
    ctx: KernelContext,
  ) => Tensor[] | Promise<Tensor[]>;
}

const REGISTRY = new Map<string, OpDef>();

function key(type: string, domain = ''): string {
  return domain === '' || domain === 'ai.onnx' ? type : `${domain}::${type}`;
}

export function registerOp(def: OpDef): void {
  const k = key(def.type, def.domain);
  if (REGISTRY.has(k)) throw new Error(`op ${k} registered twice`);
  REGISTRY.set(k, def);
}

export function getOp(type: string, domain = ''): OpDef | undefined {
  return REGISTRY.get(key(type, domain));
}

export function registeredOps(): string[] {
  return [...REGISTRY.keys()].sort();
}
