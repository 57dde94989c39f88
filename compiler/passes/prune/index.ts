// The prune pass family: registers 'prune-sparse' (weights, N:M, kernels, blocks) and
// 'prune-structure' (channels, layers) with the lowering.
import {
  registerLossyCheck,
  registerLossyPass,
  registerLossyPrepass,
  registerLossyPreview,
} from '../../plan/lower.ts';
import { channelPass } from './channels.ts';
import { pruneChecks } from './checks.ts';
import { explainChannelGroups } from './explain.ts';
import { bnPass } from './gamma.ts';
import { sparsePass } from './sparse.ts';
import { taylorChecks } from './taylor.ts';

export { channelPass, pruneChannels } from './channels.ts';
export { explainChannelGroups, type GroupExplanation } from './explain.ts';
export { pruneSparse, sparsePass } from './sparse.ts';

registerLossyPass('prune-sparse', sparsePass);
registerLossyPass('prune-structure', channelPass);
registerLossyCheck('prune-structure', (m, p) => [
  ...pruneChecks(m, p),
  ...taylorChecks('prune-structure', m, p),
]);
registerLossyCheck('prune-sparse', (m, p) => taylorChecks('prune-sparse', m, p));
// bn-gamma and l1/l2 weight masks read BN before the cleanups fold it into the convs
registerLossyPrepass('prune-structure', (plan) => bnPass(plan, 'prune-structure'));
registerLossyPrepass('prune-sparse', (plan) => bnPass(plan, 'prune-sparse'));

// squish plan --explain: channel groups that will not be pruned, with the op or layer that blocks them
registerLossyPreview('prune-structure', (model, plan) => {
  const shapes = (plan as { inputShapes?: Record<string, number[]> }).inputShapes ?? {};
  return explainChannelGroups(model, plan, shapes)
    .filter((e) => e.reason)
    .map((e) => ({
      layer: e.leaders.join(' + '),
      statement: 'prune channels',
      from: e.from,
      reason: `channels not prunable: ${e.reason}`,
    }));
});
