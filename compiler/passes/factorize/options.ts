// Reading one `factorize` action's options: rank spec, method, reconstruct, round (checked by the
// statement table).

import { findOption } from '../../../dsl/table/index.ts';
import type { RankSpec } from '../../linalg/rank.ts';
import { numberOption, wordOption } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';

export type FactorMethod = 'svd' | 'tucker' | 'spatial' | 'channel' | 'separable' | 'stacked';

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

const COMPACT = new Set(['separable', 'stacked']);

/** Without `rank` or `energy` the default is `energy 95%`. */
export function factorizeSettings(a: PlannedAction): FactorizeSettings {
  const st = a.statement;
  const rank = findOption(st.options, 'rank')?.values[0];
  const energy = numberOption(st, 'energy');
  let spec: RankSpec = { kind: 'energy', p: energy ?? 95 };
  if (rank?.kind === 'number')
    spec = rank.unit === '%' ? { kind: 'percent', p: rank.value } : { kind: 'rank', n: rank.value };
  const round = numberOption(st, 'round');
  return {
    spec,
    method: wordOption(st, 'method') as FactorMethod | undefined,
    // the compact designs are fitted on calibration data unless `reconstruct none` says otherwise
    dataAware:
      wordOption(st, 'reconstruct') === 'least-squares' ||
      (COMPACT.has(wordOption(st, 'method') ?? '') && wordOption(st, 'reconstruct') !== 'none'),
    roundTo: round,
    from: a.from,
  };
}
