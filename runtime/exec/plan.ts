// Session planning: kernel lookup (fails before anything runs), constants folded once, the backend's
// fusion hook, nodes prepared once, last-use tables.

import type { Backend, GraphNode, PreparedKernel } from '../backends/backend.ts';
import { UserError } from '../errors.ts';
import type { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import { inferShapes } from '../ir/shape/index.ts';
import type { Tensor } from '../ir/tensor.ts';
import type { ValueType } from '../ir/types.ts';
import { getOp, type KernelContext, registeredOps } from '../ops/registry.ts';
import { checkOutputBudget } from './budget.ts';
import '../ops/reference/index.ts';

export interface PlannedStep {
  node: GraphNode;
  run: PreparedKernel;
  /** True when the backend prepared it (false: reference kernel). */
  accelerated: boolean;
}

export interface Plan {
  steps: PlannedStep[];
  /** Initializers, Constant outputs and everything computed from them alone (folded once). */
  consts: Map<string, Tensor>;
  /** For each value name, the index of the last step that reads it. */
  lastUse: Map<string, number>;
  /** Graph inputs the caller must feed (an initializer that is also an input is a default). */
  feeds: Graph['inputs'];
}

function opLabel(op: string, domain: string): string {
  return domain && domain !== 'ai.onnx' ? `${domain}::${op}` : op;
}

/** A model that cannot run here: ops without a kernel, each with the first node that uses it. */
export class MissingKernelError extends UserError {
  constructor(readonly missing: { op: string; node: string }[]) {
    super(
      `no kernel for ${missing.length === 1 ? 'op' : 'ops'} ${missing.map((m) => `${m.op} (node '${m.node}')`).join(', ')}`,
      `registered ops: ${registeredOps().join(', ')}`,
    );
  }
}

/** Fail before anything runs when a node has no kernel, naming each missing op and what is registered. */
export function checkKernels(nodes: readonly Pick<Node, 'opType' | 'domain' | 'label'>[]): void {
  const missing = new Map<string, string>();
  for (const n of nodes) if (!getOp(n.opType, n.domain)) missing.set(opLabel(n.opType, n.domain), n.label);
  if (missing.size === 0) return;
  throw new MissingKernelError([...missing].map(([op, node]) => ({ op, node })));
}

function referenceKernel(n: GraphNode, ctx: KernelContext): PreparedKernel | undefined {
  const def = getOp(n.op, n.domain);
  if (!def) return undefined;
  const attrs = n.attrs;
  const c = { ...ctx, nOutputs: n.outputs.length };
  return async (inputs) => def.reference(inputs, attrs, c);
}

function toGraphNode(
  graph: Graph,
  n: Node,
  consts: Map<string, Tensor>,
  types: Map<string, ValueType>,
): GraphNode {
  const typeOf = (v: string) => types.get(v) ?? graph.declaredType(v) ?? typeOfConst(consts.get(v));
  return {
    op: n.opType,
    domain: n.domain,
    name: n.label,
    attrs: n.attrs,
    inputs: [...n.inputs],
    outputs: [...n.outputs],
    inputTypes: n.inputs.map((i) => (i ? typeOf(i) : undefined)),
    constInputs: n.inputs.map((i) => (i ? consts.get(i) : undefined)),
    outputTypes: n.outputs.map((o) => (o ? typeOf(o) : undefined)),
  };
}

function typeOfConst(t: Tensor | undefined) {
  return t ? { dtype: t.dtype, shape: [...t.dims] } : undefined;
}

export async function planGraph(
  graph: Graph,
  backend: Backend,
  ctx: KernelContext,
  keep: ReadonlySet<string>,
): Promise<Plan> {
  const order = graph.topoOrder();
  checkKernels(order);
  // static types for the backend (symbolic where inputs are dynamic); inference problems are not fatal
  let types = new Map<string, ValueType>();
  try {
    types = inferShapes(graph, { opset: ctx.opset }).types;
  } catch {
    types = new Map();
  }
  const consts = new Map<string, Tensor>();
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  for (const [name, t] of graph.initializers) if (!inputNames.has(name)) consts.set(name, t);
  let nodes: GraphNode[] = [];
  for (const n of order) {
    const allConst = n.inputs.every((i) => !i || consts.has(i));
    if (
      allConst &&
      n.subgraphs().length === 0 &&
      !n.outputs.some((o) => keep.has(o) && !isOutput(graph, o))
    ) {
      const def = getOp(n.opType, n.domain)!;
      const inputs = n.inputs.map((i) => (i ? consts.get(i) : undefined));
      const c = { ...ctx, nOutputs: n.outputs.length };
      checkOutputBudget({ name: n.label, op: n.opType, domain: n.domain, attrs: n.attrs }, inputs, c);
      const outs = await def.reference(inputs, n.attrs, c);
      n.outputs.forEach((o, k) => {
        if (o && outs[k]) consts.set(o, outs[k]!);
      });
      continue;
    }
    nodes.push(toGraphNode(graph, n, consts, types));
  }
  if (backend.fuseGraph) nodes = backend.fuseGraph(nodes, keep);
  const steps: PlannedStep[] = nodes.map((n) => {
    const prepared = backend.prepareNode(n, ctx);
    const run = prepared ?? referenceKernel(n, ctx);
    if (!run)
      throw new Error(`backend ${backend.name} fused node '${n.name}' (${n.op}) but did not prepare it`);
    return { node: n, run, accelerated: !!prepared };
  });
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => {
    for (const name of s.node.inputs) if (name) lastUse.set(name, i);
  });
  const feeds = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  return { steps, consts, lastUse, feeds };
}

function isOutput(graph: Graph, name: string): boolean {
  return graph.outputs.some((o) => o.name === name);
}
