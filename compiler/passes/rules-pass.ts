// A pass that applies one rule family to a fixpoint, counting matches and near-misses.

import { applyRules } from '../engine/driver.ts';
import type { Pass } from '../engine/pass.ts';
import type { RuleSet } from '../engine/rule.ts';

export function rulesPass(name: string, set: RuleSet): Pass {
  return {
    name,
    run: (model, ctx) => ({ changed: applyRules(model.graph, set, ctx.stats) }),
  };
}
