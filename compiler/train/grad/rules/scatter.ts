// The gradient of any op that picks input elements (MaxPool's argmax, strided Slice, reflect/edge Pad,
// Gather): the output gradient scattered back, added where one input element feeds several outputs.

import { makeTensor } from '../../../../runtime/ir/tensor.ts';
import { type Emitter, numel, type Shape } from '../../graph/emitter.ts';

/** dX of shape `xShape` from dY (`g`) and int64 flat indices into X, one per element of dY. */
export function scatterFlat(e: Emitter, g: string, indices: string, xShape: Shape, add: boolean): string {
  const m = numel(e.shape(g));
  const flatIdx = e.reshape(indices, [m]);
  const flatG = e.reshape(g, [m]);
  const n = numel(xShape);
  const out = e.op('ScatterElements', [e.zeros([n]), flatIdx, flatG], [n], {
    axis: 0,
    reduction: add ? 'add' : undefined,
  });
  return e.reshape(out, xShape);
}

/**
 * dX for an op whose output element k copies input element `source[k]` (−1: a constant, no input),
 * the map computed when the graph is built (shapes are static).
 */
export function scatterByMap(e: Emitter, g: string, source: Int32Array, xShape: Shape): string {
  const picked: number[] = [];
  const seen = new Set<number>();
  let repeats = false;
  for (let k = 0; k < source.length; k++) {
    const s = source[k]!;
    if (s < 0) continue;
    picked.push(k);
    if (seen.has(s)) repeats = true;
    seen.add(s);
  }
  let flat = e.reshape(g, [source.length]);
  if (picked.length < source.length) {
    const at = makeTensor('int64', [picked.length], BigInt64Array.from(picked, BigInt));
    flat = e.op('Gather', [flat, e.constant(at, 'gather_at')], [picked.length]);
  }
  const idx = makeTensor(
    'int64',
    [picked.length],
    BigInt64Array.from(picked, (k) => BigInt(source[k]!)),
  );
  return scatterFlat(e, flat, e.constant(idx, 'scatter_at'), xShape, repeats);
}
