// The held-apart split of the calibration samples: a seeded share that no fitting step sees
// (calibration ranges, GPTQ, SparseGPT, least squares, bias correction, the activation guard,
// cluster OBS, data-aware factorization, training) and the only samples fidelity is measured on.

import { rng, shuffled } from './random.ts';

/** `calibrate { holdout … }` when the recipe says nothing. */
export const DEFAULT_HOLDOUT = 0.25;
/** At least this many samples are held apart (when at least twice as many were loaded). */
export const MIN_HELD_APART = 3;

export interface HeldApartSplit<T> {
  /** What fitting steps see, in loading order. */
  fit: T[];
  /** What fidelity is measured on, in loading order; empty when nothing could be held apart. */
  heldApart: T[];
  /** Positions of the held-apart items among the loaded ones. */
  heldIndices: number[];
}

/** How many of `n` samples a share holds apart: at least a few, never all (fitting keeps one). */
export function heldApartCount(n: number, share: number): number {
  if (share <= 0 || n < 2) return 0;
  const few = Math.min(MIN_HELD_APART, Math.floor(n / 2));
  return Math.min(n - 1, Math.max(few, Math.round(n * share)));
}

/** The split of `items` for a holdout share, the same for the same seed (its own stream, not the file order's). */
export function holdApart<T>(items: readonly T[], share = DEFAULT_HOLDOUT, seed = 0): HeldApartSplit<T> {
  const count = heldApartCount(items.length, share);
  const order = shuffled(
    items.map((_, i) => i),
    rng((seed ^ 0x68656c64) >>> 0),
  );
  const held = new Set(order.slice(0, count));
  const heldIndices = [...held].sort((a, b) => a - b);
  return {
    fit: items.filter((_, i) => !held.has(i)),
    heldApart: heldIndices.map((i) => items[i]!),
    heldIndices,
  };
}
