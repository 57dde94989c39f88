// The prune pass family: registers 'prune-sparse' (weights, N:M, kernels, blocks) and
// 'prune-structure' (channels, layers) with the lowering.
import { registerLossyPass } from '../../plan/lower.ts';
import { channelPass } from './channels.ts';
import { sparsePass } from './sparse.ts';

export { channelPass, pruneChannels } from './channels.ts';
export { explainChannelGroups, type GroupExplanation } from './explain.ts';
export { pruneSparse, sparsePass } from './sparse.ts';

registerLossyPass('prune-sparse', sparsePass);
registerLossyPass('prune-structure', channelPass);
