// The gpu.js backend: Conv / ConvTranspose / MatMul / Gemm / binary elementwise (with fused
// epilogues), nearest Resize and GlobalAveragePool as gpu.js kernels with resident weights, Concat
// as block copies; every other node falls back to the reference kernel.
import type { Tensor } from '../../ir/tensor.ts';
import { getOp, type KernelContext } from '../../ops/registry.ts';
import type { Backend, GraphNode, NodeSpec, PreparedKernel } from '../backend.ts';
import { decodeSteps, type Epilogue } from '../fusion/epilogue.ts';
import { FUSED_DOMAIN, fuseEpilogues } from '../fusion/fusion.ts';
import { convGeometry, nearestUpscale } from '../geometry.ts';
import { prepareConcat } from './concat.ts';
import { prepareConv } from './conv.ts';
import { prepareUpsample, upsampleGeometry } from './conv-transpose.ts';
import { ELTWISE_OPS, prepareEltwise } from './eltwise.ts';
import { type GpujsMode, KernelHost, pickGpujsMode } from './gpu.ts';
import { prepareMatMul } from './matmul.ts';
import { prepareGlobalAveragePool, prepareResize } from './resample.ts';

export { gpujsPatched, pickGpujsMode, usableGpujsModes } from './gpu.ts';

type Builder = (x: Tensor) => PreparedKernel | undefined;

export class GpujsBackend implements Backend {
  readonly name: GpujsMode;
  private readonly host: KernelHost;
  /** Nodes whose kernel could not be built for the shapes they met: run by `fallback`. */
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
    const op = fused ? node.op.replace(/^Fused/, '') : node.op;
    const ep: Epilogue = fused
      ? { steps: decodeSteps(node.attrs.epilogue), channels: chanArrays(node.attrs.channels) }
      : { steps: [], channels: [] };
    const t0 = node.inputTypes[0];
    if (t0 && t0.dtype !== 'float32') return undefined;
    const w = node.constInputs[1];
    const bias = node.constInputs[2];
    const rank = t0?.shape?.length;
    let build: Builder | undefined;
    if (op === 'Conv' || op === 'ConvTranspose') {
      if (w?.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return undefined;
      const names = (node as Partial<GraphNode>).inputs;
      const biasGiven = names ? names[2] !== undefined && names[2] !== '' : node.inputTypes[2] !== undefined;
      if (biasGiven && !bias) return undefined;
      if (node.inputTypes.length > 3) return undefined;
      if (rank !== undefined && rank !== 4) return undefined;
      if (op === 'ConvTranspose' && !upsampleGeometry([1, w.dims[0] ?? 0, 1, 1], w.dims, node.attrs))
        return undefined;
      build =
        op === 'Conv'
          ? (x) => {
              const g = convGeometry(x.dims, w.dims, node.attrs);
              return g ? prepareConv(this.host, g, w, bias, ep) : undefined;
            }
          : (x) => {
              const g = upsampleGeometry(x.dims, w.dims, node.attrs);
              return g ? prepareUpsample(this.host, g, w, bias, ep) : undefined;
            };
    } else if (fused && ELTWISE_OPS[op] !== undefined) {
      return prepareEltwise(this.host, node, ctx, ep);
    } else if (!fused && ELTWISE_OPS[op] !== undefined) {
      const known = node.inputTypes.every((t) => t === undefined || t.dtype === 'float32');
      return known && node.inputTypes.length === 2 ? prepareEltwise(this.host, node, ctx) : undefined;
    } else if (!fused && op === 'Resize') {
      const f = nearestUpscale(node);
      if (!f || (rank !== undefined && rank !== 4)) return undefined;
      return floatOrReference(node, ctx, prepareResize(this.host, f), 4);
    } else if (!fused && op === 'Concat') {
      return node.inputTypes.every((t) => t === undefined || t.dtype === 'float32')
        ? prepareConcat(node, ctx)
        : undefined;
    } else if (!fused && op === 'GlobalAveragePool') {
      return floatOrReference(node, ctx, prepareGlobalAveragePool(this.host), 3);
    } else if (op === 'MatMul' || op === 'Gemm') {
      if (fused) return undefined;
      build = prepareMatMul(this.host, node);
    }
    if (!build) return undefined;
    return this.lazy(node, ctx, build);
  }

  /** Build per input shape at first call (static shapes: once per session). */
  private lazy(node: NodeSpec, ctx: KernelContext, build: Builder): PreparedKernel {
    const cache = new Map<string, PreparedKernel | null>();
    // what this backend cannot build for the shapes it meets runs on the reference kernel
    // (fused nodes have none: fusion only forms nodes this backend always builds)
    const reference = node.domain === FUSED_DOMAIN ? undefined : getOp(node.op, node.domain)?.reference;
    return async (inputs) => {
      const x = inputs[0];
      const key = x?.dtype === 'float32' ? x.dims.join('x') : '';
      let k = cache.get(key);
      if (k === undefined) {
        k = (x?.dtype === 'float32' ? build(x) : undefined) ?? null;
        cache.set(key, k);
        if (!k) this.declined.push(node.name);
      }
      if (k) return k(inputs);
      if (reference) return reference(inputs, node.attrs, ctx);
      throw new Error(
        `gpu.js backend cannot run ${node.op} ${node.name} on input [${x?.dims ?? ''}] ${x?.dtype ?? ''}`,
      );
    };
  }

  dispose(): void {
    this.host.dispose();
  }
}

/** Run `k` on float32 inputs of at least `minRank`; anything else goes to the op's reference kernel. */
function floatOrReference(
  node: NodeSpec,
  ctx: KernelContext,
  k: PreparedKernel,
  minRank: number,
): PreparedKernel {
  return async (inputs) => {
    const x = inputs[0];
    if (x && x.dtype === 'float32' && x.dims.length >= minRank && (minRank !== 4 || x.dims.length === 4)) {
      return k(inputs);
    }
    const ref = getOp(node.op, node.domain)?.reference;
    if (!ref) throw new Error(`${node.op} ${node.name}: no reference kernel registered`);
    return ref(inputs, node.attrs, ctx);
  };
}

function chanArrays(v: unknown): Float32Array[] {
  if (!Array.isArray(v)) return [];
  return (v as Tensor[]).map((t) => t.data as Float32Array);
}

/** gpu.js fuses epilogues into every Conv and into the ConvTransposes it runs as upsampling. */
export function takesProducer(n: GraphNode): boolean {
  const w = n.constInputs[1];
  return (
    n.op === 'Conv' ||
    (w !== undefined && upsampleGeometry([1, w.dims[0] ?? 0, 1, 1], w.dims, n.attrs) !== undefined)
  );
}
