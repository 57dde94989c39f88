// Safe graph edits: insert, remove, replace all uses (into subgraphs that see the name), rename,
// dead-code sweep, fresh names. Inserting, removing and rewiring uses keep the graph's cached
// lookups right (no rebuild); the other edits drop them.

import type { Graph } from './graph.ts';
import type { Node } from './node.ts';

export function insertNode(g: Graph, n: Node, where?: { before?: Node; after?: Node }): Node {
  let at = g.nodes.length;
  if (where?.before) at = indexOf(g, where.before);
  else if (where?.after) at = indexOf(g, where.after) + 1;
  g.nodes.splice(at, 0, n);
  n.graph = g;
  for (const sg of n.subgraphs()) sg.parent = g;
  g.noteAdded(n);
  return n;
}

function indexOf(g: Graph, n: Node): number {
  const i = g.nodes.indexOf(n);
  if (i < 0) throw new Error(`node '${n.label}' is not in graph '${g.name}'`);
  return i;
}

export function removeNode(g: Graph, n: Node): void {
  g.nodes.splice(indexOf(g, n), 1);
  n.graph = undefined;
  g.noteRemoved(n);
}

/** Replace uses of `from` by `to` in this graph and in nested subgraphs where `from` is free. */
export function replaceAllUsesWith(
  g: Graph,
  from: string,
  to: string,
  opts?: { graphOutputs?: boolean },
): number {
  if (from === to) return 0;
  let count = g.rewireUses(from, to);
  if (count !== undefined) {
    if (opts?.graphOutputs) {
      for (const o of g.outputs) {
        if (o.name === from) {
          o.name = to;
          count++;
        }
      }
    }
    return count;
  }
  count = 0;
  for (const n of g.nodes) {
    for (let i = 0; i < n.inputs.length; i++) {
      if (n.inputs[i] === from) {
        n.inputs[i] = to;
        count++;
      }
    }
    for (const sg of n.subgraphs()) count += replaceInSubgraph(sg, from, to);
  }
  if (opts?.graphOutputs) {
    for (const o of g.outputs) {
      if (o.name === from) {
        o.name = to;
        count++;
      }
    }
  }
  g.touch();
  return count;
}

function replaceInSubgraph(sg: Graph, from: string, to: string): number {
  if (sg.defines(from)) return 0; // shadowed: the body's own value
  if (sg.defines(to))
    throw new Error(`cannot point '${from}' at '${to}': subgraph '${sg.name}' shadows '${to}'`);
  return replaceAllUsesWith(sg, from, to, { graphOutputs: true });
}

export function renameValue(g: Graph, from: string, to: string): void {
  if (from === to) return;
  for (const n of g.nodes) {
    for (let i = 0; i < n.outputs.length; i++) if (n.outputs[i] === from) n.outputs[i] = to;
  }
  for (const l of [g.inputs, g.valueInfo]) for (const v of l) if (v.name === from) v.name = to;
  const t = g.initializers.get(from);
  if (t) {
    // keep file order
    const entries = [...g.initializers].map(([k, v]) => [k === from ? to : k, v] as const);
    g.initializers = new Map(entries);
  }
  g.touch(); // producers, inputs and initializers were renamed in place
  replaceAllUsesWith(g, from, to, { graphOutputs: true });
}

/** Dead-code elimination from the graph outputs; recurses into kept nodes' subgraphs. */
export function sweep(g: Graph): { nodes: number; initializers: number } {
  const needed = new Set(g.outputs.map((o) => o.name));
  const order = g.topoOrder();
  const keep = new Set<Node>();
  let removedNodes = 0;
  let removedInits = 0;
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k]!;
    if (!n.outputs.some((o) => o && needed.has(o))) continue;
    keep.add(n);
    for (const i of n.inputs) if (i) needed.add(i);
    for (const sg of n.subgraphs()) {
      const r = sweep(sg);
      removedNodes += r.nodes;
      removedInits += r.initializers;
      for (const f of sg.freeNames()) needed.add(f);
    }
  }
  removedNodes += g.nodes.length - keep.size;
  g.nodes = g.nodes.filter((n) => keep.has(n));
  for (const name of [...g.initializers.keys()]) {
    if (!needed.has(name) && !g.isInput(name)) {
      g.initializers.delete(name);
      removedInits++;
    }
  }
  g.touch();
  const defined = new Set(g.valueNames());
  g.valueInfo = g.valueInfo.filter((v) => defined.has(v.name));
  return { nodes: removedNodes, initializers: removedInits };
}

function collectNames(g: Graph, into: Set<string>): void {
  for (const v of g.valueNames()) into.add(v);
  for (const v of g.outputs) into.add(v.name);
  for (const v of g.valueInfo) into.add(v.name);
  for (const n of g.nodes) {
    if (n.name) into.add(n.name);
    for (const i of n.inputs) into.add(i);
    for (const sg of n.subgraphs()) collectNames(sg, into);
  }
}

export function uniqueName(g: Graph, base: string): string {
  const names = new Set<string>();
  collectNames(g.root, names);
  if (!names.has(base)) return base;
  for (let i = 1; ; i++) {
    const c = `${base}_${i}`;
    if (!names.has(c)) return c;
  }
}
