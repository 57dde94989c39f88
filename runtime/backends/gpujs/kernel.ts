// What a gpu.js kernel file provides (runtime/backends/gpujs/kernels/<Op>.ts, registered in the op
// kernel registry under 'gpujs'), and the per-shape building every kernel shares.

import type { Tensor } from '../../ir/tensor.ts';
import { getKernel, registerKernel } from '../../ops/kernels.ts';
import { getOp, type KernelContext } from '../../ops/registry.ts';
import type { NodeSpec, PreparedKernel } from '../backend.ts';
import type { Epilogue } from '../fusion/epilogue.ts';
import { FUSED_DOMAIN } from '../fusion/fusion.ts';
import type { KernelHost } from './gpu.ts';

/** What a kernel may use while preparing a node. */
export interface GpujsContext {
  host: KernelHost;
  ctx: KernelContext;
  /** A fused node's epilogue (empty for other nodes). */
  ep: Epilogue;
  /** Names of nodes whose kernel could not be built for the shapes they met. */
  declined: string[];
}

export interface GpujsKernel {
  /** The prepared kernel, or undefined to leave the node to its reference kernel. */
  prepare(node: NodeSpec, k: GpujsContext): PreparedKernel | undefined;
}

export function registerGpujsKernel(op: string, kernel: GpujsKernel, domain = ''): void {
  registerKernel('gpujs', op, kernel, domain);
}

export function gpujsKernel(op: string, domain = ''): GpujsKernel | undefined {
  return getKernel<GpujsKernel>('gpujs', op, domain);
}

/** Builds a kernel for the input's dims (undefined: the shapes are not ones it takes). */
export type Builder = (x: Tensor) => PreparedKernel | undefined;

/** Build per input shape at first call (static shapes: once per session); what fails runs on the reference. */
export function perShape(node: NodeSpec, k: GpujsContext, build: Builder): PreparedKernel {
  const cache = new Map<string, PreparedKernel | null>();
  // fused nodes have no reference kernel: fusion only forms nodes this backend always builds
  const reference = node.domain === FUSED_DOMAIN ? undefined : getOp(node.op, node.domain)?.reference;
  return async (inputs) => {
    const x = inputs[0];
    const key = x?.dtype === 'float32' ? x.dims.join('x') : '';
    let prepared = cache.get(key);
    if (prepared === undefined) {
      prepared = (x?.dtype === 'float32' ? build(x) : undefined) ?? null;
      cache.set(key, prepared);
      if (!prepared) k.declined.push(node.name);
    }
    if (prepared) return prepared(inputs);
    if (reference) return reference(inputs, node.attrs, k.ctx);
    throw new Error(
      `gpu.js backend cannot run ${node.op} ${node.name} on input [${x?.dims ?? ''}] ${x?.dtype ?? ''}`,
    );
  };
}

/** Run `kernel` on float32 inputs of rank `rank` (at least `rank` when `exact` is false); others on the reference. */
export function floatOrReference(
  node: NodeSpec,
  ctx: KernelContext,
  kernel: PreparedKernel,
  rank: number,
  exact: boolean,
): PreparedKernel {
  return async (inputs) => {
    const x = inputs[0];
    if (x && x.dtype === 'float32' && (exact ? x.dims.length === rank : x.dims.length >= rank))
      return kernel(inputs);
    const ref = getOp(node.op, node.domain)?.reference;
    if (!ref) throw new Error(`${node.op} ${node.name}: no reference kernel registered`);
    return ref(inputs, node.attrs, ctx);
  };
}
