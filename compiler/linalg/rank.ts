// Rank selection for truncated factorizations: `rank N`, `rank P%`, `energy P%`, rounding to a multiple.
//
// API: selectRank(S, spec, {full, totalEnergy, roundTo}) → r in [1, full].
//   rank N       → N (clamped);            rank P%  → round(P/100 · full), at least 1;
//   energy P%    → the smallest r whose leading σ² hold ≥ P% of the total squared spectrum
//                  (totalEnergy = ‖A‖_F² when S is only a partial spectrum);
//   roundTo N    → r rounded UP to a multiple of N, then clamped to full.
// discardedEnergy(S, r) and truncationError(S, r) = sqrt(Σ_{i≥r} σ_i²) (Eckart–Young).
// maxUsefulRank(m, n) = the largest r with r·(m + n) < m·n (a rank-r pair of factors is smaller than
// the m×n matrix only below it; at or above it the factorization should be skipped).

export type RankSpec =
  | { readonly kind: 'rank'; readonly n: number }
  | { readonly kind: 'percent'; readonly p: number }
  | { readonly kind: 'energy'; readonly p: number };

export interface RankOptions {
  /** Full rank, min(m, n); defaults to S.length. */
  full?: number;
  /** Σσ² of the whole spectrum when S holds only the leading values. */
  totalEnergy?: number;
  roundTo?: number;
}

export function selectRank(S: ArrayLike<number>, spec: RankSpec, opts: RankOptions = {}): number {
  const full = opts.full ?? S.length;
  if (full <= 0) return 0;
  let r: number;
  if (spec.kind === 'rank') r = Math.floor(spec.n);
  else if (spec.kind === 'percent') r = Math.round((spec.p / 100) * full);
  else {
    let total = opts.totalEnergy;
    if (total === undefined) {
      total = 0;
      for (let i = 0; i < S.length; i++) total += S[i]! * S[i]!;
    }
    const goal = (Math.min(100, Math.max(0, spec.p)) / 100) * total;
    let acc = 0;
    r = S.length === 0 ? full : S.length;
    for (let i = 0; i < S.length; i++) {
      acc += S[i]! * S[i]!;
      if (acc >= goal * (1 - 1e-12)) {
        r = i + 1;
        break;
      }
    }
    if (acc < goal * (1 - 1e-12)) r = full;
  }
  r = Math.max(1, Math.min(full, r));
  const q = opts.roundTo ?? 1;
  if (q > 1) r = Math.min(full, Math.ceil(r / q) * q);
  return r;
}

export function discardedEnergy(S: ArrayLike<number>, r: number): number {
  let s = 0;
  for (let i = r; i < S.length; i++) s += S[i]! * S[i]!;
  return s;
}

export const truncationError = (S: ArrayLike<number>, r: number): number => Math.sqrt(discardedEnergy(S, r));

export const maxUsefulRank = (m: number, n: number): number => Math.max(0, Math.ceil((m * n) / (m + n)) - 1);
