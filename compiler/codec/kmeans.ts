// 1-D k-means for weight sharing (Deep Compression): zeros stay out of the clusters and stay zero.
//
// API: kmeans1d(values, k, {init: linear|kmeans++|density, maxIter, seed}) → {centroids (ascending,
//   Float32Array), labels (Int32Array, −1 for exact zeros), iterations, converged, sse, initSse}.
//   Lloyd iterations run on the sorted non-zero values (assignment by binary search of the midpoints,
//   O(n + k log n) per iteration) until the partition stops changing; sse/initSse are Σ(w − c)² over non-zeros after Lloyd and at
//   the initial centroids (nearest assignment), so sse ≤ initSse.
//   Inits: linear = evenly spaced over [min, max]; density = the values at CDF quantiles (j+½)/k;
//   kmeans++ = D²-weighted seeding from a seeded PRNG.
//   reconstructClusters(r) → Float32Array; codebookIndices(r) → {codebook, indices} with code 0 = 0.0
//   when zeros exist (indices as Uint8Array up to 256 entries, else Uint16Array) for Gather emission.

import { rng } from '../data/random.ts';

export type KmeansInit = 'linear' | 'kmeans++' | 'density';

export interface KmeansResult {
  readonly centroids: Float32Array;
  readonly labels: Int32Array;
  readonly iterations: number;
  readonly converged: boolean;
  readonly sse: number;
  readonly initSse: number;
}

/** Index of the first element of sorted `v` greater than x. */
function upperBound(v: Float64Array, x: number): number {
  let lo = 0;
  let hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Cluster j holds sorted values [ends[j−1], ends[j]): split at midpoints between centroids. */
function partition(v: Float64Array, c: Float64Array, ends: Int32Array): void {
  const k = c.length;
  for (let j = 0; j < k - 1; j++) ends[j] = upperBound(v, (c[j]! + c[j + 1]!) / 2);
  ends[k - 1] = v.length;
  for (let j = 1; j < k; j++) if (ends[j]! < ends[j - 1]!) ends[j] = ends[j - 1]!;
}

function sseOf(v: Float64Array, c: ArrayLike<number>, ends: Int32Array): number {
  let s = 0;
  let a = 0;
  for (let j = 0; j < c.length; j++) {
    const cj = c[j]!;
    for (let i = a; i < ends[j]!; i++) s += (v[i]! - cj) ** 2;
    a = ends[j]!;
  }
  return s;
}

function initCentroids(v: Float64Array, k: number, init: KmeansInit, seed: number): Float64Array {
  const n = v.length;
  const c = new Float64Array(k);
  const lo = v[0]!;
  const hi = v[n - 1]!;
  if (init === 'linear') {
    for (let j = 0; j < k; j++) c[j] = k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * j) / (k - 1);
  } else if (init === 'density') {
    for (let j = 0; j < k; j++) c[j] = v[Math.min(n - 1, Math.floor(((j + 0.5) / k) * n))]!;
  } else {
    const u = rng(seed);
    const d2 = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    c[0] = v[Math.floor(u() * n)]!;
    for (let j = 1; j < k; j++) {
      let total = 0;
      for (let i = 0; i < n; i++) {
        const d = (v[i]! - c[j - 1]!) ** 2;
        if (d < d2[i]!) d2[i] = d;
        total += d2[i]!;
      }
      if (total === 0) {
        c[j] = c[j - 1]!;
        continue;
      }
      let t = u() * total;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        t -= d2[i]!;
        if (t < 0) {
          pick = i;
          break;
        }
      }
      c[j] = v[pick]!;
    }
    c.sort();
  }
  return c;
}

export function kmeans1d(
  values: ArrayLike<number>,
  k: number,
  opts: { init?: KmeansInit; maxIter?: number; seed?: number } = {},
): KmeansResult {
  if (!(k >= 1)) throw new RangeError(`kmeans: need at least 1 cluster, got ${k}`);
  const labels = new Int32Array(values.length).fill(-1);
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`kmeans: value ${i} is ${v} (NaN or infinite)`);
    if (v !== 0) idx.push(i);
  }
  if (idx.length === 0) {
    return { centroids: new Float32Array(k), labels, iterations: 0, converged: true, sse: 0, initSse: 0 };
  }
  idx.sort((a, b) => values[a]! - values[b]!);
  const v = Float64Array.from(idx, (i) => values[i]!);
  const c = initCentroids(v, k, opts.init ?? 'linear', opts.seed ?? 1);
  const ends = new Int32Array(k);
  partition(v, c, ends);
  const initSse = sseOf(v, c, ends);
  const prev = new Int32Array(k);
  const maxIter = opts.maxIter ?? 1000;
  let it = 0;
  let converged = false;
  while (it < maxIter) {
    it++;
    let a = 0;
    for (let j = 0; j < k; j++) {
      const b = ends[j]!;
      if (b > a) {
        // Direct sums (not prefix differences, which cancel tiny values next to large ones).
        let sum = 0;
        for (let i = a; i < b; i++) sum += v[i]!;
        c[j] = sum / (b - a);
      }
      a = b;
    }
    prev.set(ends);
    partition(v, c, ends);
    let same = true;
    for (let j = 0; j < k; j++) if (ends[j] !== prev[j]) same = false;
    if (same) {
      converged = true;
      break;
    }
  }
  const sse = sseOf(v, c, ends);
  let a = 0;
  for (let j = 0; j < k; j++) {
    for (let i = a; i < ends[j]!; i++) labels[idx[i]!] = j;
    a = ends[j]!;
  }
  return { centroids: Float32Array.from(c), labels, iterations: it, converged, sse, initSse };
}

export function reconstructClusters(r: KmeansResult): Float32Array {
  const out = new Float32Array(r.labels.length);
  for (let i = 0; i < out.length; i++) {
    const l = r.labels[i]!;
    if (l >= 0) out[i] = r.centroids[l]!;
  }
  return out;
}

export function codebookIndices(r: KmeansResult): {
  codebook: Float32Array;
  indices: Uint8Array | Uint16Array;
} {
  const hasZero = r.labels.some((l) => l < 0);
  const k = r.centroids.length;
  const codebook = new Float32Array(k + (hasZero ? 1 : 0));
  codebook.set(r.centroids, hasZero ? 1 : 0);
  const indices = codebook.length <= 256 ? new Uint8Array(r.labels.length) : new Uint16Array(r.labels.length);
  for (let i = 0; i < indices.length; i++) indices[i] = r.labels[i]! + (hasZero ? 1 : 0);
  return { codebook, indices };
}
