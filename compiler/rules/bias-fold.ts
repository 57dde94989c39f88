// Conv | ConvTranspose → Add(per-channel constant) ⇒ the same op with the constant in its bias.
// Exact up to float rounding of b + c; lets a following BatchNormalization fold too.

import type { Match } from '../engine/pattern.ts';
import { type OpPattern, p } from '../engine/pattern.ts';
import { defineRules, type Rule } from '../engine/rule.ts';
import { f64, float32Like, setConstantInput } from './constants.ts';

function channelsOf(m: Match): number {
  const w = m.tensor('w')!;
  if (m.root.opType === 'Add' && m.node('conv').opType === 'ConvTranspose') {
    return w.dims[1] * ((m.node('conv').attrs.group as number | undefined) ?? 1);
  }
  return w.dims[0];
}

/** The constant adds one value per output channel (or one overall) without broadcasting the output up. */
function check(m: Match): true | string {
  const w = m.tensor('w');
  const c = m.tensor('c');
  if (w?.dtype !== 'float32' || w.dims.length < 3) return 'the weight is not a float32 constant of rank ≥ 3';
  if (c?.dtype !== 'float32') return 'the added value is not a float32 constant';
  const b = m.tensor('b');
  if (m.values.b !== undefined && b?.dtype !== 'float32') return 'the bias is not a float32 constant';
  const rank = w.dims.length;
  const channels = channelsOf(m);
  if (c.dims.length > rank) return 'the constant has a higher rank than the output';
  if (c.data.length === 1) return true;
  const axis = 1 - (rank - c.dims.length);
  for (let i = 0; i < c.dims.length; i++) {
    const want = i === axis ? channels : 1;
    if (c.dims[i] !== want) return `the constant of shape [${c.dims.join(', ')}] is not per channel`;
  }
  return true;
}

function rewrite(m: Match, g: import('../../runtime/ir/graph.ts').Graph): string[] {
  const conv = m.node('conv');
  const channels = channelsOf(m);
  const c = f64(m.tensor('c'))!;
  const b = f64(m.tensor('b'));
  const bias = new Float64Array(channels);
  for (let k = 0; k < channels; k++) bias[k] = Math.fround((b ? b[k] : 0) + (c.length === 1 ? c[0] : c[k]));
  setConstantInput(g, conv, 2, float32Like([channels], bias), `${conv.name || conv.opType}_bias`);
  return [conv.outputs[0]];
}

function rule(op: 'Conv' | 'ConvTranspose'): Rule {
  const conv: OpPattern = p.op(op, p.v('x'), p.c('w'), p.opt(p.c('b'))).as('conv');
  return {
    name: `fold-add-into-${op.toLowerCase()}`,
    summary: `${op} → Add(per-channel constant) ⇒ ${op} with bias`,
    contract: { kind: 'exact' },
    pattern: p.op('Add', conv, p.c('c')).commute(),
    check,
    rewrite,
  };
}

export const BIAS_FOLD_RULES = defineRules('bias-fold', [rule('Conv'), rule('ConvTranspose')]);
