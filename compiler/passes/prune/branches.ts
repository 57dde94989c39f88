// Residual branches for `prune layers`: an Add(x, f(x)) whose one operand is computed from x alone
// (plus constants) by nodes used nowhere else. Removing the branch rewires the Add's users to x —
// the block becomes identity — and dead-code removal drops f.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Node } from '../../../runtime/ir/node.ts';

export interface ResidualBranch {
  add: Node;
  /** The skip input (x). */
  skip: string;
  /** The branch output (f(x)). */
  out: string;
  /** The branch's nodes, in topological order. */
  nodes: Node[];
}

/** The nodes computing `v` from `x` (constants allowed), or undefined if v needs anything else. */
function branchFrom(g: Graph, v: string, x: string, limit = 200): Node[] | undefined {
  const seen = new Set<Node>();
  const stack = [v];
  while (stack.length) {
    const name = stack.pop()!;
    if (name === x || !name || g.constant(name)) continue;
    const p = g.producer(name);
    if (!p) return undefined; // a graph input other than x
    if (seen.has(p)) continue;
    seen.add(p);
    if (seen.size > limit) return undefined;
    stack.push(...p.inputs);
  }
  if (!seen.size) return undefined;
  // nothing outside the branch (but the Add) may use a branch value
  for (const n of seen)
    for (const o of n.outputs) {
      if (!o) continue;
      if (g.isOutput(o)) return undefined;
      for (const u of g.consumers(o)) if (!seen.has(u) && !(o === v && u.opType === 'Add')) return undefined;
    }
  const order = g.topoOrder();
  return order.filter((n) => seen.has(n));
}

export function residualBranches(g: Graph, sameShape: (a: string, b: string) => boolean): ResidualBranch[] {
  const out: ResidualBranch[] = [];
  for (const add of g.topoOrder()) {
    if (add.opType !== 'Add' || add.inputs.length !== 2) continue;
    const [a, b] = add.inputs as [string, string];
    if (g.constant(a) || g.constant(b) || !sameShape(a, b)) continue;
    for (const [skip, br] of [
      [a, b],
      [b, a],
    ] as const) {
      if (g.consumers(br).length !== 1) continue;
      const nodes = branchFrom(g, br, skip);
      if (nodes?.some((n) => n.opType === 'Conv' || n.opType === 'Gemm' || n.opType === 'MatMul')) {
        out.push({ add, skip, out: br, nodes });
        break;
      }
    }
  }
  return out;
}

/** Makes the residual block identity: the Add's users read the skip input; the branch is swept. */
export function removeBranch(g: Graph, b: ResidualBranch): void {
  const y = b.add.outputs[0]!;
  g.removeNode(b.add);
  if (g.isOutput(y)) g.addNode({ op: 'Identity', name: b.add.name, inputs: [b.skip], outputs: [y] });
  else g.replaceAllUsesWith(y, b.skip);
  g.sweep();
}
