// Deep Compression relative-index encoding of sparse positions, with the padding rule for long gaps.
//
// API: relativeEncode(dense, bits) → {gaps, positions, fillers}: one entry per non-zero element,
//   gaps[i] = zeros skipped since the previous entry (position p_i = p_{i−1} + gaps[i] + 1, p_{−1} = −1),
//   each gap < 2^bits; a run of zeros longer than 2^bits − 1 gets filler entries (gap 2^bits − 1) that
//   point at a zero element (Han et al. 2016: "when the gap exceeds the bound, add a filler zero").
//   The caller stores dense[positions[i]] per entry (0 for fillers). Trailing zeros are implicit.
//   relativeDecode(gaps, length) → positions; a stream that runs past the tensor's length throws a
//   UserError instead of writing out of bounds.

import { relativeDecode as decodeRelative } from '../../runtime/sqz/relindex.ts';

export interface RelativeIndex {
  readonly gaps: Uint16Array;
  readonly positions: Uint32Array;
  readonly fillers: number;
}

export function relativeEncode(dense: ArrayLike<number>, bits: number): RelativeIndex {
  if (!(bits >= 1 && bits <= 16)) throw new RangeError(`relativeEncode: bits must be 1…16, got ${bits}`);
  const max = 2 ** bits - 1;
  const gaps: number[] = [];
  const positions: number[] = [];
  let fillers = 0;
  let last = -1;
  for (let i = 0; i < dense.length; i++) {
    if (dense[i] === 0) continue;
    let gap = i - last - 1;
    while (gap > max) {
      last += max + 1;
      gaps.push(max);
      positions.push(last);
      fillers++;
      gap = i - last - 1;
    }
    gaps.push(gap);
    positions.push(i);
    last = i;
  }
  return { gaps: Uint16Array.from(gaps), positions: Uint32Array.from(positions), fillers };
}

/** Positions from gaps: the runtime's decoder (the .sqz reader's; one implementation). */
export function relativeDecode(gaps: ArrayLike<number>, length: number): Uint32Array {
  return decodeRelative(gaps, length, 'a tensor');
}
