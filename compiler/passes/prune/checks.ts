// What `squish check --model` and compile find before pruning runs: `criterion bn-gamma` on a group
// of channels with no BatchNormalization to read γ from (on the model as loaded, before cleanups).

import { type Diagnostic, diag } from '../../../dsl/diagnostics.ts';
import { findOption } from '../../../dsl/table/index.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { inferShapes } from '../../../runtime/ir/shape/index.ts';
import { nodesByLayer } from '../../engine/pass.ts';
import type { Plan, PlannedAction } from '../../plan/plan.ts';
import { type ChannelSettings, channelSettings } from './channel-options.ts';
import { groupJobs } from './channels.ts';
import { channelGroups } from './groups.ts';

export function pruneChecks(
  model: Model,
  plan: Plan & { inputShapes?: Record<string, unknown[]> },
): Diagnostic[] {
  const byLayer = nodesByLayer(model);
  const settingsOf = new Map<Node, ChannelSettings>();
  const nameOf = new Map<Node, string>();
  const actionOf = new Map<ChannelSettings, PlannedAction>();
  const cache = new Map<string, ChannelSettings>();
  for (const l of plan.layers) {
    const a = l.actions.find(
      (x) => x.kind === 'prune-structure' && x.statement.granularity?.kind === 'channels',
    );
    const n = byLayer.get(l.name);
    if (!a || !n) continue;
    let s = cache.get(a.from);
    if (!s) cache.set(a.from, (s = channelSettings(a)));
    actionOf.set(s, a);
    settingsOf.set(n, s);
    nameOf.set(n, l.name);
  }
  if (![...settingsOf.values()].some((s) => s.criterion === 'bn-gamma')) return [];
  const g = model.graph;
  const shapes = Object.fromEntries(
    Object.entries(plan.inputShapes ?? {}).filter(([, d]) => d.every((x) => typeof x === 'number')),
  ) as Record<string, number[]>;
  const types = inferShapes(g, { opset: model.opset('') ?? 17, inputShapes: shapes }).types;
  const { jobs } = groupJobs(
    channelGroups(g, (v) => types.get(v) ?? g.declaredType(v)),
    settingsOf,
    nameOf,
  );
  const out: Diagnostic[] = [];
  for (const j of jobs) {
    if (j.s.criterion !== 'bn-gamma' || j.hasBn) continue;
    const a = actionOf.get(j.s)!;
    const leader = nameOf.get(j.group.leaders[0]!) ?? j.group.leaders[0]!.name;
    const at = findOption(a.statement.options, 'criterion')!.values[0]!.span;
    out.push(
      diag(
        'SQ405',
        at,
        `criterion bn-gamma: ${leader} is not followed by a BatchNormalization to read γ from`,
        'use l1, l2 or activation for layers without BN, or narrow the selectors',
      ),
    );
  }
  return out;
}
