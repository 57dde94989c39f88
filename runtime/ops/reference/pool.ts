// Pooling: GlobalAveragePool, AveragePool (count_include_pad, ceil_mode), MaxPool (dilations).

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs, ValueType } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import { convParams } from './conv.ts';
import type { FArr } from './gemm.ts';
import { attrInt, attrInts, requireInput, tensor } from './util.ts';

function globalAvg(inp: (Tensor | undefined)[], max = false): Tensor[] {
  const X = requireInput(inp[0], max ? 'GlobalMaxPool' : 'GlobalAveragePool', 'X');
  if (X.dims.length < 3) throw new UserError(`GlobalAveragePool: input must have rank ≥ 3, got [${X.dims}]`);
  const NC = X.dims[0]! * X.dims[1]!;
  const P = sizeOf(X.dims.slice(2));
  const out = tensor(X.dtype, [X.dims[0]!, X.dims[1]!, ...X.dims.slice(2).map(() => 1)]);
  const x = X.data as FArr;
  const o = out.data as FArr;
  for (let c = 0; c < NC; c++) {
    if (max) {
      let m = -Infinity;
      for (let i = 0; i < P; i++) m = Math.max(m, x[c * P + i]!);
      o[c] = m;
      continue;
    }
    let s = 0;
    for (let i = 0; i < P; i++) s += x[c * P + i]!;
    o[c] = s / P;
  }
  return [out];
}

function pool(
  op: 'AveragePool' | 'MaxPool',
  inp: (Tensor | undefined)[],
  attrs: Attrs,
  wantIndices = false,
): Tensor[] {
  const X = requireInput(inp[0], op, 'X');
  const kernel = attrInts(attrs, 'kernel_shape');
  if (!kernel) throw new UserError(`${op}: attribute kernel_shape is required`);
  const spatial = X.dims.slice(2);
  const p = convParams(op, attrs, spatial, kernel);
  const includePad = attrInt(attrs, 'count_include_pad', 0);
  const H = spatial.length === 1 ? 1 : spatial[0]!;
  const W = spatial[spatial.length - 1]!;
  const { oh, ow } = p;
  const NC = X.dims[0]! * X.dims[1]!;
  const outDims = spatial.length === 1 ? [X.dims[0]!, X.dims[1]!, ow] : [X.dims[0]!, X.dims[1]!, oh, ow];
  const out = tensor(X.dtype, outDims);
  const x = X.data as FArr;
  const o = out.data as FArr;
  const isMax = op === 'MaxPool';
  // MaxPool's optional Indices: the argmax as a flat index into X (row-major, batch and channel included)
  const indices = isMax && wantIndices ? tensor('int64', outDims) : undefined;
  const ind = indices?.data as BigInt64Array | undefined;
  for (let c = 0; c < NC; c++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let acc = isMax ? -Infinity : 0;
        let arg = -1;
        let cnt = 0;
        let padCnt = 0;
        for (let ky = 0; ky < p.kh; ky++) {
          const iy = oy * p.sh - p.pt + ky * p.dh;
          for (let kx = 0; kx < p.kw; kx++) {
            const ix = ox * p.sw - p.pl + kx * p.dw;
            const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
            // padded cells count when they lie within the explicit pads (not the ceil_mode overhang)
            if (iy >= -p.pt && iy < H + p.pb && ix >= -p.pl && ix < W + p.pr) padCnt++;
            if (!inside) continue;
            const v = x[(c * H + iy) * W + ix]!;
            if (isMax) {
              if (v > acc || Number.isNaN(v) || arg < 0) {
                acc = v;
                arg = (c * H + iy) * W + ix;
              }
            } else acc += v;
            cnt++;
          }
        }
        o[(c * oh + oy) * ow + ox] = isMax ? acc : acc / (includePad ? padCnt : cnt);
        if (ind) ind[(c * oh + oy) * ow + ox] = BigInt(arg);
      }
  return indices ? [out, indices] : [out];
}

function poolType(inputs: (ValueType | undefined)[], attrs: Attrs): ValueType[] {
  const x = inputs[0];
  if (!x) return [];
  const kernel = attrInts(attrs, 'kernel_shape');
  if (!x.shape || !kernel || x.shape.slice(2).some((d) => typeof d !== 'number'))
    return [{ dtype: x.dtype, shape: undefined }];
  const spatial = x.shape.slice(2) as number[];
  const p = convParams('pool', attrs, spatial, kernel);
  return [
    { dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...(spatial.length === 1 ? [p.ow] : [p.oh, p.ow])] },
  ];
}

export const POOL_OPS: OpDef[] = [
  {
    type: 'GlobalAveragePool',
    shape: (inputs) => {
      const x = inputs[0];
      if (!x) return [];
      return [
        {
          dtype: x.dtype,
          shape: x.shape ? [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] : undefined,
        },
      ];
    },
    reference: (inp) => globalAvg(inp),
  },
  { type: 'GlobalMaxPool', reference: (inp) => globalAvg(inp, true) },
  { type: 'AveragePool', shape: poolType, reference: (inp, attrs) => pool('AveragePool', inp, attrs) },
  {
    type: 'MaxPool',
    shape: poolType,
    reference: (inp, attrs, ctx) => pool('MaxPool', inp, attrs, (ctx.nOutputs ?? 1) > 1),
  },
];
