// Reading one fine-grained `prune` action's options (sparsity, criterion, scope, seed, reconstruct);
// UserError on anything this pass cannot do, naming the statement.

import { UserError } from '../../../runtime/errors.ts';
import { num, option, word } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';
import type { SparseUnit } from './masks.ts';

export type SparseCriterion = 'l1' | 'l2' | 'random' | 'sparsegpt';

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

const KNOWN = new Set(['sparsity', 'criterion', 'scope', 'seed', 'round', 'min', 'reconstruct']);
const CRITERIA = ['l1', 'l2', 'bn-gamma', 'apoz', 'activation', 'taylor', 'sparsegpt', 'random'];

/** Criterion word checked against the language's list; taylor is a clear "cannot yet". */
export function criterionWord(a: PlannedAction, dflt: string): string {
  const c = word(option(a.statement.options, 'criterion')?.values[0]) ?? dflt;
  if (!CRITERIA.includes(c)) {
    throw new UserError(
      `${a.from}: ${a.action} { criterion ${c} }: unknown criterion`,
      `use one of ${CRITERIA.join(', ')}`,
    );
  }
  if (c === 'taylor') {
    throw new UserError(
      `${a.from}: ${a.action} { criterion taylor } is not implemented yet: it needs gradients, which squish cannot compute`,
      'use l1, l2, activation (channels), apoz (channels) or sparsegpt (weights, N:M, kernels, blocks)',
    );
  }
  return c;
}

export function scopeWord(a: PlannedAction): 'local' | 'global' {
  const s = word(option(a.statement.options, 'scope')?.values[0]) ?? 'local';
  if (s !== 'local' && s !== 'global')
    throw new UserError(`${a.from}: ${a.action} { scope ${s} }: use local or global`);
  return s;
}

export function sparsityOf(a: PlannedAction, dflt: number): number {
  const v = option(a.statement.options, 'sparsity')?.values[0];
  if (!v) return dflt;
  const p = num(v, 'sparsity') as number;
  const frac = v.kind === 'number' && v.unit === '%' ? p / 100 : p;
  if (!(frac >= 0 && frac < 1)) {
    throw new UserError(
      `${a.from}: ${a.action} { sparsity ${a.options.sparsity} }: must be at least 0% and below 100%`,
    );
  }
  return frac;
}

export function sparseSettings(a: PlannedAction): SparseSettings {
  const s = a.statement;
  if (s.kind !== 'prune') throw new Error('sparseSettings: not a prune statement');
  for (const o of s.options ?? []) {
    if (!KNOWN.has(o.name)) {
      throw new UserError(
        `${a.from}: ${a.action} { ${o.name} } is not an option of prune`,
        'prune knows sparsity, criterion, scope, seed, reconstruct (and round, min for channels)',
      );
    }
    if (o.name === 'round' || o.name === 'min') {
      throw new UserError(
        `${a.from}: ${a.action} { ${o.name} } is not implemented yet for ${a.action} (only for prune channels)`,
        `remove ${o.name}; sparsegpt already updates the weights it keeps`,
      );
    }
  }
  const gr = s.granularity;
  let granularity: SparseSettings['granularity'];
  if (gr.kind === 'nm') {
    if (!(gr.n >= 0 && gr.n < gr.m)) throw new UserError(`${a.from}: ${gr.text}: N must be below M`);
    if (option(s.options, 'sparsity')) {
      throw new UserError(
        `${a.from}: ${a.action} { sparsity }: N:M fixes the sparsity (1 − N/M)`,
        'remove sparsity',
      );
    }
    granularity = { kind: 'nm', n: gr.n, m: gr.m };
  } else if (gr.kind === 'blocks') granularity = { kind: 'blocks', r: gr.r, c: gr.c };
  else if (gr.kind === 'weights' || gr.kind === 'kernels') granularity = { kind: gr.kind };
  else throw new UserError(`${a.from}: ${a.action} is not a fine-grained granularity`);
  const c = criterionWord(a, 'l1');
  if (c !== 'l1' && c !== 'l2' && c !== 'random' && c !== 'sparsegpt') {
    throw new UserError(
      `${a.from}: ${a.action} { criterion ${c} }: ${c} ranks channels; it applies to prune channels only`,
      'use l1, l2, random or sparsegpt',
    );
  }
  const scope = scopeWord(a);
  if (
    c === 'sparsegpt' &&
    scope === 'global' &&
    (granularity.kind === 'kernels' || granularity.kind === 'blocks')
  ) {
    throw new UserError(
      `${a.from}: ${a.action} { criterion sparsegpt  scope global } is not implemented yet for ${gr.kind}`,
      'use scope local (each layer loses the same share), or criterion l1/l2 with scope global',
    );
  }
  if (scope === 'global' && granularity.kind === 'nm') {
    throw new UserError(
      `${a.from}: ${a.action} { scope global }: N:M keeps N of every M weights in every layer; there is nothing to rank across layers`,
      'remove scope',
    );
  }
  const rec = word(option(s.options, 'reconstruct')?.values[0]);
  if (rec !== undefined && rec !== 'none' && rec !== 'least-squares')
    throw new UserError(`${a.from}: ${a.action} { reconstruct ${rec} }: use none or least-squares`);
  const seedV = option(s.options, 'seed')?.values[0];
  return {
    granularity,
    p: granularity.kind === 'nm' ? 1 - granularity.n / granularity.m : sparsityOf(a, 0.5),
    criterion: c,
    scope,
    seed: seedV ? (num(seedV, 'seed') as number) : 0,
    from: a.from,
    action: a.action,
    reconstruct: c === 'sparsegpt' ? rec !== 'none' : rec === 'least-squares',
  };
}
