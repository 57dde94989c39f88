// Reading one fine-grained `prune` action's options (sparsity, criterion, scope, seed, reconstruct);
// the statement table's checks have already rejected what this pass cannot do.

import { numberOption, wordOption } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';
import type { SparseUnit } from './masks.ts';

export type SparseCriterion = 'l1' | 'l2' | 'random' | 'sparsegpt' | 'taylor';

export interface SparseSettings {
  granularity: SparseUnit | { kind: 'nm'; n: number; m: number };
  /** Share of units removed, 0..1 (N:M: 1 − N/M). */
  p: number;
  criterion: SparseCriterion;
  scope: 'local' | 'global';
  seed: number;
  from: string;
  /** The statement as written, short (`prune 2:4`), for messages. */
  action: string;
  /**
   * Refit each layer towards the original model's outputs on calibration data (reconstruct
   * least-squares): sparsegpt before choosing its mask (its default), magnitude masks after.
   */
  reconstruct: boolean;
}

/** `sparsity P%` as a share 0..1, or the default. */
export function sparsityOf(a: PlannedAction, dflt: number): number {
  const p = numberOption(a.statement, 'sparsity');
  return p === undefined ? dflt : p / 100;
}

export function sparseSettings(a: PlannedAction): SparseSettings {
  const s = a.statement;
  const gr = s.granularity;
  let granularity: SparseSettings['granularity'];
  if (gr?.kind === 'nm') granularity = { kind: 'nm', n: gr.n, m: gr.m };
  else if (gr?.kind === 'blocks') granularity = { kind: 'blocks', r: gr.r, c: gr.c };
  else if (gr?.kind === 'weights' || gr?.kind === 'kernels') granularity = { kind: gr.kind };
  else throw new Error(`${a.from}: ${a.action} is not a fine-grained granularity`);
  const c = (wordOption(s, 'criterion') ?? 'l1') as SparseCriterion;
  const rec = wordOption(s, 'reconstruct');
  return {
    granularity,
    p: granularity.kind === 'nm' ? 1 - granularity.n / granularity.m : sparsityOf(a, 0.5),
    criterion: c,
    scope: (wordOption(s, 'scope') ?? 'local') as 'local' | 'global',
    seed: numberOption(s, 'seed') ?? 0,
    from: a.from,
    action: a.action,
    reconstruct: c === 'sparsegpt' ? rec !== 'none' : rec === 'least-squares',
  };
}
