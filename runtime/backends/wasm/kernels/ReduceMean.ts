// ReduceMean over the trailing axes (LayerNorm's statistics in PP-OCRv4 rec): the mean of each row.

import type { Code } from '../asm/code.ts';
import { registerWasmKernel, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { arg, share } from './common.ts';

/** mean_rows: [src, dst, rows, n] */
defineKernel('mean_rows', (c: Code) => {
  const src = arg(c, 0);
  const dst = arg(c, 1);
  const rows = arg(c, 2);
  const n = arg(c, 3);
  const r = c.local('i32');
  const s = c.local('i32');
  const i = c.local('i32');
  const n4 = c.local('i32');
  const sum = c.local('f32');
  const acc = c.local('v128');
  c.get(n).i32(-4).i32_and().set(n4);
  const { start, end } = share(c, rows);
  c.for(r, { local: start }, { local: end }, 1, () => {
    c.get(src).get(r).get(n).i32_mul().i32(2).i32_shl().i32_add().set(s);
    c.v128_f32x4([0, 0, 0, 0]).set(acc);
    c.for(i, 0, { local: n4 }, 4, () => {
      c.get(acc).get(s).get(i).i32(2).i32_shl().i32_add().v128_load().f32x4_add().set(acc);
    });
    c.get(acc).f32x4_extract_lane(0).get(acc).f32x4_extract_lane(1).f32_add();
    c.get(acc).f32x4_extract_lane(2).f32_add().get(acc).f32x4_extract_lane(3).f32_add().set(sum);
    c.for(i, { local: n4 }, { local: n }, 1, () => {
      c.get(sum).get(s).get(i).i32(2).i32_shl().i32_add().f32_load().f32_add().set(sum);
    });
    c.get(dst).get(r).i32(2).i32_shl().i32_add().get(sum).get(n).f32_convert_i32_s().f32_div().f32_store();
  });
});

const reduceMean: WasmKernel = {
  plan(node, io) {
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!x || !y) return undefined;
    const s = io.shape(x);
    const rank = s.dims.length;
    // axes from the attribute (before opset 18) or a constant input
    const given = node.inputs[1] ? io.constant(node.inputs[1]) : undefined;
    const raw = given
      ? Array.from(given.data as BigInt64Array, Number)
      : (node.attrs.axes as number[] | undefined);
    if (s.dtype !== 'float32' || rank === 0 || !raw?.length) return undefined;
    const axes = [...new Set(raw.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    // only trailing axes: each output is the mean of one contiguous row
    if (axes.some((a, i) => a !== rank - axes.length + i)) return undefined;
    const n = s.dims.slice(rank - axes.length).reduce((a, b) => a * b, 1);
    const rows = s.dims.slice(0, rank - axes.length).reduce((a, b) => a * b, 1);
    return [{ kernel: 'mean_rows', args: [{ value: x }, { value: y }, rows, n], work: rows * n }];
  },
};

registerWasmKernel('ReduceMean', reduceMean);
