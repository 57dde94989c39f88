// Session planning: kernel lookup (fails before anything runs), constants folded once, last-use tables.

import type { Backend, NodeSpec, PreparedKernel } from '../backends/backend.ts';
import { UserError } from '../errors.ts';
import type { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import type { Tensor } from '../ir/tensor.ts';
import { getOp, type KernelContext, registeredOps } from '../ops/registry.ts';
import '../ops/reference/index.ts';

export interface PlannedNode {
  node: Node;
  run: PreparedKernel;
  /** True when the backend prepared it (false: reference kernel). */
  accelerated: boolean;
}

export interface Plan {
  steps: PlannedNode[];
  /** Initializers, Constant outputs and everything computed from them alone (folded once). */
  consts: Map<string, Tensor>;
  /** For each value name, the index of the last step that reads it. */
  lastUse: Map<string, number>;
  /** Graph inputs the caller must feed (initializers that are also inputs have defaults in consts). */
  feeds: Graph['inputs'];
}

function opLabel(n: Node): string {
  return n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType}` : n.opType;
}

/** Fail before anything runs when a node has no kernel, naming each missing op and what is registered. */
export function checkKernels(nodes: readonly Node[]): void {
  const missing = new Map<string, string>();
  for (const n of nodes) if (!getOp(n.opType, n.domain)) missing.set(opLabel(n), n.label);
  if (missing.size === 0) return;
  const list = [...missing].map(([op, node]) => `${op} (node '${node}')`).join(', ');
  throw new UserError(
    `no kernel for ${missing.size === 1 ? 'op' : 'ops'} ${list}`,
    `registered ops: ${registeredOps().join(', ')}`,
  );
}

function referenceKernel(n: Node, ctx: KernelContext): PreparedKernel {
  const def = getOp(n.opType, n.domain)!;
  const attrs = n.attrs;
  return async (inputs) => def.reference(inputs, attrs, ctx);
}

export async function planGraph(graph: Graph, backend: Backend, ctx: KernelContext): Promise<Plan> {
  const order = graph.topoOrder();
  checkKernels(order);
  const consts = new Map<string, Tensor>();
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  for (const [name, t] of graph.initializers) if (!inputNames.has(name)) consts.set(name, t);
  const steps: PlannedNode[] = [];
  for (const n of order) {
    const kernel = referenceKernel(n, ctx);
    const ins = n.inputs.map((i) => (i ? consts.get(i) : undefined));
    const allConst = n.inputs.every((i) => !i || consts.has(i));
    if (allConst && n.subgraphs().length === 0) {
      const outs = await kernel(ins);
      n.outputs.forEach((o, k) => {
        if (o && outs[k]) consts.set(o, outs[k]!);
      });
      continue;
    }
    const spec: NodeSpec = {
      op: n.opType,
      domain: n.domain,
      name: n.label,
      attrs: n.attrs,
      inputTypes: n.inputs.map((i) => (i ? graph.declaredType(i) : undefined)),
      constInputs: ins,
      outputTypes: n.outputs.map((o) => (o ? graph.declaredType(o) : undefined)),
    };
    const prepared = backend.prepareNode(spec, ctx);
    steps.push({ node: n, run: prepared ?? kernel, accelerated: !!prepared });
  }
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => {
    for (const name of s.node.inputs) if (name) lastUse.set(name, i);
  });
  // Initializers that are also graph inputs are defaults the caller may override.
  const feeds = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  return { steps, consts, lastUse, feeds };
}
