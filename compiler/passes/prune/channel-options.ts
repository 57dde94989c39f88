// Reading one `prune channels` / `prune layers` action's options: sparsity, criterion, scope, round,
// min, reconstruct, seed; globalCounts for `prune channels { scope global }`.

import { numberOption, wordOption } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';
import { sparsityOf } from './options.ts';

export type ChannelCriterion = 'l1' | 'l2' | 'bn-gamma' | 'apoz' | 'activation' | 'taylor' | 'random';

export interface ChannelSettings {
  granularity: 'channels' | 'layers';
  p: number;
  criterion: ChannelCriterion;
  round: number;
  min: number;
  reconstruct: boolean;
  /** local: round(p·n) per dependency group; global: one ranking of group-normalized scores across the statement's groups. */
  scope: 'local' | 'global';
  seed: number;
  from: string;
  action: string;
}

/** One `prune channels`/`prune layers` action (checked: round/min/scope/reconstruct do nothing on layers). */
export function channelSettings(a: PlannedAction): ChannelSettings {
  const s = a.statement;
  const layers = s.granularity?.kind === 'layers';
  return {
    granularity: layers ? 'layers' : 'channels',
    p: sparsityOf(a, 0.25),
    criterion: (wordOption(s, 'criterion') ?? 'l1') as ChannelCriterion,
    round: layers ? 1 : (numberOption(s, 'round') ?? 1),
    min: layers ? 1 : Math.max(1, numberOption(s, 'min') ?? 1),
    reconstruct: !layers && wordOption(s, 'reconstruct') === 'least-squares',
    scope: layers ? 'local' : ((wordOption(s, 'scope') ?? 'local') as 'local' | 'global'),
    seed: numberOption(s, 'seed') ?? 0,
    from: a.from,
    action: a.action,
  };
}

/**
 * scope global: units removed per group from one ranking of all groups' units, each group's scores
 * divided by their mean (so groups of different scale compete fairly); round(p·Σn) in all, then each
 * group's kept count is rounded to a multiple of `round` and held at `min` or more (which can move
 * the total off round(p·Σn)). `blocked[i]` units of group i cannot be removed (not in its scores).
 */
export function globalCounts(
  scores: Float64Array[],
  total: number[],
  s: Pick<ChannelSettings, 'p' | 'round' | 'min'>,
): number[] {
  const all: { v: number; g: number }[] = [];
  scores.forEach((sc, g) => {
    let mean = 0;
    for (const v of sc) mean += v / sc.length;
    for (const v of sc) all.push({ v: mean > 0 ? v / mean : 0, g });
  });
  const want = Math.round(s.p * total.reduce((a, b) => a + b, 0));
  all.sort((a, b) => a.v - b.v || a.g - b.g);
  const counts = scores.map(() => 0);
  for (const { g } of all.slice(0, want)) counts[g]!++;
  return counts.map((k, g) => {
    const n = total[g]!;
    const blocked = n - scores[g]!.length;
    let kept = n - k;
    if (s.round > 1 && n >= s.round)
      kept = Math.min(
        Math.floor(n / s.round) * s.round,
        Math.max(s.round, Math.round(kept / s.round) * s.round),
      );
    kept = Math.max(kept, Math.min(n, s.min), Math.min(n, 1), blocked);
    return Math.max(0, n - kept);
  });
}

/** Channels kept out of n: n − round(p·n), rounded to a multiple of `round` (nearest, ≤ n), at least `min`. */
export function keptCount(n: number, s: Pick<ChannelSettings, 'p' | 'round' | 'min'>): number {
  let kept = n - Math.round(s.p * n);
  if (s.round > 1 && n >= s.round)
    kept = Math.min(
      Math.floor(n / s.round) * s.round,
      Math.max(s.round, Math.round(kept / s.round) * s.round),
    );
  if (kept < s.min) kept = Math.min(n, s.min);
  return Math.max(Math.min(n, 1), Math.min(n, kept));
}
