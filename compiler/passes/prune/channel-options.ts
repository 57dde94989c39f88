// Reading one `prune channels` / `prune layers` action's options: sparsity, criterion, scope, round,
// min, reconstruct, seed; globalCounts for `prune channels { scope global }`.

import { UserError } from '../../../runtime/errors.ts';
import { num, option, word } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';
import { criterionWord, scopeWord, sparsityOf } from './options.ts';

export type ChannelCriterion = 'l1' | 'l2' | 'bn-gamma' | 'apoz' | 'activation' | 'random';

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

const KNOWN = new Set(['sparsity', 'criterion', 'scope', 'seed', 'round', 'min', 'reconstruct']);

export function channelSettings(a: PlannedAction): ChannelSettings {
  const s = a.statement;
  if (s.kind !== 'prune') throw new Error('channelSettings: not a prune statement');
  const layers = s.granularity.kind === 'layers';
  if (layers) {
    for (const o of ['round', 'min', 'reconstruct'])
      if (option(s.options, o))
        throw new UserError(`${a.from}: prune layers { ${o} } is not implemented yet`, `remove ${o}`);
  }
  for (const o of s.options ?? []) {
    if (!KNOWN.has(o.name)) {
      throw new UserError(
        `${a.from}: ${a.action} { ${o.name} } is not an option of prune`,
        'prune channels knows sparsity, criterion, round, min, reconstruct, seed',
      );
    }
  }
  const c = criterionWord(a, 'l1');
  if (c === 'sparsegpt') {
    throw new UserError(
      `${a.from}: ${a.action} { criterion sparsegpt }: sparsegpt prunes single weights (weights, N:M), not channels`,
      'use l1, l2, bn-gamma, apoz, activation or random',
    );
  }
  const scope = scopeWord(a);
  if (scope === 'global' && layers) {
    throw new UserError(
      `${a.from}: prune layers { scope global } is not implemented yet (layers are always ranked across the selection)`,
      'remove scope',
    );
  }
  const rec = word(option(s.options, 'reconstruct')?.values[0]) ?? 'none';
  if (rec !== 'none' && rec !== 'least-squares') {
    throw new UserError(`${a.from}: ${a.action} { reconstruct ${rec} }: use none or least-squares`);
  }
  const int = (name: string, dflt: number): number => {
    const v = option(s.options, name)?.values[0];
    if (!v) return dflt;
    const n = num(v, name) as number;
    if (!(Number.isInteger(n) && n >= 1))
      throw new UserError(`${a.from}: ${a.action} { ${name} ${a.options[name]} }: needs a whole number ≥ 1`);
    return n;
  };
  const seedV = option(s.options, 'seed')?.values[0];
  return {
    granularity: layers ? 'layers' : 'channels',
    p: sparsityOf(a, 0.25),
    criterion: c as ChannelCriterion,
    round: int('round', 1),
    min: int('min', 1),
    reconstruct: rec === 'least-squares',
    scope,
    seed: seedV ? (num(seedV, 'seed') as number) : 0,
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
