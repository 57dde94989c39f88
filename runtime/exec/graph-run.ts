// Whole-graph runs for backends that compile graphs (Backend.compileGraph): per set of input shapes,
// infer every value's concrete shape, fold what those shapes make constant (Shape → … → Reshape
// arithmetic), and have the backend plan the rest as one program; later runs of the same shapes
// reuse it.

import type { Backend, GraphNode, GraphProgram } from '../backends/backend.ts';
import type { Graph } from '../ir/graph.ts';
import { inferShapes } from '../ir/shape/index.ts';
import { makeTensor, type Tensor } from '../ir/tensor.ts';
import { getOp, type KernelContext } from '../ops/registry.ts';
import { checkOutputTypes } from './budget.ts';
import type { Plan } from './plan.ts';

/** Programs kept per session (one per input shape seen last): each holds a memory of its own. */
const KEEP_PROGRAMS = 4;

const isInt = (d: Tensor['dtype']) => d.startsWith('int') || d.startsWith('uint') || d === 'bool';

export class GraphRunner {
  private readonly programs = new Map<string, Promise<GraphProgram | undefined>>();
  /** The program of the latest run. */
  last: GraphProgram | undefined;

  constructor(
    private readonly graph: Graph,
    private readonly backend: Backend & Required<Pick<Backend, 'compileGraph'>>,
    private readonly plan: Plan,
    private readonly ctx: KernelContext,
  ) {}

  /** The outputs, or undefined when this graph cannot run as one program (e.g. shapes left unknown). */
  async run(env: ReadonlyMap<string, Tensor>, outputs: string[]): Promise<Map<string, Tensor> | undefined> {
    const inputs = this.plan.feeds.map((f) => f.name).filter((n) => env.has(n));
    const key = `${inputs.map((n) => `${n}:${env.get(n)?.dtype}[${env.get(n)?.dims}]`).join(',')}>${outputs.join(',')}`;
    let p = this.programs.get(key);
    if (p) this.programs.delete(key);
    else p = this.compile(env, inputs, outputs);
    // most recently used last; the oldest beyond KEEP_PROGRAMS are released
    this.programs.set(key, p);
    for (const [k, old] of this.programs) {
      if (this.programs.size <= KEEP_PROGRAMS) break;
      this.programs.delete(k);
      void old.then((g) => g?.dispose());
    }
    const program = await p.catch((e: unknown) => {
      this.programs.delete(key); // a refused graph (e.g. over the memory budget) is not kept
      throw e;
    });
    if (!program) return undefined;
    this.last = program;
    return program.run(new Map(inputs.map((n) => [n, env.get(n) as Tensor])));
  }

  private async compile(
    env: ReadonlyMap<string, Tensor>,
    inputs: string[],
    outputs: string[],
  ): Promise<GraphProgram | undefined> {
    const inputShapes = Object.fromEntries(inputs.map((n) => [n, [...(env.get(n) as Tensor).dims]]));
    let inferred: ReturnType<typeof inferShapes>;
    try {
      inferred = inferShapes(this.graph, { inputShapes, opset: this.ctx.opset });
    } catch {
      return undefined;
    }
    const consts = new Map(this.plan.consts);
    const nodes: GraphNode[] = [];
    for (const { node } of this.plan.steps) {
      checkOutputTypes(
        node,
        node.outputs.map((o) => (o ? inferred.types.get(o) : undefined)),
        this.ctx,
      );
      if (await this.fold(node, consts, inferred.values, inferred.types)) continue;
      nodes.push(node);
    }
    const produced = new Set([...inputs, ...nodes.flatMap((n) => n.outputs)]);
    if (!outputs.every((o) => produced.has(o) || consts.has(o))) return undefined;
    const shapes = new Map<string, { dtype: Tensor['dtype']; dims: number[] }>();
    const need = new Set<string>(inputs);
    for (const n of nodes) for (const v of [...n.inputs, ...n.outputs]) if (v) need.add(v);
    for (const v of outputs) need.add(v);
    for (const v of need) {
      if (consts.has(v)) continue;
      const t = inferred.types.get(v);
      if (!t?.shape?.every((d) => typeof d === 'number' && d >= 0)) return undefined;
      shapes.set(v, { dtype: t.dtype, dims: t.shape as number[] });
    }
    return this.backend.compileGraph({ nodes, consts, inputs, outputs, shapes, ctx: this.ctx });
  }

  /** Fold a node whose outputs the shapes decide (known integer values) or whose inputs are all constant. */
  private async fold(
    node: GraphNode,
    consts: Map<string, Tensor>,
    values: ReturnType<typeof inferShapes>['values'],
    types: ReturnType<typeof inferShapes>['types'],
  ): Promise<boolean> {
    const known = node.outputs.map((o) => {
      const v = o ? values.get(o) : undefined;
      const t = o ? types.get(o) : undefined;
      if (!v || !t?.shape || !isInt(t.dtype) || !v.every((d) => typeof d === 'number')) return undefined;
      if (!t.shape.every((d) => typeof d === 'number')) return undefined;
      const data = t.dtype === 'int64' ? BigInt64Array.from(v as number[], (x) => BigInt(x)) : undefined;
      return makeTensor(t.dtype, t.shape as number[], data ?? fill(t.dtype, v as number[]));
    });
    if (known.every((t) => t !== undefined) && node.outputs.length > 0) {
      node.outputs.forEach((o, k) => {
        consts.set(o, known[k] as Tensor);
      });
      return true;
    }
    const def = getOp(node.op, node.domain);
    if (!def || !node.inputs.every((i) => !i || consts.has(i))) return false;
    const outs = await def.reference(
      node.inputs.map((i) => (i ? consts.get(i) : undefined)),
      node.attrs,
      { ...this.ctx, nOutputs: node.outputs.length },
    );
    node.outputs.forEach((o, k) => {
      if (o && outs[k]) consts.set(o, outs[k] as Tensor);
    });
    return true;
  }

  dispose(): void {
    for (const p of this.programs.values()) void p.then((g) => g?.dispose());
    this.programs.clear();
  }
}

function fill(dtype: Tensor['dtype'], v: number[]): Tensor['data'] {
  const t = makeTensor(dtype, [v.length]);
  (t.data as Int32Array).set(v);
  return t.data;
}
