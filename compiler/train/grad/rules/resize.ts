// Gradient of Resize (any mode: nearest, linear, cubic; every coordinate mode). Resize is linear and
// separable, Y = A_H·X·A_Wᵀ per plane, so dX = A_Hᵀ·dY·A_W. The per-axis matrices A are computed when
// the graph is built by running the reference Resize kernel on basis vectors (the same arithmetic
// as the forward op), and become constants of two MatMuls.

import { UserError } from '../../../../runtime/errors.ts';
import { makeTensor, type Tensor } from '../../../../runtime/ir/tensor.ts';
import '../../../../runtime/ops/reference/index.ts';
import { getOp } from '../../../../runtime/ops/registry.ts';
import { defineGradRules, type GradContext } from '../rule.ts';

/** A[o, j] for one axis: Resize of inputs whose channel j is the basis vector e_j along `axis`. */
function axisMatrix(c: GradContext, axis: number, rank: number, inN: number, outN: number): Float32Array {
  const dims = new Array(rank).fill(1);
  dims[1] = inN;
  dims[axis] = inN;
  const x = makeTensor('float32', dims);
  const xd = x.data as Float32Array;
  for (let j = 0; j < inN; j++) xd[j * inN + j] = 1;
  const [, roi, scales] = c.node.inputs;
  const given = (name: string | undefined) => (name ? c.graph.constant(name) : undefined);
  const scaleT = given(scales);
  const inputs: (Tensor | undefined)[] = [x, given(roi), undefined, undefined];
  if (scaleT && scaleT.data.length > 0) {
    const s = new Float32Array(rank).fill(1);
    s[axis] = (scaleT.data as Float32Array)[axis]!;
    inputs[2] = makeTensor('float32', [rank], s);
  } else {
    const sz = dims.map(BigInt);
    sz[axis] = BigInt(outN);
    inputs[3] = makeTensor('int64', [rank], BigInt64Array.from(sz));
  }
  const y = getOp('Resize')!.reference(inputs, c.node.attrs, { opset: c.emit.opset }) as Tensor[];
  // y is [1, inN, 1…, outN, 1…]: y[j, o] = A[o, j]
  const yd = y[0]!.data as Float32Array;
  const A = new Float32Array(outN * inN);
  for (let j = 0; j < inN; j++) for (let o = 0; o < outN; o++) A[o * inN + j] = yd[j * outN + o]!;
  return A;
}

function resizeGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const x = c.node.inputs[0]!;
  const xs = e.shape(x);
  const ys = e.shape(c.node.outputs[0]!);
  const r = xs.length;
  if (xs[0] !== ys[0] || xs[1] !== ys[1] || r < 3 || r > 4 || xs.length !== ys.length)
    throw new UserError(
      `Resize '${c.node.label}': training supports resizing the spatial axes of a 3-D or 4-D tensor (got [${xs}] → [${ys}])`,
    );
  if (c.node.inputs[1] && String(c.node.attrs.coordinate_transformation_mode) === 'tf_crop_and_resize')
    throw new UserError(`Resize '${c.node.label}': tf_crop_and_resize has no gradient rule`);
  let g = c.grads[0]!;
  // last axis: dY·A_W ([…, OW] × [OW, W]); the axis before: A_Hᵀ·(…) ([H, OH] × […, OH, W])
  const last = r - 1;
  if (xs[last] !== ys[last] || r === 3) {
    const A = axisMatrix(c, last, r, xs[last]!, ys[last]!);
    g = e.matmul(g, e.constant(makeTensor('float32', [ys[last]!, xs[last]!], A), 'resize_w'));
  }
  if (r === 4 && xs[2] !== ys[2]) {
    const A = axisMatrix(c, 2, r, xs[2]!, ys[2]!);
    const At = new Float32Array(A.length);
    for (let o = 0; o < ys[2]!; o++) for (let j = 0; j < xs[2]!; j++) At[j * ys[2]! + o] = A[o * xs[2]! + j]!;
    g = e.matmul(e.constant(makeTensor('float32', [xs[2]!, ys[2]!], At), 'resize_h'), g);
  }
  return [g];
}

export const RESIZE_GRADS = defineGradRules('resize', [
  {
    op: 'Resize',
    summary: 'dX = A_Hᵀ·dY·A_W (A: the interpolation matrices)',
    inputs: [0],
    backward: resizeGrad,
  },
]);
