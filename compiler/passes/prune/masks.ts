// Fine-grained pruning masks written as zeros: units (single weights, k×k kernels, R×C blocks) ranked
// by a criterion per layer (scope local) or across layers (scope global), and N:M along the input axis.

import { rng } from '../../data/random.ts';
import type { WeightView } from '../weight-view.ts';

export type SparseUnit = { kind: 'weights' } | { kind: 'kernels' } | { kind: 'blocks'; r: number; c: number };
export type MagnitudeCriterion = 'l1' | 'l2' | 'random';

/** The units of one weight: flat indices of unit u are idx[start[u] .. start[u+1]). */
export interface Units {
  start: Int32Array;
  idx: Int32Array;
}

export function unitsOf(v: WeightView, unit: SparseUnit): Units {
  const starts: number[] = [0];
  const idx: number[] = [];
  for (let g = 0; g < v.groups; g++) {
    if (unit.kind === 'weights') {
      for (let r = 0; r < v.rows; r++)
        for (let c = 0; c < v.cols; c++) {
          idx.push(v.idx(g, r, c));
          starts.push(idx.length);
        }
    } else if (unit.kind === 'kernels') {
      for (let r = 0; r < v.rows; r++)
        for (let ci = 0; ci < v.cinG; ci++) {
          for (let s = 0; s < v.kernel; s++) idx.push(v.idx(g, r, s * v.cinG + ci));
          starts.push(idx.length);
        }
    } else {
      for (let r0 = 0; r0 < v.rows; r0 += unit.r)
        for (let c0 = 0; c0 < v.cols; c0 += unit.c) {
          for (let r = r0; r < Math.min(v.rows, r0 + unit.r); r++)
            for (let c = c0; c < Math.min(v.cols, c0 + unit.c); c++) idx.push(v.idx(g, r, c));
          starts.push(idx.length);
        }
    }
  }
  return { start: Int32Array.from(starts), idx: Int32Array.from(idx) };
}

export const unitCount = (u: Units): number => u.start.length - 1;

/** Score of every unit: l1 = Σ|w|, l2 = √Σw², random = seeded uniform. */
export function unitScores(
  data: Float32Array,
  u: Units,
  criterion: MagnitudeCriterion,
  seed = 0,
): Float64Array {
  const n = unitCount(u);
  const out = new Float64Array(n);
  const next = criterion === 'random' ? rng(seed) : undefined;
  for (let k = 0; k < n; k++) {
    if (next) {
      out[k] = next();
      continue;
    }
    let s = 0;
    for (let i = u.start[k]!; i < u.start[k + 1]!; i++) {
      const w = data[u.idx[i]!]!;
      s += criterion === 'l1' ? Math.abs(w) : w * w;
    }
    out[k] = criterion === 'l2' ? Math.sqrt(s) : s;
  }
  return out;
}

/** Indices of the `k` lowest scores (ties: lower index first). */
export function lowest(scores: ArrayLike<number>, k: number): Int32Array {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  return Int32Array.from(order.slice(0, k));
}

/** Units removed for a share `p` (0..1) of n units: round(p·n). */
export const removedCount = (p: number, n: number): number => Math.round(p * n);

export function zeroUnits(data: Float32Array, u: Units, which: ArrayLike<number>): void {
  for (let j = 0; j < which.length; j++) {
    const k = which[j]!;
    for (let i = u.start[k]!; i < u.start[k + 1]!; i++) data[u.idx[i]!] = 0;
  }
}

export interface MaskLayer {
  data: Float32Array;
  units: Units;
  scores: Float64Array;
}

/**
 * Zeroes the lowest-scoring units: a share `p` of each layer's units (local) or of all units of all
 * layers together (global). Returns the units removed per layer.
 */
export function pruneUnits(layers: MaskLayer[], p: number, scope: 'local' | 'global'): number[] {
  if (scope === 'local') {
    return layers.map((l) => {
      const k = removedCount(p, l.scores.length);
      zeroUnits(l.data, l.units, lowest(l.scores, k));
      return k;
    });
  }
  const total = layers.reduce((s, l) => s + l.scores.length, 0);
  const all = new Float64Array(total);
  const owner = new Int32Array(total);
  let o = 0;
  layers.forEach((l, li) => {
    all.set(l.scores, o);
    owner.fill(li, o, o + l.scores.length);
    o += l.scores.length;
  });
  const chosen = lowest(all, removedCount(p, total));
  const per: number[][] = layers.map(() => []);
  const base: number[] = [];
  o = 0;
  for (const l of layers) {
    base.push(o);
    o += l.scores.length;
  }
  for (const k of chosen) per[owner[k]!]!.push(k - base[owner[k]!]!);
  for (const [li, l] of layers.entries()) zeroUnits(l.data, l.units, per[li]!);
  return per.map((x) => x.length);
}

/**
 * N:M along the input axis: in every run of M consecutive columns of each row, keep the N with the
 * highest |w| (or `scores`, one per element of v.data; random: seeded) and zero the other M − N.
 * cols must be a multiple of M.
 */
export function pruneNM(
  v: WeightView,
  n: number,
  m: number,
  criterion: MagnitudeCriterion,
  seed = 0,
  scores?: Float32Array,
): void {
  if (v.cols % m !== 0) throw new RangeError(`N:M: ${v.cols} inputs are not a multiple of ${m}`);
  const next = criterion === 'random' ? rng(seed) : undefined;
  const score = new Float64Array(m);
  const at = new Int32Array(m);
  for (let g = 0; g < v.groups; g++)
    for (let r = 0; r < v.rows; r++)
      for (let c0 = 0; c0 < v.cols; c0 += m) {
        for (let j = 0; j < m; j++) {
          at[j] = v.idx(g, r, c0 + j);
          score[j] = next ? next() : Math.abs((scores ?? v.data)[at[j]!]!);
        }
        for (const j of lowest(score, m - n)) v.data[at[j]!] = 0;
      }
}
