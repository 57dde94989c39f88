// bn-gamma with the default cleanups: fold-batchnorm folds BN into the conv before the prune passes
// run, so a pass registered to run BEFORE the cleanups reads every BatchNormalization's γ and keeps
// it per producing Conv/ConvTranspose node; `prune channels { criterion bn-gamma }` scores a channel
// by these |γ| when no BN is left in its group (Network Slimming). Reads only; the model is unchanged.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Pass } from '../../engine/pass.ts';
import { option, word } from '../../plan/options.ts';
import type { Plan } from '../../plan/plan.ts';

const GAMMA = new WeakMap<Node, Float32Array>();

/** γ of the BatchNormalization that followed this conv before the cleanups, if one did. */
export const capturedGamma = (node: Node): Float32Array | undefined => GAMMA.get(node);

/** Records γ for every Conv/ConvTranspose → BatchNormalization pair of the model. */
export function captureGammas(model: Model): number {
  const g = model.graph;
  let n = 0;
  for (const bn of g.nodes) {
    if (bn.opType !== 'BatchNormalization') continue;
    const conv = g.producer(bn.inputs[0] ?? '');
    if (!conv || (conv.opType !== 'Conv' && conv.opType !== 'ConvTranspose')) continue;
    const gamma = g.constant(bn.inputs[1] ?? '');
    if (gamma?.dtype !== 'float32') continue;
    GAMMA.set(conv, (gamma.data as Float32Array).slice());
    n++;
  }
  return n;
}

/** The pre-cleanup pass: only when a statement asks for bn-gamma. */
export function gammaPass(plan: Plan): Pass {
  const wanted = plan.layers.some((l) =>
    l.actions.some(
      (a) =>
        a.kind === 'prune-structure' &&
        word(option(a.statement.options, 'criterion')?.values[0]) === 'bn-gamma',
    ),
  );
  return {
    name: 'prune-read-bn-gamma',
    run: (model, ctx) => {
      if (!wanted) return { changed: false };
      const n = captureGammas(model);
      ctx.log?.(`prune: read γ of ${n} BatchNormalization nodes before the cleanups`);
      return { changed: false };
    },
  };
}
