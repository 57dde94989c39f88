// GlobalAveragePool: the mean of each channel's plane (four vector accumulators, then the tail).

import type { Code } from '../asm/code.ts';
import { registerWasmKernel, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { arg, share } from './common.ts';

/** channel_mean: [src, dst, planes (N·C), plane size] */
defineKernel('channel_mean', (c: Code) => {
  const src = arg(c, 0);
  const dst = arg(c, 1);
  const planes = arg(c, 2);
  const size = arg(c, 3);
  const p = c.local('i32');
  const s = c.local('i32');
  const i = c.local('i32');
  const n16 = c.local('i32');
  const sum = c.local('f32');
  const acc = Array.from({ length: 4 }, () => c.local('v128'));
  c.get(size).i32(-16).i32_and().set(n16);
  const { start, end } = share(c, planes);
  c.for(p, { local: start }, { local: end }, 1, () => {
    c.get(src).get(p).get(size).i32_mul().i32(2).i32_shl().i32_add().set(s);
    for (const a of acc) c.v128_f32x4([0, 0, 0, 0]).set(a);
    c.for(i, 0, { local: n16 }, 16, () => {
      acc.forEach((a, k) => {
        c.get(a)
          .get(s)
          .get(i)
          .i32(2)
          .i32_shl()
          .i32_add()
          .v128_load(k * 16)
          .f32x4_add()
          .set(a);
      });
    });
    c.get(acc[0] as number)
      .get(acc[1] as number)
      .f32x4_add()
      .get(acc[2] as number)
      .f32x4_add();
    c.get(acc[3] as number)
      .f32x4_add()
      .set(acc[0] as number);
    c.get(acc[0] as number)
      .f32x4_extract_lane(0)
      .get(acc[0] as number)
      .f32x4_extract_lane(1)
      .f32_add();
    c.get(acc[0] as number)
      .f32x4_extract_lane(2)
      .f32_add()
      .get(acc[0] as number)
      .f32x4_extract_lane(3)
      .f32_add();
    c.set(sum);
    c.for(i, { local: n16 }, { local: size }, 1, () => {
      c.get(sum).get(s).get(i).i32(2).i32_shl().i32_add().f32_load().f32_add().set(sum);
    });
    c.get(dst).get(p).i32(2).i32_shl().i32_add().get(sum).get(size).f32_convert_i32_s().f32_div().f32_store();
  });
});

const globalAveragePool: WasmKernel = {
  plan(node, io) {
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!x || !y) return undefined;
    const s = io.shape(x);
    if (s.dtype !== 'float32' || s.dims.length < 3) return undefined;
    const [n, ch, ...rest] = s.dims as number[];
    const size = rest.reduce((a, b) => a * b, 1);
    return [
      { kernel: 'channel_mean', args: [{ value: x }, { value: y }, (n as number) * (ch as number), size] },
    ];
  },
};

registerWasmKernel('GlobalAveragePool', globalAveragePool);
