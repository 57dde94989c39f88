// A model's answer to its task, read from one output tensor: the top-1 class per row, the greedy
// CTC label sequence per batch item, the binarized (or arg-max) map per batch item.

import type { Tensor } from '../../runtime/ir/tensor.ts';

/** The numbers of a numeric tensor (strings are not answers). */
export function numbersOf(t: Tensor): ArrayLike<number> {
  const d = t.data;
  if (Array.isArray(d)) throw new Error('fidelity needs numeric outputs, got strings');
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Array.from(d, Number);
  return d as ArrayLike<number>;
}

/** Index of the largest of `k` values from `at` (the first on ties). */
function argmaxAt(x: ArrayLike<number>, at: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (x[at + c]! > x[at + best]!) best = c;
  return best;
}

/** Top-1 class of every row of the last axis ([N, K] → N answers, [N, T, K] → N·T). */
export function top1(t: Tensor): number[] {
  const x = numbersOf(t);
  const k = t.dims[t.dims.length - 1] ?? 1;
  const out: number[] = [];
  for (let r = 0; r + k <= x.length; r += k) out.push(argmaxAt(x, r, k));
  return out;
}

/**
 * Greedy CTC decoding of [N, T, K] scores per batch item: the arg-max class per step, repeats
 * merged, blanks (class 0) dropped. The label sequences, not text: two models agree when these do.
 */
export function ctcGreedy(t: Tensor): number[][] {
  const x = numbersOf(t);
  const [n = 1, steps = 1, k = 1] = t.dims.length === 3 ? t.dims : [1, t.dims[0], t.dims[1]];
  const out: number[][] = [];
  for (let b = 0; b < n; b++) {
    const labels: number[] = [];
    let prev = -1;
    for (let s = 0; s < steps; s++) {
      const c = argmaxAt(x, (b * steps + s) * k, k);
      if (c !== prev && c !== 0) labels.push(c);
      prev = c;
    }
    out.push(labels);
  }
  return out;
}

/**
 * IoU of two maps per batch item ([N, C, …]): with one channel, of the pixels above `threshold`;
 * with several, of the arg-max class per pixel, averaged over the classes either map has
 * (a map pair with nothing in either scores 1).
 */
export function mapIoU(a: Tensor, b: Tensor, threshold: number): number[] {
  const x = numbersOf(a);
  const y = numbersOf(b);
  const n = a.dims[0] ?? 1;
  const channels = a.dims.length >= 3 ? (a.dims[1] ?? 1) : 1;
  const per = x.length / n;
  const plane = per / channels;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const base = i * per;
    out.push(channels === 1 ? binaryIoU(x, y, base, per, threshold) : classIoU(x, y, base, plane, channels));
  }
  return out;
}

function binaryIoU(x: ArrayLike<number>, y: ArrayLike<number>, at: number, len: number, threshold: number) {
  let inter = 0;
  let union = 0;
  for (let j = at; j < at + len; j++) {
    const p = x[j]! > threshold;
    const q = y[j]! > threshold;
    if (p && q) inter++;
    if (p || q) union++;
  }
  return union === 0 ? 1 : inter / union;
}

function classIoU(x: ArrayLike<number>, y: ArrayLike<number>, at: number, plane: number, channels: number) {
  const inter = new Float64Array(channels);
  const union = new Float64Array(channels);
  for (let p = 0; p < plane; p++) {
    let cx = 0;
    let cy = 0;
    for (let c = 1; c < channels; c++) {
      if (x[at + c * plane + p]! > x[at + cx * plane + p]!) cx = c;
      if (y[at + c * plane + p]! > y[at + cy * plane + p]!) cy = c;
    }
    if (cx === cy) {
      inter[cx]!++;
      union[cx]!++;
    } else {
      union[cx]!++;
      union[cy]!++;
    }
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < channels; c++) {
    if (union[c] === 0) continue;
    sum += inter[c]! / union[c]!;
    present++;
  }
  return present === 0 ? 1 : sum / present;
}
