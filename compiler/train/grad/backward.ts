// Reverse-mode differentiation as a graph rewrite: walks the forward nodes from the loss back to the
// trainable weights, asks each node's rule for its inputs' gradients (summing contributions where a
// value feeds several nodes) and returns each weight's gradient value.

import { UserError } from '../../../runtime/errors.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Emitter } from '../graph/emitter.ts';
import { gradOps, gradRule, STOP_OPS } from './registry.ts';
import { differentiable, type GradContext } from './rule.ts';

const FLOATS = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** Values that depend on a weight (through ops that pass gradients). */
export function activeValues(nodes: readonly Node[], weights: Iterable<string>): Set<string> {
  const active = new Set(weights);
  for (const n of nodes) {
    if (STOP_OPS.has(n.opType)) continue;
    if (n.inputs.some((i) => i && active.has(i))) for (const o of n.outputs) if (o) active.add(o);
  }
  return active;
}

/**
 * Emit the backward pass of `nodes` (the forward graph, topologically sorted) for gradients seeded at
 * `seeds` (value → its gradient value). Returns weight → gradient value (absent: no path to the loss).
 */
export function backward(
  graph: Graph,
  nodes: readonly Node[],
  emit: Emitter,
  weights: readonly string[],
  seeds: ReadonlyMap<string, string>,
): Map<string, string> {
  const active = activeValues(nodes, weights);
  const parts = new Map<string, string[]>();
  const add = (value: string, grad: string) => {
    const l = parts.get(value);
    if (l) l.push(grad);
    else parts.set(value, [grad]);
  };
  for (const [v, g] of seeds) add(v, g);
  const gradOf = (v: string) => {
    const l = parts.get(v);
    if (!l) return undefined;
    const t = emit.total(l);
    parts.set(v, [t]);
    return t;
  };
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    const grads = node.outputs.map((o) => (o ? gradOf(o) : undefined));
    if (grads.every((g) => g === undefined)) continue;
    if (!node.inputs.some((i) => i && active.has(i))) continue;
    if (STOP_OPS.has(node.opType)) continue;
    const rule = gradRule(node.opType, node.domain);
    if (!rule) throw noRule(node, nodes, active, weights);
    const needs = (i: number) => {
      const v = node.inputs[i];
      return Boolean(v && active.has(v) && differentiable(rule, i) && FLOATS.has(emit.dtype(v)));
    };
    const ctx: GradContext = {
      node,
      graph,
      emit,
      grads,
      needs,
      active: (v) => active.has(v),
      accumulate: add,
    };
    const result = rule.backward(ctx);
    result.forEach((g, i) => {
      if (g !== undefined && needs(i)) add(node.inputs[i]!, g);
    });
  }
  const out = new Map<string, string>();
  for (const w of weights) {
    const g = gradOf(w);
    if (g) out.set(w, g);
  }
  return out;
}

/** The one clear error for an op on a trainable path with no rule: names the op and the path. */
function noRule(
  node: Node,
  nodes: readonly Node[],
  active: Set<string>,
  weights: readonly string[],
): UserError {
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const path: string[] = [];
  let v = node.inputs.find((i) => i && active.has(i));
  const wset = new Set(weights);
  while (v && !wset.has(v)) {
    const p = producer.get(v);
    if (!p) break;
    path.unshift(`${p.opType} '${p.label}'`);
    v = p.inputs.find((i) => i && active.has(i));
  }
  const where = [`weight '${v}'`, ...path, `${node.opType} '${node.label}'`, '… loss'].join(' → ');
  return new UserError(
    `no gradient rule for op ${node.domain ? `${node.domain}::` : ''}${node.opType} (node '${node.label}'), which lies on a trainable path: ${where}`,
    `freeze the weights before it so no gradient needs to pass it; ops with rules: ${gradOps().join(', ')}`,
  );
}
