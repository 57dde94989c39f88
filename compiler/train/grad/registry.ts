// The gradient rule registry: every family in one list, looked up by op type. Ops whose outputs have
// no gradient (shapes, comparisons, rounding) stop the flow without a rule. QuantizeLinear has no
// rule of its own: the DequantizeLinear after it differentiates the pair (rules/quant.ts).

import type { GradRule } from './rule.ts';
import { ACTIVATION_GRADS } from './rules/activations.ts';
import { ARITHMETIC_GRADS } from './rules/arithmetic.ts';
import { CONV_GRADS } from './rules/conv.ts';
import { LAYOUT_GRADS } from './rules/layout.ts';
import { LINEAR_GRADS } from './rules/linear.ts';
import { NORM_GRADS } from './rules/norm.ts';
import { POOL_GRADS } from './rules/pool.ts';
import { QUANT_GRADS } from './rules/quant.ts';
import { REDUCE_GRADS } from './rules/reduce.ts';
import { RESIZE_GRADS } from './rules/resize.ts';

const FAMILIES: GradRule[][] = [
  ARITHMETIC_GRADS,
  ACTIVATION_GRADS,
  LINEAR_GRADS,
  CONV_GRADS,
  POOL_GRADS,
  REDUCE_GRADS,
  LAYOUT_GRADS,
  RESIZE_GRADS,
  NORM_GRADS,
  QUANT_GRADS,
];

const RULES = new Map<string, GradRule>();
for (const family of FAMILIES)
  for (const r of family) {
    if (RULES.has(r.op)) throw new Error(`gradient rule for ${r.op} defined in two families`);
    RULES.set(r.op, r);
  }

/** Ops whose outputs carry no gradient: the flow stops there, no rule needed. */
export const STOP_OPS = new Set(
  (
    'Shape Size Equal Greater GreaterOrEqual Less LessOrEqual Not And Or Xor ArgMax ArgMin NonZero ' +
    'ConstantOfShape Range IsNaN IsInf Sign Floor Ceil Round RandomNormal RandomUniform ' +
    'RandomNormalLike RandomUniformLike Bernoulli Multinomial EyeLike OneHot'
  ).split(' '),
);

export function gradRule(op: string, domain = ''): GradRule | undefined {
  return domain === '' || domain === 'ai.onnx' ? RULES.get(op) : undefined;
}

/** Op types with a gradient rule, sorted (for messages and specs). */
export function gradOps(): string[] {
  return [...RULES.keys()].sort();
}
