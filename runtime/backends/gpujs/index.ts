// The gpu.js backend (webgpu, headlessgl; its webasm mode stands in for them in tests): each node runs
// on the gpu.js kernel registered for its op (runtime/backends/gpujs/kernels, one file a kernel) —
// Conv / ConvTranspose / MatMul / Gemm / binary elementwise with fused epilogues, nearest Resize,
// GlobalAveragePool, Concat — and every other node on its reference kernel.
import type { KernelContext } from '../../ops/registry.ts';
import type { Backend, GraphNode, NodeSpec, PreparedKernel } from '../backend.ts';
import { nodeEpilogue } from '../fusion/epilogue.ts';
import { FUSED_DOMAIN, fuseEpilogues } from '../fusion/fusion.ts';
import { upsampleGeometry } from './conv-transpose.ts';
import { type GpujsMode, KernelHost, pickGpujsMode } from './gpu.ts';
import { gpujsKernel } from './kernel.ts';
import './kernels/index.ts';

export { gpujsPatched, pickGpujsMode, usableGpujsModes } from './gpu.ts';

export class GpujsBackend implements Backend {
  readonly name: GpujsMode;
  private readonly host: KernelHost;
  /** Nodes whose kernel could not be built for the shapes they met (they ran on reference kernels). */
  readonly declined: string[] = [];

  constructor(mode: GpujsMode | 'auto' = 'auto', options: { threads?: number } = {}) {
    const m = mode === 'auto' ? pickGpujsMode() : mode;
    if (!m) throw new Error('no gpu.js backend is available here (webgpu, headlessgl, webasm)');
    this.name = m;
    this.host = new KernelHost(m, options.threads);
  }

  fuseGraph(nodes: readonly GraphNode[], keep: ReadonlySet<string>): GraphNode[] {
    return fuseEpilogues(nodes, keep, takesProducer);
  }

  prepareNode(node: NodeSpec, ctx: KernelContext): PreparedKernel | undefined {
    const fused = node.domain === FUSED_DOMAIN;
    if (!fused && node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
    if (node.inputTypes[0] && node.inputTypes[0].dtype !== 'float32') return undefined;
    const ep = fused ? nodeEpilogue(node.attrs) : { steps: [], channels: [] };
    return gpujsKernel(node.op, node.domain)?.prepare(node, {
      host: this.host,
      ctx,
      ep,
      declined: this.declined,
    });
  }

  dispose(): void {
    this.host.dispose();
  }
}

/** gpu.js fuses epilogues into every Conv and into the ConvTransposes it runs as upsampling. */
export function takesProducer(n: GraphNode): boolean {
  const w = n.constInputs[1];
  return (
    n.op === 'Conv' ||
    (w !== undefined && upsampleGeometry([1, w.dims[0] ?? 0, 1, 1], w.dims, n.attrs) !== undefined)
  );
}
