// The wasm backend ('webasm'): squish's own WebAssembly SIMD kernels (runtime/backends/wasm/kernels,
// registered per op), one library module compiled once per process, a whole graph planned into one
// memory per input shape (activations never leave it), threads splitting each kernel's work.

import type { Tensor } from '../../ir/tensor.ts';
import { getOp, type KernelContext } from '../../ops/registry.ts';
import { nodeBuiltin } from '../../platform.ts';
import type {
  Backend,
  GraphNode,
  GraphProgram,
  GraphProgramSpec,
  NodeSpec,
  PreparedKernel,
} from '../backend.ts';
import { FUSED_DOMAIN, fusedBaseOp, fuseEpilogues } from '../fusion/fusion.ts';
import { ModuleBuilder } from './asm/module.ts';
import type { ValueShape } from './kernel.ts';
import { wasmKernel } from './kernel.ts';
import './kernels/index.ts';
import { planProgram } from './planner.ts';
import type { Program } from './program.ts';

/** Whether this JavaScript engine runs WebAssembly SIMD (the kernels need it). */
export function wasmSimdAvailable(): boolean {
  try {
    const m = new ModuleBuilder();
    m.func('probe', [], [], true).v128_f32x4([0, 0, 0, 0]).drop();
    return WebAssembly.validate(m.toBytes() as BufferSource);
  } catch {
    return false;
  }
}

export class WasmBackend implements Backend {
  readonly name = 'webasm' as const;
  private readonly programs = new Set<Program>();

  constructor(private readonly options: { threads?: number } = {}) {}

  fuseGraph(nodes: readonly GraphNode[], keep: ReadonlySet<string>): GraphNode[] {
    return fuseEpilogues(nodes, keep, (n) => wasmKernel(`Fused${n.op}`, FUSED_DOMAIN)?.takes?.(n) ?? false);
  }

  async compileGraph(spec: GraphProgramSpec): Promise<GraphProgram> {
    const program = await planProgram({ ...spec, threads: this.options.threads ?? (await defaultThreads()) });
    this.programs.add(program);
    return {
      accelerated: program.accelerated,
      run: (feeds, onValue) => program.run(feeds, onValue),
      dispose: () => {
        program.dispose();
        this.programs.delete(program);
      },
    };
  }

  /** One node as a program of its own (planned per input shape): conformance cases, runSubgraph. */
  prepareNode(node: NodeSpec, ctx: KernelContext): PreparedKernel | undefined {
    if (!wasmKernel(node.op, node.domain)) return undefined;
    const names = node.inputTypes.map((_, i) => `in${i}`);
    const outs = node.outputTypes.map((_, i) => `out${i}`);
    const programs = new Map<string, Program | null>();
    const fused = node.domain === FUSED_DOMAIN;
    const def = fused ? getOp(fusedBaseOp(node.op)) : getOp(node.op, node.domain);
    return async (inputs) => {
      const key = inputs.map((t) => (t ? `${t.dtype}${t.dims.join('x')}` : '-')).join('|');
      let p = programs.get(key);
      if (p === undefined) {
        p = await this.planNode(node, ctx, inputs, names, outs);
        programs.set(key, p);
      }
      if (!p) {
        if (node.domain === FUSED_DOMAIN || !def)
          throw new Error(`webasm cannot run ${node.op} '${node.name}'`);
        return def.reference(inputs, node.attrs, { ...ctx, nOutputs: outs.length });
      }
      const feeds = new Map<string, Tensor>();
      inputs.forEach((t, i) => {
        if (t && !node.constInputs[i]) feeds.set(names[i] as string, t);
      });
      const res = await p.run(feeds);
      return outs.map((o) => res.get(o) as Tensor);
    };
  }

  private async planNode(
    node: NodeSpec,
    ctx: KernelContext,
    inputs: (Tensor | undefined)[],
    names: string[],
    outs: string[],
  ): Promise<Program | null> {
    const fused = node.domain === FUSED_DOMAIN;
    const def = fused ? getOp(fusedBaseOp(node.op)) : getOp(node.op, node.domain);
    const types = inputs.map((t) => (t ? { dtype: t.dtype, shape: [...t.dims] } : undefined));
    const outTypes =
      def?.shape?.(types, node.attrs, { ...ctx, nOutputs: outs.length }, node.constInputs) ?? [];
    const shapes = new Map<string, ValueShape>();
    const consts = new Map<string, Tensor>();
    inputs.forEach((t, i) => {
      const name = names[i] as string;
      const c = node.constInputs[i];
      if (c) consts.set(name, c);
      else if (t) shapes.set(name, { dtype: t.dtype, dims: [...t.dims] });
    });
    for (const [i, o] of outs.entries()) {
      const t = outTypes[i];
      if (!t?.shape?.every((d) => typeof d === 'number')) return null;
      shapes.set(o, { dtype: t.dtype, dims: t.shape as number[] });
    }
    const g: GraphNode = {
      ...node,
      inputs: inputs.map((t, i) => (t ? (names[i] as string) : '')),
      outputs: outs,
    };
    const program = await planProgram({
      nodes: [g],
      consts,
      inputs: [...shapes.keys()].filter((n) => !outs.includes(n)),
      outputs: outs,
      shapes,
      ctx,
      threads: 1,
    });
    this.programs.add(program);
    return program;
  }

  dispose(): void {
    for (const p of this.programs) p.dispose();
    this.programs.clear();
  }
}

/** One thread per core (at most 8): navigator's count in browsers, the OS's in Node. */
async function defaultThreads(): Promise<number> {
  let n = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : undefined;
  if (!n) n = (await nodeBuiltin<typeof import('node:os')>('os'))?.availableParallelism();
  return Math.max(1, Math.min(8, n ?? 1));
}
