// The hard-swish decomposition exporters write, x · Clip(x + 3, 0, 6) / 6 (four passes over the
// tensor), ⇒ x · HardSigmoid(x; α = 1/6, β = 1/2) (two passes; HardSigmoid exists at every opset,
// HardSwish only from 14). Exact up to float rounding: clip(x+3, 0, 6)/6 = clip(x/6 + 1/2, 0, 1).

import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Match } from '../engine/pattern.ts';
import { p } from '../engine/pattern.ts';
import { defineRules, type Rule } from '../engine/rule.ts';

function scalar(t: Tensor | undefined): number | undefined {
  if (t?.dtype !== 'float32' || t.data.length !== 1) return undefined;
  return (t.data as Float32Array)[0];
}

/** Clip's bounds: inputs 1 and 2 (opset ≥ 11) or attributes min/max (before). */
function clipBounds(m: Match): [number | undefined, number | undefined] {
  const clip = m.node('clip');
  const bound = (i: number, attr: string) => {
    const name = clip.inputs[i];
    if (name) return scalar(m.graph.constant(name));
    const a = clip.attrs[attr];
    return typeof a === 'number' ? a : undefined;
  };
  return [bound(1, 'min'), bound(2, 'max')];
}

// x · Clip(x + 3, 0, 6) / 6 ⇒ x · HardSigmoid(x; α = 1/6, β = 1/2)
const hardswish: Rule = {
  name: 'hardswish-to-hardsigmoid',
  summary: 'x · Clip(x + 3, 0, 6) / 6 ⇒ x · HardSigmoid(x)',
  contract: { kind: 'exact' },
  pattern: p.op(
    'Div',
    p
      .op(
        'Mul',
        p.v('x'),
        p
          .op('Clip', p.op('Add', p.v('x2'), p.c('three')).commute(), p.opt(p.c('lo')), p.opt(p.c('hi')))
          .as('clip'),
      )
      .commute(),
    p.c('six'),
  ),
  check: (m) => {
    if (m.value('x') !== m.value('x2')) return 'the Add and the Mul read different values';
    if (scalar(m.tensor('three')) !== 3) return 'the added constant is not 3';
    if (scalar(m.tensor('six')) !== 6) return 'the divisor is not 6';
    const [lo, hi] = clipBounds(m);
    if (lo !== 0 || hi !== 6) return 'the Clip is not Clip(·, 0, 6)';
    return true;
  },
  rewrite: (m, _g, r) => {
    const x = m.value('x');
    const name = m.root.name ? `${m.root.name}_hardswish` : '';
    const hs = r.op('HardSigmoid', [x], {
      attrs: { alpha: 1 / 6, beta: 0.5 },
      name,
      output: `${x}_hardsigmoid`,
    });
    return [r.op('Mul', [x, hs], { name: name && `${name}_mul`, output: `${x}_hardswish` })];
  },
};

export const HARDSWISH_RULES = defineRules('hardswish', [hardswish]);
