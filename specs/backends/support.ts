// Spec helpers for the backends' own kernels: one small model, run through the executor on the wasm
// backend (webasm) or on the gpu.js kernels (in gpu.js's webasm mode, standing in for webgpu and
// headlessgl) and in onnxruntime-node (the oracle), compared with rtol 1e-4 / atol 1e-5.

import type { Backend } from '../../runtime/backends/backend.ts';
import { GpujsBackend } from '../../runtime/backends/gpujs/index.ts';
import { createSession } from '../../runtime/exec/index.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, ortRun } from '../compiler/graphs.ts';

export function rand(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

export const t32 = (dims: number[], data: Float32Array): Tensor => ({ dtype: 'float32', dims, data });

export interface Compared {
  /** Largest |ours − ort| − rtol·|ort| over all elements (≤ atol means agreement). */
  excess: number;
  accelerated: number;
  dims: readonly number[];
}

/** The kernel sets the specs run: the wasm backend's and the gpu.js backend's. */
export const KERNEL_SETS: [string, () => 'webasm' | Backend][] = [
  ['wasm kernels', () => 'webasm'],
  ['gpu.js kernels', () => new GpujsBackend('webasm')],
];

/** Run `nodes` on `backend` (via the executor) and in onnxruntime-node; compare output `out`. */
export async function compareWithOrt(
  backend: 'webasm' | Backend,
  inputs: Record<string, Tensor>,
  nodes: NodeInit[],
  initializers: Record<string, Tensor>,
  out = 'y',
  opset = 13,
): Promise<Compared> {
  const model = buildModel({
    inputs: Object.entries(inputs).map(([name, t]) => ({ name, dims: [...t.dims] })),
    outputs: [out],
    nodes,
    initializers,
    opset,
  });
  const expected = (await ortRun(bytesOf(model), inputs))[out] as Float32Array;
  const session = await createSession(model, { backend });
  try {
    const got = (await session.run(inputs))[out] as Tensor;
    const data = got.data as Float32Array;
    let excess = data.length === expected.length ? 0 : Number.POSITIVE_INFINITY;
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i] as number;
      excess = Math.max(excess, Math.abs((data[i] as number) - e) - 1e-4 * Math.abs(e));
    }
    return { excess, accelerated: session.acceleratedNodes, dims: got.dims };
  } finally {
    session.dispose();
  }
}
