// The prune pass family: registers 'prune-sparse' (weights, N:M, kernels, blocks) with the lowering.
import { registerLossyPass } from '../../plan/lower.ts';
import { sparsePass } from './sparse.ts';

export { pruneSparse, sparsePass } from './sparse.ts';

registerLossyPass('prune-sparse', sparsePass);
