// Calibration Hessians H = Σ x·xᵀ of the inputs each selected layer's weight sees, in the column
// order of compiler/passes/weight-view.ts (Conv: im2col vectors per group, kernel position major), and the
// cross Grams X = Σ x̄·xᵀ against the same layer's inputs x̄ in the original (unpruned) model, taken
// at the same positions. Large feature maps are subsampled (every k-th output position).

import type { Node } from '../../../runtime/ir/node.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { convGeometry, PatchReader } from '../../linalg/patches.ts';
import { GramBuffer } from './gram.ts';

/** Output positions used per sample and conv layer at most. */
export const MAX_POSITIONS = 2048;

/** Per group: H = Σ x·xᵀ (cols × cols) and, when the original inputs are given, X = Σ x̄·xᵀ. */
export interface LayerGrams {
  cols: number;
  h: Float64Array[];
  x?: Float64Array[];
  /** Input vectors added per group (calibration rows behind H). */
  count?: number;
  /** Vectors not yet added (flushed by flushGrams / symmetrize). */
  buf?: GramBuffer[];
}

function buffers(acc: LayerGrams): GramBuffer[] {
  if (!acc.buf) acc.buf = acc.h.map((h, g) => new GramBuffer(acc.cols, h, acc.x?.[g]));
  return acc.buf;
}

export function flushGrams(acc: LayerGrams): void {
  for (const b of acc.buf ?? []) b.flush();
}

export function newGrams(groups: number, cols: number, cross: boolean): LayerGrams {
  const mk = () => Array.from({ length: groups }, () => new Float64Array(cols * cols));
  return { cols, h: mk(), x: cross ? mk() : undefined };
}

/**
 * Adds the im2col Grams of a 2-D conv's input x [N, C, H, W] (and the cross Grams with the original
 * input xo, same shape) per group; cols = cinG·kh·kw, + 1 for a constant-1 input with augment.
 * `offset` shifts the subsampled positions (vary it per sample).
 */
export function addConvPairGrams(
  acc: LayerGrams,
  node: Node,
  x: Tensor,
  xo: Tensor | undefined,
  wDims: readonly number[],
  maxPos = MAX_POSITIONS,
  augment = false,
  offset = 0,
): void {
  const geo = convGeometry(node, wDims);
  const reader = new PatchReader(x.dims, geo, 'yxc');
  const total = reader.positions;
  const size = reader.size;
  const cols = size + (augment ? 1 : 0);
  const step = Math.max(1, Math.ceil(total / maxPos));
  const d = x.data as Float32Array;
  const dOrig = xo?.data as Float32Array | undefined;
  const v = new Float64Array(cols);
  const vo = dOrig ? new Float64Array(cols) : undefined;
  if (augment) v[cols - 1] = 1;
  if (vo && augment) vo[cols - 1] = 1;
  const bufs = buffers(acc);
  for (let n = 0; n < x.dims[0]!; n++)
    for (let g = 0; g < geo.group; g++) {
      const buf = bufs[g]!;
      for (let p = (n * 7 + offset) % step; p < total; p += step) {
        reader.read(d, n, g, p, v);
        if (vo) reader.read(dOrig!, n, g, p, vo);
        buf.push(v, vo);
        if (g === 0) acc.count = (acc.count ?? 0) + 1;
      }
    }
}

/** The conv Grams into h[g] (no cross Grams); kept for the channel statistics. */
export function addConvGrams(
  h: Float64Array[],
  node: Node,
  x: Tensor,
  wDims: readonly number[],
  maxPos = MAX_POSITIONS,
  augment = false,
): void {
  const [, cinG, kh, kw] = wDims as number[];
  const cols = cinG! * kh! * kw! + (augment ? 1 : 0);
  const acc: LayerGrams = { cols, h };
  addConvPairGrams(acc, node, x, undefined, wDims, maxPos, augment);
  flushGrams(acc);
}

/** Gemm/MatMul: rows of x [..., K] (Gemm transA: columns of x [K, M]) and of the original xo. */
export function addMatrixPairGrams(acc: LayerGrams, x: Tensor, xo: Tensor | undefined, transA = false): void {
  const K = acc.cols;
  const d = x.data as Float32Array;
  const dOrig = xo?.data as Float32Array | undefined;
  const v = new Float64Array(K);
  const vo = dOrig ? new Float64Array(K) : undefined;
  const rows = d.length / K;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < K; i++) {
      const at = transA ? i * rows + r : r * K + i;
      v[i] = d[at]!;
      if (vo) vo[i] = dOrig![at]!;
    }
    buffers(acc)[0]!.push(v, vo);
    acc.count = (acc.count ?? 0) + 1;
  }
}

/** Copies the lower triangles of the H's onto their upper triangles. */
export function symmetrize(acc: LayerGrams): void {
  flushGrams(acc);
  const n = acc.cols;
  for (const h of acc.h) for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) h[k * n + i] = h[i * n + k]!;
}
