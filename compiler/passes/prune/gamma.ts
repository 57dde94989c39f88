// BN as it was before the cleanups: fold-batchnorm folds BN into the conv before the prune passes
// run, so a pass registered to run BEFORE the cleanups reads every Conv → BatchNormalization pair and
// keeps, per conv node, γ and the fold scale s = γ/√(var + ε). `prune channels { criterion bn-gamma }`
// scores a channel by |γ| when no BN is left in its group (Network Slimming); l1/l2 weight masks
// divide a folded row by |s| so they rank the weights as the source model has them (an exact cleanup
// must not change what a criterion sees). Reads only, except `slimming λ` (slimming.ts): that trains
// the model first, so γ is read after training and before the cleanups fold BN.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { type Pass, type PassContext, passData, passDataKey } from '../../engine/pass.ts';
import { wordOption } from '../../plan/options.ts';
import type { Plan } from '../../plan/plan.ts';
import { slimPlan } from './slimming.ts';

interface CapturedBn {
  gamma: Float32Array;
  scale: Float64Array;
}

/** Per conv node, what its BatchNormalization was before the cleanups folded it (this run only). */
const BN = passDataKey('prune: BatchNormalization before the cleanups', () => new Map<Node, CapturedBn>());

type WithData = Pick<PassContext, 'data'>;

/** γ of the BatchNormalization that followed this conv before the cleanups, if one did. */
export const capturedGamma = (ctx: WithData, node: Node): Float32Array | undefined =>
  passData(ctx, BN).get(node)?.gamma;

/**
 * Per output channel, the factor the cleanups multiplied this conv's weight rows by (γ/√(var + ε)),
 * when its BN was folded; undefined when it had none or the BN is still in the graph.
 */
export function foldedScale(ctx: WithData, model: Model, node: Node): Float64Array | undefined {
  const c = passData(ctx, BN).get(node);
  if (!c) return undefined;
  const g = model.graph;
  const out = node.outputs[0] ?? '';
  if (g.consumers(out).some((n) => n.opType === 'BatchNormalization')) return undefined;
  return c.scale;
}

/** Records γ and s for every Conv/ConvTranspose → BatchNormalization pair of the model. */
export function captureBn(ctx: WithData, model: Model): number {
  const g = model.graph;
  const captured = passData(ctx, BN);
  let n = 0;
  for (const bn of g.nodes) {
    if (bn.opType !== 'BatchNormalization') continue;
    const conv = g.producer(bn.inputs[0] ?? '');
    if (!conv || (conv.opType !== 'Conv' && conv.opType !== 'ConvTranspose')) continue;
    const [gamma, v] = [g.constant(bn.inputs[1] ?? ''), g.constant(bn.inputs[4] ?? '')];
    if (gamma?.dtype !== 'float32' || v?.dtype !== 'float32' || v.data.length !== gamma.data.length) continue;
    const eps = Math.fround((bn.attrs.epsilon as number | undefined) ?? 1e-5);
    const gd = gamma.data as Float32Array;
    const vd = v.data as Float32Array;
    const scale = Float64Array.from(gd, (x, i) => x / Math.sqrt(vd[i]! + eps));
    captured.set(conv, { gamma: gd.slice(), scale });
    n++;
  }
  return n;
}

/** Whether a plan's prune statements read BN (bn-gamma, or l1/l2 weight masks). */
function readsBn(plan: Plan): boolean {
  return plan.layers.some((l) =>
    l.actions.some((a) => {
      const c = wordOption(a.statement, 'criterion');
      if (a.kind === 'prune-structure') return c === 'bn-gamma';
      return a.kind === 'prune-sparse' && (c === undefined || c === 'l1' || c === 'l2');
    }),
  );
}

/** The pre-cleanup pass (registered for both prune kinds; `owner` runs it when both are planned). */
export function bnPass(plan: Plan, owner: 'prune-structure' | 'prune-sparse'): Pass {
  const both = plan.layers.some((l) => l.actions.some((a) => a.kind === 'prune-structure'));
  const wanted = readsBn(plan) && (owner === 'prune-structure' || !both);
  return {
    name: `prune-read-bn:${owner}`,
    run: async (model, ctx) => {
      if (!wanted) return { changed: false };
      // slimming trains γ first (only the prune-structure prepass: slimming is a channels option)
      const slimmed = owner === 'prune-structure' && (await slimPlan(plan, model, ctx));
      const n = captureBn(ctx, model);
      ctx.log?.(`prune: read ${n} BatchNormalization nodes before the cleanups`);
      return { changed: slimmed };
    },
  };
}
