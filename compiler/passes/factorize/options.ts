// Reading one `factorize` action's options: rank spec, method, reconstruct, round (UserError on misuse).

import { UserError } from '../../../runtime/errors.ts';
import type { RankSpec } from '../../linalg/rank.ts';
import { num, option, word } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';

export type FactorMethod = 'svd' | 'tucker' | 'spatial' | 'channel';

export interface FactorizeSettings {
  spec: RankSpec;
  /** As written; undefined → svd for Gemm/MatMul, tucker for Conv. */
  method?: FactorMethod;
  dataAware: boolean;
  roundTo?: number;
  from: string;
  /** Emit even when it would not reduce params/FLOPs (specs: full-rank exactness). Not a recipe option. */
  force?: boolean;
  /**
   * Data-aware only: which spectrum `energy P%` reads. 'weights' (default): the plain SVD of W, so
   * the rank is plain SVD's and only the factors change (lower output error at that rank). 'output':
   * the whitened spectrum of W·L, whose energy the mean activation dominates (PP-OCRv4 rec's head
   * falls to rank 1 at 95% and no line decodes the same), so it is not the default.
   */
  rankFrom?: 'weights' | 'output';
}

const KNOWN = new Set(['rank', 'energy', 'method', 'reconstruct', 'round']);

/** Without `rank` or `energy` the default is `energy 95%`. */
export function factorizeSettings(a: PlannedAction): FactorizeSettings {
  const opts = a.statement.options;
  for (const o of opts ?? []) {
    if (!KNOWN.has(o.name)) {
      throw new UserError(
        `${a.from}: factorize { ${o.name} } is not implemented yet`,
        'remove the option (factorize knows rank, energy, method, reconstruct, round)',
      );
    }
  }
  const rank = option(opts, 'rank')?.values[0];
  const energy = option(opts, 'energy')?.values[0];
  let spec: RankSpec = { kind: 'energy', p: 95 };
  if (rank?.kind === 'number') {
    const v = num(rank, 'rank') as number;
    spec = rank.unit === '%' ? { kind: 'percent', p: v } : { kind: 'rank', n: v };
  } else if (energy) {
    spec = { kind: 'energy', p: num(energy, 'energy') as number };
  } else if (rank) {
    num(rank, 'rank');
  }
  const m = word(option(opts, 'method')?.values[0]);
  if (m !== undefined && m !== 'svd' && m !== 'tucker' && m !== 'spatial' && m !== 'channel') {
    throw new UserError(
      `${a.from}: factorize { method ${m} }: unknown method`,
      'use svd, tucker, spatial or channel',
    );
  }
  const rec = word(option(opts, 'reconstruct')?.values[0]) ?? 'none';
  const round = option(opts, 'round')?.values[0];
  return {
    spec,
    method: m as FactorMethod | undefined,
    dataAware: rec === 'least-squares',
    roundTo: round ? (num(round, 'round') as number) : undefined,
    from: a.from,
  };
}
