// The executor: createSession(model | graph) → async run(feeds), hooks to observe intermediates, runSubgraph.

import type { Backend, BackendName, GraphNode } from '../backends/backend.ts';
import { UserError } from '../errors.ts';
import { dtypeByteLength } from '../ir/dtype.ts';
import { Graph } from '../ir/graph.ts';
import type { Model } from '../ir/model.ts';
import { sizeOf, type Tensor } from '../ir/tensor.ts';
import { checkFedShapes } from '../onnx/validate/index.ts';
import { getOp, type KernelContext } from '../ops/registry.ts';
import { createBackend } from './backends.ts';
import { checkOutputBudget } from './budget.ts';
import { checkFeeds } from './feeds.ts';
import { GraphRunner } from './graph-run.ts';
import { type Plan, planGraph } from './plan.ts';

export interface SessionOptions {
  /**
   * Which backend runs the nodes: 'auto' (default) picks webgpu → headlessgl → webasm → cpu; a
   * Backend object runs on that backend.
   */
  backend?: 'auto' | BackendName | Backend;
  /** Threads the backend computes on (default: one per core; the cpu backend always uses one). */
  threads?: number;
  /** Default-domain opset when a bare Graph is given (a Model carries its own). */
  opset?: number;
  /** Called with every value computed during a run (calibration). */
  onValue?: (name: string, tensor: Tensor) => void;
  /**
   * Values to return alongside the outputs of each run. Name them here (not only per run) when the
   * backend fuses nodes: a value named here is never fused away.
   */
  observe?: string[];
  /** Bytes one node's outputs may take (default: setDefaultMaxMemory, 2 GiB unless a host set it). */
  maxMemory?: number;
}

export interface RunOptions {
  onValue?: (name: string, tensor: Tensor) => void;
  observe?: string[];
}

export class Session {
  private disposed = false;
  private readonly shapesChecked = new Set<string>();
  /** What the last run did: nodes run, and the most intermediate values held at once. */
  lastRun = { nodesRun: 0, peakLiveValues: 0 };
  /** Whole-graph programs, for a backend that compiles graphs. */
  private readonly runner: GraphRunner | undefined;

  constructor(
    readonly graph: Graph,
    readonly backend: BackendName,
    private readonly impl: Backend,
    private readonly plan: Plan,
    private readonly options: SessionOptions,
    private readonly ctx: KernelContext,
  ) {
    const compiles = impl as Backend & Required<Pick<Backend, 'compileGraph'>>;
    if (impl.compileGraph) this.runner = new GraphRunner(graph, compiles, plan, ctx);
  }

  /** Default-domain opset the kernels run at. */
  get opset(): number {
    return this.ctx.opset;
  }

  /** Names the caller feeds, and their declared types. */
  get inputs(): Graph['inputs'] {
    return this.plan.feeds;
  }

  get outputNames(): string[] {
    return this.graph.outputs.map((o) => o.name);
  }

  /** How many nodes the backend's own kernels ran in the last run (the rest ran on reference kernels). */
  get acceleratedNodes(): number {
    if (this.lastWasProgram && this.runner?.last) return this.runner.last.accelerated;
    return this.plan.steps.filter((s) => s.accelerated).length;
  }
  private lastWasProgram = false;

  /** Run the whole graph: every graph output (plus any observed values) by name. */
  async run(feeds: Record<string, Tensor>, opts: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new UserError('the session was disposed');
    const env = checkFeeds(this.graph, this.plan.feeds, feeds);
    checkFedShapes(this.graph, env, this.ctx.opset, this.shapesChecked);
    const observe = opts.observe ?? this.options.observe ?? [];
    const keep = [...new Set([...this.outputNames, ...observe])];
    // a run that reports every value goes node by node (a program holds values only while needed)
    const watched = opts.onValue ?? this.options.onValue;
    const out = watched ? undefined : await this.runner?.run(env, keep);
    this.lastWasProgram = out !== undefined;
    if (out) {
      this.lastRun = { nodesRun: this.plan.steps.length, peakLiveValues: out.size };
      return Object.fromEntries(out);
    }
    return this.execute(env, this.outputNames, opts, new Set(Object.keys(env)));
  }

  /**
   * Run only what `toValues` need, starting from the given values (any intermediates, for
   * sensitivity analysis); values not given are computed from graph inputs when fed here too.
   */
  async runSubgraph(
    fromValues: Record<string, Tensor>,
    toValues: string[],
    opts: RunOptions = {},
  ): Promise<Record<string, Tensor>> {
    const known = new Set(this.graph.valueNames());
    for (const name of [...Object.keys(fromValues), ...toValues])
      if (!known.has(name)) throw new UserError(`runSubgraph: the graph has no value named '${name}'`);
    const env = new Map<string, Tensor>(Object.entries(fromValues));
    return this.execute(env, toValues, opts, new Set(env.keys()));
  }

