// The exact cleanups that run unless the recipe says `cleanup none`: Identity/Dropout removal,
// constant folding, per-channel Add into conv bias, BatchNormalization folding, constant Mul/Add
// around a Conv into its weights and bias, hard-swish as x·HardSigmoid(x), duplicate-constant merging,
// dead-code removal.

import type { Pass } from '../engine/pass.ts';
import { AFFINE_FOLD_RULES } from '../rules/affine-fold.ts';
import { BIAS_FOLD_RULES } from '../rules/bias-fold.ts';
import { BN_FOLD_RULES } from '../rules/bn-fold.ts';
import { HARDSWISH_RULES } from '../rules/hardswish.ts';
import { IDENTITY_RULES } from '../rules/identity.ts';
import { constantFoldPass } from './constant-fold.ts';
import { dedupeConstantsPass } from './dedupe-constants.ts';
import { rulesPass } from './rules-pass.ts';

export const deadCodePass: Pass = {
  name: 'dead-code',
  run: (model) => {
    const r = model.graph.sweep();
    model.graph.sortTopologically();
    return { changed: r.nodes + r.initializers > 0 };
  },
  ensures: (model) => {
    const g = model.graph;
    for (const n of g.nodes) {
      for (const i of n.inputs)
        if (i && !g.defines(i) && !g.parent) return `node ${n.label} reads undefined value ${i}`;
    }
    return undefined;
  },
};

export function cleanupPasses(suffix = ''): Pass[] {
  const named = (p: Pass): Pass => ({ ...p, name: p.name + suffix });
  return [
    named(rulesPass('remove-identity', IDENTITY_RULES)),
    named(constantFoldPass),
    named(rulesPass('fold-bias', BIAS_FOLD_RULES)),
    named(rulesPass('fold-batchnorm', BN_FOLD_RULES)),
    named(rulesPass('fold-affine', AFFINE_FOLD_RULES)),
    named(rulesPass('hardswish', HARDSWISH_RULES)),
    named(dedupeConstantsPass),
    named(deadCodePass),
  ];
}
