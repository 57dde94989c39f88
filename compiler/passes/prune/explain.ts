// What `prune channels` will do to each dependency group of a model, without running anything: the
// coupled leader layers, channel count, and — when a group cannot be pruned — which op and why.
// For `squish plan` (not wired there yet) and for reports.

import type { Model } from '../../../runtime/ir/model.ts';
import { inferShapes } from '../../../runtime/ir/shape/index.ts';
import { nodesByLayer } from '../../engine/pass.ts';
import type { Plan } from '../../plan/plan.ts';
import { channelGroups } from './groups.ts';

export interface GroupExplanation {
  /** Layers whose output channels the group removes together. */
  leaders: string[];
  channels: number;
  /** Channels that cannot be removed, and why (the first reason). */
  blockedChannels: number;
  /** Set when no channel of the group will be pruned. */
  reason?: string;
  /** `file:line` of the statement that selects the group. */
  from: string;
}

export function explainChannelGroups(
  model: Model,
  plan: Plan,
  inputShapes: Record<string, number[]> = {},
): GroupExplanation[] {
  const g = model.graph;
  const byLayer = nodesByLayer(model);
  const fromOf = new Map<unknown, string>();
  const names = new Map<unknown, string>();
  for (const l of plan.layers) {
    const a = l.actions.find(
      (x) =>
        x.kind === 'prune-structure' &&
        x.statement.kind === 'prune' &&
        x.statement.granularity?.kind === 'channels',
    );
    const n = byLayer.get(l.name);
    if (n) names.set(n, l.name);
    if (a && n) fromOf.set(n, a.from);
  }
  if (fromOf.size === 0) return [];
  const types = inferShapes(g, { opset: model.opset('') ?? 17, inputShapes }).types;
  const out: GroupExplanation[] = [];
  for (const grp of channelGroups(g, (v) => types.get(v) ?? g.declaredType(v))) {
    const sel = grp.leaders.filter((l) => fromOf.has(l));
    if (!sel.length) continue;
    const leaders = grp.leaders.map((l) => names.get(l) ?? l.name);
    const other = grp.leaders.find((l) => !fromOf.has(l));
    const blocked = grp.units.filter((u) => u.blocked);
    out.push({
      leaders,
      channels: grp.units.length,
      blockedChannels: blocked.length,
      from: fromOf.get(sel[0]!)!,
      ...(other
        ? {
            reason: `coupled with ${other.opType} ${names.get(other) ?? other.name}, which the statement does not select`,
          }
        : grp.blocked
          ? { reason: grp.blocked }
          : {}),
    });
  }
  return out;
}
