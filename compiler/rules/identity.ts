// Identity(x) ⇒ x and Dropout(x) (inference, mask unused) ⇒ x: no-op nodes removed.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Match } from '../engine/pattern.ts';
import { p } from '../engine/pattern.ts';
import { defineRules, type Rule } from '../engine/rule.ts';

/** A graph output may only take over x's name when x is not part of the graph's interface. */
function interfaceSafe(m: Match, g: Graph): true | string {
  const x = m.value('x');
  const out = m.root.outputs[0];
  if (!g.isOutput(out)) return true;
  if (g.isInput(x)) return 'it connects a graph input straight to a graph output';
  if (g.isOutput(x)) return 'both its input and output are graph outputs';
  if (g.constant(x)) return 'it turns a constant into a graph output';
  return true;
}

const identity: Rule = {
  name: 'remove-identity',
  summary: 'Identity(x) ⇒ x',
  contract: { kind: 'exact' },
  pattern: p.op('Identity', p.v('x')),
  check: interfaceSafe,
  rewrite: (m) => [m.value('x')],
};

const dropout: Rule = {
  name: 'remove-dropout',
  summary: 'Dropout(x) in inference ⇒ x',
  contract: { kind: 'exact' },
  pattern: p.op('Dropout', p.v('x'), p.opt(p.v('ratio')), p.opt(p.c('training'))),
  check: (m, g) => {
    const mask = m.root.outputs[1];
    if (mask && (g.consumers(mask).length || g.isOutput(mask))) return 'its mask output is used';
    const training = m.tensor('training');
    if (training && training.data.length === 1 && Number((training.data as Uint8Array)[0]) !== 0) {
      return 'training_mode is true';
    }
    if (m.values.training !== undefined && !training) return 'training_mode is not a constant';
    return interfaceSafe(m, g);
  },
  rewrite: (m) => [m.value('x'), ...m.root.outputs.slice(1).map(() => undefined)],
};

export const IDENTITY_RULES = defineRules('identity', [identity, dropout]);