  private async execute(
    env: Map<string, Tensor>,
    wanted: string[],
    opts: RunOptions,
    given: Set<string>,
  ): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new UserError('the session was disposed');
    const onValue = opts.onValue ?? this.options.onValue;
    const keep = new Set([...wanted, ...(opts.observe ?? this.options.observe ?? [])]);
    const { steps, consts, lastUse } = this.plan;
    const get = (n: string) => env.get(n) ?? consts.get(n);
    const needed = this.neededSteps(wanted, given, keep);
    if (onValue) for (const [n, t] of env) onValue(n, t);
    const observed: Record<string, Tensor> = {};
    let peak = env.size;
    let ran = 0;
    for (let i = 0; i < steps.length; i++) {
      if (!needed[i]) continue;
      const { node, run } = steps[i]!;
      const inputs = node.inputs.map((name) => {
        if (!name) return undefined;
        const t = get(name);
        if (!t)
          throw new UserError(`value '${name}' (input of node '${node.name}') was not computed or given`);
        return t;
      });
      let outs: Tensor[];
      try {
        checkOutputBudget(node, inputs, { ...this.ctx, nOutputs: node.outputs.length });
        outs = await run(inputs);
      } catch (e) {
        if (e instanceof RangeError) throw tooLarge(node, inputs, this.backend, this.opset, e);
        throw e;
      }
      node.outputs.forEach((o, k) => {
        if (!o || given.has(o)) return;
        const t = outs[k];
        if (!t) return;
        env.set(o, t);
        if (env.size > peak) peak = env.size;
        onValue?.(o, t);
        if (!lastUse.has(o) && !keep.has(o)) env.delete(o); // an output nothing reads (Dropout's mask)
      });
      for (const name of node.inputs)
        if (name && lastUse.get(name) === i && !keep.has(name)) env.delete(name);
      ran++;
    }
    for (const name of keep) {
      const t = get(name);
      if (t) observed[name] = t;
      else if (wanted.includes(name) || !this.impl.fuseGraph)
        throw new UserError(`value '${name}' could not be computed from what was given`);
      else
        throw new UserError(
          `value '${name}' is not available on backend ${this.backend}: the backend fused it away`,
          `name it in createSession(…, { observe: ['${name}'] }) so it is kept`,
        );
    }
    this.lastRun = { nodesRun: ran, peakLiveValues: peak };
    return observed;
  }

  /** Steps on a path to a wanted value that are not cut off by values already given. */
  private neededSteps(wanted: string[], given: Set<string>, keep: Set<string>): boolean[] {
    const { steps, consts } = this.plan;
    const producer = new Map<string, number>();
    steps.forEach((s, i) => {
      for (const o of s.node.outputs) if (o) producer.set(o, i);
    });
    const need = new Array<boolean>(steps.length).fill(false);
    const stack = [...wanted, ...keep];
    const seen = new Set<string>();
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v) || given.has(v) || consts.has(v)) continue;
      seen.add(v);
      const p = producer.get(v);
      if (p === undefined || need[p]) continue;
      need[p] = true;
      for (const i of steps[p]!.node.inputs) if (i) stack.push(i);
    }
    return need;
  }

  dispose(): void {
    this.disposed = true;
    this.runner?.dispose();
    this.impl.dispose?.();
  }
}

/** A node whose outputs do not fit in memory: a UserError with the size it needed (when it can tell). */
function tooLarge(
  node: GraphNode,
  inputs: (Tensor | undefined)[],
  backend: BackendName,
  opset: number,
  e: RangeError,
): UserError {
  const def = getOp(node.op, node.domain);
  let need = '';
  try {
    const types = inputs.map((t) => (t ? { dtype: t.dtype, shape: [...t.dims] } : undefined));
    const outs = def?.shape?.(types, node.attrs, { opset }, inputs) ?? [];
    const bytes = outs.reduce((a, t) => {
      const n = t?.shape?.every((d) => typeof d === 'number') ? sizeOf(t.shape as number[]) : Number.NaN;
      return a + dtypeByteLength(t?.dtype ?? 'float32', n);
    }, 0);
    const dims = outs.map((t) => `${t?.dtype} [${t?.shape?.join(', ')}]`).join(', ');
    if (Number.isFinite(bytes)) need = ` it needs ${(bytes / 2 ** 20).toFixed(1)} MiB for its output ${dims}`;
  } catch {
    need = '';
  }
  return new UserError(
    `node '${node.name}' (${node.op}) is too large for the ${backend} backend:${need || ` ${e.message}`}`,
    'use smaller inputs, or a backend with more memory',
  );
}

/** Prepare a graph (or a model's main graph) to run on a backend; every node is checked and prepared once. */
export async function createSession(source: Model | Graph, options: SessionOptions = {}): Promise<Session> {
  const graph = source instanceof Graph ? source : source.graph;
  const opset = source instanceof Graph ? (options.opset ?? 17) : (source.opset('') ?? options.opset ?? 17);
  const ctx: KernelContext = { opset, maxMemory: options.maxMemory };
  const choice = options.backend ?? 'auto';
  const impl =
    typeof choice === 'object' ? choice : await createBackend(choice, { threads: options.threads });
  const keep = new Set([...graph.outputs.map((o) => o.name), ...(options.observe ?? [])]);
  const plan = await planGraph(graph, impl, ctx, keep);
  return new Session(graph, impl.name, impl, plan, options, ctx);
}
