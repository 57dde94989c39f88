// ScatterElements (opset 11–18: reduction none, add, mul, max, min; negative indices), the op training
// graphs use to send gradients back to the elements a MaxPool, Gather or strided Slice picked.

import { UserError } from '../../errors.ts';
import type { Tensor } from '../../ir/tensor.ts';
import type { OpDef } from '../registry.ts';
import { attrInt, attrString, normAxis, requireInput, stridesOf, tensor, toNumbers } from './util.ts';

type Num = { [i: number]: number; length: number };

function scatterElements(inp: (Tensor | undefined)[], attrs: Parameters<OpDef['reference']>[1]): Tensor[] {
  const X = requireInput(inp[0], 'ScatterElements', 'data');
  const I = requireInput(inp[1], 'ScatterElements', 'indices');
  const U = requireInput(inp[2], 'ScatterElements', 'updates');
  const r = X.dims.length;
  const axis = normAxis(attrInt(attrs, 'axis', 0), r, 'ScatterElements');
  const reduction = attrString(attrs, 'reduction', 'none');
  if (!['none', 'add', 'mul', 'max', 'min'].includes(reduction))
    throw new UserError(`ScatterElements: unknown reduction '${reduction}'`);
  if (I.dims.length !== r || U.dims.some((d, i) => d !== I.dims[i]))
    throw new UserError(
      `ScatterElements: indices [${I.dims}] and updates [${U.dims}] must have the same shape, of rank ${r}`,
    );
  const out = tensor(X.dtype, X.dims, (X.data as unknown as { slice: () => Tensor['data'] }).slice());
  const o = out.data as unknown as Num;
  const u = U.data as unknown as Num;
  const idx = toNumbers(I);
  const xs = stridesOf(X.dims);
  const is = stridesOf(I.dims);
  const dim = X.dims[axis]!;
  for (let k = 0; k < idx.length; k++) {
    let j = idx[k]!;
    if (j < -dim || j >= dim)
      throw new UserError(`ScatterElements: index ${j} is out of range for axis ${axis} of size ${dim}`);
    if (j < 0) j += dim;
    let at = 0;
    let rest = k;
    for (let a = 0; a < r; a++) {
      const c = Math.floor(rest / is[a]!);
      rest -= c * is[a]!;
      at += (a === axis ? j : c) * xs[a]!;
    }
    const v = u[k]!;
    if (reduction === 'add') o[at] = o[at]! + v;
    else if (reduction === 'mul') o[at] = o[at]! * v;
    else if (reduction === 'max') o[at] = Math.max(o[at]!, v);
    else if (reduction === 'min') o[at] = Math.min(o[at]!, v);
    else o[at] = v;
  }
  return [out];
}

export const SCATTER_OPS: OpDef[] = [
  { type: 'ScatterElements', reference: (inp, attrs) => scatterElements(inp, attrs) },
];
