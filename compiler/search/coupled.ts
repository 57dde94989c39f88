// Search units for a plan whose `prune channels` options have ranges: the leaders of one channel
// group lose the same channels, so they take one value. The groups are those the prune pass sees:
// computed (by the pass's own code) on the model after the passes that run without the ranged
// actions, i.e. after the cleanups.

import type { Model } from '../../runtime/ir/model.ts';
import type { Sample } from '../data/calibration.ts';
import { coupledChannelLayers } from '../passes/prune/channels.ts';
import type { Plan } from '../plan/plan.ts';
import { choosePlan } from './choose.ts';
import { runPipeline } from './pipeline.ts';
import type { Knob, Specializer } from './space.ts';
import { type SearchUnit, searchUnits } from './units.ts';

/** Layers that must take one `prune channels` value: one list per channel group of 2+ ranged leaders. */
export async function channelCoupling(
  plan: Plan,
  knobs: Knob[],
  load: () => Model,
  samples: Sample[],
  specializer: Specializer,
): Promise<string[][]> {
  const channelKnobs = knobs.filter(
    (k) => k.kind === 'prune-structure' && k.statement.granularity?.kind === 'channels',
  );
  if (!channelKnobs.length) return [];
  const ranged = new Set(
    plan.layers
      .filter((l) => l.actions.some((a) => channelKnobs.some((k) => k.statement === a.statement)))
      .map((l) => l.name),
  );
  const loose = searchUnits(plan.layers, knobs);
  const none = choosePlan(
    plan,
    loose,
    loose.map((u) => u.knobs.map(() => 0)),
    specializer,
    { none: true },
  );
  const seen = (await runPipeline(load(), none, { samples, training: false })).model;
  return coupledChannelLayers(seen, samples)
    .map((grp) => grp.filter((l) => ranged.has(l)))
    .filter((grp) => grp.length > 1);
}

/** searchUnits with the model's channel groups coupled. */
export async function coupledUnits(
  plan: Plan,
  knobs: Knob[],
  load: () => Model,
  samples: Sample[],
  specializer: Specializer,
): Promise<SearchUnit[]> {
  return searchUnits(plan.layers, knobs, await channelCoupling(plan, knobs, load, samples, specializer));
}
