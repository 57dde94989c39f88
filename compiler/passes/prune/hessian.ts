// Calibration Hessians H = Σ x·xᵀ of the inputs each selected layer's weight sees, in the column
// order of compiler/prune/view.ts (Conv: im2col vectors per group, kernel position major), from one
// executor run over the calibration samples. Large feature maps are subsampled (every k-th position).

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';
import { addGram } from '../factorize/activations.ts';

/** Output positions used per sample and conv layer at most. */
const MAX_POSITIONS = 2048;

function ints(n: Node, name: string, dflt: number[]): number[] {
  const v = n.attrs[name];
  return Array.isArray(v) ? (v as number[]) : dflt;
}

/** Adds the im2col Grams of a 2-D conv's input x [N, C, H, W] into h[g] (cols = cinG·kh·kw, + 1 for a constant 1 with augment). */
export function addConvGrams(
  h: Float64Array[],
  node: Node,
  x: Tensor,
  wDims: readonly number[],
  maxPos = MAX_POSITIONS,
  augment = false,
): void {
  const [, cinG, kh, kw] = wDims as number[];
  const group = (node.attrs.group as number | undefined) ?? 1;
  const [N, C, H, W] = x.dims as number[];
  const [sh, sw] = ints(node, 'strides', [1, 1]);
  const [dh, dw] = ints(node, 'dilations', [1, 1]);
  const [pt, pl] = ints(node, 'pads', [0, 0, 0, 0]);
  const oh = Math.floor((H! + 2 * pt! - dh! * (kh! - 1) - 1) / sh!) + 1;
  const ow = Math.floor((W! + 2 * pl! - dw! * (kw! - 1) - 1) / sw!) + 1;
  const cols = cinG! * kh! * kw! + (augment ? 1 : 0);
  const step = Math.max(1, Math.ceil((oh * ow) / maxPos));
  const d = x.data as Float32Array;
  const v = new Float64Array(cols);
  if (augment) v[cols - 1] = 1;
  for (let n = 0; n < N!; n++)
    for (let g = 0; g < group; g++) {
      const acc = h[g]!;
      for (let p = (n * 7) % step; p < oh * ow; p += step) {
        const oy = Math.floor(p / ow);
        const ox = p % ow;
        for (let a = 0; a < kh!; a++)
          for (let b = 0; b < kw!; b++) {
            const iy = oy * sh! - pt! + a * dh!;
            const ix = ox * sw! - pl! + b * dw!;
            const inside = iy >= 0 && iy < H! && ix >= 0 && ix < W!;
            const s = a * kw! + b;
            for (let ci = 0; ci < cinG!; ci++)
              v[s * cinG! + ci] = inside ? d[((n * C! + g * cinG! + ci) * H! + iy) * W! + ix]! : 0;
          }
        for (let i = 0; i < cols; i++) {
          const vi = v[i]!;
          if (vi === 0) continue;
          const row = i * cols;
          for (let j = 0; j <= i; j++) acc[row + j]! += vi * v[j]!;
        }
      }
    }
}

export interface HessianJob {
  node: Node;
  /** Weight dims (Conv [cout, cinG, kh, kw]) or K for Gemm/MatMul. */
  wDims: readonly number[];
  groups: number;
  /** Columns of H (Conv with augment: cinG·kh·kw + 1). */
  cols: number;
  /** Conv: append a constant-1 input (its weight is the bias). */
  augment?: boolean;
}

/** Symmetric Hessians per job and group, summed over the samples. */
export async function layerHessians(
  model: Model,
  jobs: HessianJob[],
  samples: Sample[],
  progress?: (done: number, total: number) => void,
): Promise<Map<Node, Float64Array[]>> {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const names = [...new Set(jobs.map((j) => j.node.inputs[0]!))];
  const out = new Map<Node, Float64Array[]>(
    jobs.map((j) => [j.node, Array.from({ length: j.groups }, () => new Float64Array(j.cols * j.cols))]),
  );
  const session = await createSession(model, { observe: names });
  try {
    for (const [i, feeds] of samples.entries()) {
      const res = await session.run(feeds, { observe: names });
      for (const j of jobs) {
        const x = res[j.node.inputs[0]!];
        if (!x) throw new Error(`prune: the executor did not return ${j.node.inputs[0]}`);
        const h = out.get(j.node)!;
        if (j.node.opType === 'Conv') addConvGrams(h, j.node, x, j.wDims, undefined, j.augment);
        else addGram(h[0]!, j.cols, x, j.node.opType === 'Gemm' && j.node.attrs.transA === 1);
      }
      progress?.(i + 1, samples.length);
    }
  } finally {
    session.dispose();
  }
  for (const [j, hs] of out.entries()) {
    const n = jobs.find((x) => x.node === j)!.cols;
    for (const h of hs) for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) h[k * n + i] = h[i * n + k]!;
  }
  return out;
}
