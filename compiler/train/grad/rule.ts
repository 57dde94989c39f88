// Gradient rules as values: per op type, which inputs are differentiable (and what a constant in
// that slot is, for choosing trainable weights), and `backward`, which emits the nodes computing the
// inputs' gradients from the outputs'. One family a file; GRAD_RULES in ./registry.ts lists them.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Emitter } from '../graph/emitter.ts';

/** What a float constant in a differentiable slot is, so callers can pick what trains. */
export type WeightRole = 'parameter' | 'quant-scale';

export interface GradContext {
  node: Node;
  /** The forward graph (constants, producers). */
  graph: Graph;
  emit: Emitter;
  /** Gradient of each output (undefined where nothing downstream needs it). */
  grads: (string | undefined)[];
  /** True when input `i` leads back to a trainable weight, so its gradient is needed. */
  needs(i: number): boolean;
  /** True when any value (not only this node's inputs) leads back to a trainable weight. */
  active(value: string): boolean;
  /** Add a gradient contribution to any value (rules spanning two nodes, e.g. Q → DQ). */
  accumulate(value: string, grad: string): void;
}

export interface GradRule {
  op: string;
  /** One line: what the gradient is, e.g. `dX = dY·Wᵀ, dW = Xᵀ·dY`. */
  summary: string;
  /** Input slots that carry a gradient (others, like shapes or Clip bounds, stop it); 'all' for variadic ops. */
  inputs: readonly number[] | 'all';
  /** Role of a float constant in a differentiable slot (default 'parameter'). */
  roles?: Readonly<Record<number, WeightRole>>;
  /** Emit the nodes; return the gradient per input slot (undefined where not needed). */
  backward(ctx: GradContext): (string | undefined)[];
}

/** Validates a rule family when its module loads: one rule per op, slots listed. */
export function defineGradRules(family: string, rules: GradRule[]): GradRule[] {
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.op)) throw new Error(`gradient rules ${family}: ${r.op} defined twice`);
    seen.add(r.op);
    if (!r.summary) throw new Error(`gradient rules ${family}: ${r.op} has no summary`);
    if (r.inputs !== 'all' && r.inputs.some((i) => !Number.isInteger(i) || i < 0))
      throw new Error(`gradient rules ${family}: ${r.op} lists a bad input slot`);
  }
  return rules;
}

/** True when input slot `i` of a node carries a gradient under rule `r`. */
export function differentiable(r: GradRule, i: number): boolean {
  return r.inputs === 'all' || r.inputs.includes(i);
}
