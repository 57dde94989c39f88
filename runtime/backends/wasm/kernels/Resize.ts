// Resize, nearest neighbour at integer upscale factors (the FPN upsampling of PP-OCR det): one pass
// writing each output row from its source row; a factor of 2 along x duplicates lanes by shuffle.

import { nearestUpscale } from '../../geometry.ts';
import type { Code } from '../asm/code.ts';
import { registerWasmKernel, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { arg, share } from './common.ts';

/** upscale_nearest: [src, dst, source rows (N·C·H), W, sy, sx] */
defineKernel('upscale_nearest', (c: Code) => {
  const src = arg(c, 0);
  const dst = arg(c, 1);
  const rows = arg(c, 2);
  const W = arg(c, 3);
  const sy = arg(c, 4);
  const sx = arg(c, 5);
  const total = c.local('i32');
  const r = c.local('i32');
  const s = c.local('i32');
  const d = c.local('i32');
  const x = c.local('i32');
  const k = c.local('i32');
  const ow = c.local('i32');
  const v = c.local('v128');
  c.get(rows).get(sy).i32_mul().set(total);
  c.get(W).get(sx).i32_mul().set(ow);
  const { start, end } = share(c, total);
  c.for(r, { local: start }, { local: end }, 1, () => {
    // output row r = (plane·H + y)·sy + j reads source row plane·H + y
    c.get(src).get(r).get(sy).i32_div_u().get(W).i32_mul().i32(2).i32_shl().i32_add().set(s);
    c.get(dst).get(r).get(ow).i32_mul().i32(2).i32_shl().i32_add().set(d);
    c.get(sx).i32(2).i32_eq();
    c.if();
    c.for(x, 0, { local: W }, 4, () => {
      c.get(W).get(x).i32_sub().i32(4).i32_ge_s();
      c.if();
      c.get(s).get(x).i32(2).i32_shl().i32_add().v128_load().set(v);
      c.get(d).get(x).i32(3).i32_shl().i32_add().tee(k);
      c.get(v).get(v).i8x16_shuffle([0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7]).v128_store();
      c.get(k).get(v).get(v).i8x16_shuffle([8, 9, 10, 11, 8, 9, 10, 11, 12, 13, 14, 15, 12, 13, 14, 15]);
      c.v128_store(16);
      c.else();
      c.for(k, { local: x }, { local: W }, 1, () => {
        c.get(s).get(k).i32(2).i32_shl().i32_add().v128_load32_splat().set(v);
        c.get(d).get(k).i32(3).i32_shl().i32_add().get(v).v128_store64_lane(0, 0);
      });
      c.end();
    });
    c.else();
    c.for(x, 0, { local: ow }, 1, () => {
      c.get(d).get(x).i32(2).i32_shl().i32_add();
      c.get(s).get(x).get(sx).i32_div_u().i32(2).i32_shl().i32_add().f32_load();
      c.f32_store();
    });
    c.end();
  });
});

const resize: WasmKernel = {
  plan(node, io) {
    const f = nearestUpscale(node);
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!f || !x || !y) return undefined;
    const xs = io.shape(x);
    if (xs.dtype !== 'float32' || xs.dims.length !== 4) return undefined;
    const [n, ch, h, w] = xs.dims as [number, number, number, number];
    return [{ kernel: 'upscale_nearest', args: [{ value: x }, { value: y }, n * ch * h, w, f[0], f[1]] }];
  },
};

registerWasmKernel('Resize', resize);
