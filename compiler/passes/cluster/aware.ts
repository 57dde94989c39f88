// Data-aware weight sharing of one layer: starting from the k-means codebook, alternate OBS
// assignment (obs.ts) and a least-squares refit of the codebook on the calibration Hessians (the
// data-aware stand-in for Deep Compression's centroid fine-tuning), keeping the best pair seen.
// Codebook values are float32 (what the model stores), so the reported error is the model's.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { weightView } from '../weight-view.ts';
import { addNormalEquations, keepBetterRows, obsAssign, outputError, solveCodebook } from './obs.ts';

/** OBS assign → refit rounds. */
const ROUNDS = 2;
/** Codebooks larger than this are not refit (the normal equations are K × K). */
const MAX_REFIT = 256;

export interface AwareResult {
  labels: Int32Array;
  centroids: Float32Array;
  relOutputError: number;
  relNearestError: number;
}

export function dataAware(
  model: Model,
  n: Node,
  data: Float32Array,
  centroids: Float32Array,
  hessians: Float64Array[],
): AwareResult | undefined {
  const m = weightView(model.graph, n);
  if (!m || hessians.length !== m.groups) return undefined;
  const K = centroids.length;
  const ws = hessians.map((_, g) => {
    const w = new Float64Array(m.rows * m.cols);
    for (let r = 0; r < m.rows; r++)
      for (let c = 0; c < m.cols; c++) w[r * m.cols + c] = data[m.idx(g, r, c)]!;
    return w;
  });
  let energy = 0;
  const zero = new Int32Array(m.rows * m.cols).fill(-1);
  for (const [g, w] of ws.entries())
    energy += outputError(w, m.rows, m.cols, hessians[g]!, zero, new Float64Array(0));
  let book = Float64Array.from(centroids);
  let best: { labels: Int32Array[]; book: Float64Array; err: number } | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const labels = ws.map((w, g) => obsAssign(w, m.rows, m.cols, hessians[g]!, book).labels);
    const err = ws.reduce((s, w, g) => s + outputError(w, m.rows, m.cols, hessians[g]!, labels[g]!, book), 0);
    if (!best || err < best.err) best = { labels, book, err };
    if (K > MAX_REFIT) break;
    const A = new Float64Array(K * K);
    const b = new Float64Array(K);
    for (const [g, w] of ws.entries())
      addNormalEquations(w, m.rows, m.cols, hessians[g]!, labels[g]!, K, A, b);
    const solved = solveCodebook(A, b, book);
    if (!solved) break;
    // float32 as stored; ascending for nearest(); labels follow the new order
    const order = Array.from(solved.keys()).sort((i, j) => Math.fround(solved[i]!) - Math.fround(solved[j]!));
    const refit = Float64Array.from(order, (i) => Math.fround(solved[i]!));
    const rank = new Int32Array(K);
    for (const [to, from] of order.entries()) rank[from] = to;
    const relabeled = labels.map((l) => l.map((x) => (x < 0 ? -1 : rank[x]!)));
    const errRefit = ws.reduce(
      (s, w, g) => s + outputError(w, m.rows, m.cols, hessians[g]!, relabeled[g]!, refit),
      0,
    );
    if (errRefit < best.err) best = { labels: relabeled, book: refit, err: errRefit };
    book = refit;
  }
  // per row, nearest-centroid assignment on the final codebook where it is better
  const final = best!;
  let err = 0;
  let nearestErr = 0;
  for (const [g, w] of ws.entries()) {
    const r = keepBetterRows(w, m.rows, m.cols, hessians[g]!, final.labels[g]!, final.book);
    err += r.err;
    nearestErr += r.nearestErr;
  }
  const labels = new Int32Array(data.length).fill(-1);
  for (let g = 0; g < m.groups; g++)
    for (let r = 0; r < m.rows; r++)
      for (let c = 0; c < m.cols; c++) labels[m.idx(g, r, c)] = final.labels[g]![r * m.cols + c]!;
  const rel = (x: number) => (energy > 0 ? Math.sqrt(Math.max(0, x) / energy) : 0);
  return {
    labels,
    centroids: Float32Array.from(final.book),
    relOutputError: rel(err),
    relNearestError: rel(nearestErr),
  };
}
