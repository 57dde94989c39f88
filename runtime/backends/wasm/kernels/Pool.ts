// MaxPool and AveragePool (2-D, explicit pads, no dilation or ceil mode): each output reduces its
// window's in-bounds inputs; the average divides by their count (by the full window when padding
// counts and there is none to count). Pooling layers are small next to the convs around them, so
// one output at a time.

import type { Code } from '../asm/code.ts';
import { registerWasmKernel, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { arg, share } from './common.ts';

/** pool2d: [src, dst, planes, H, W, oh, ow, kh, kw, sy, sx, top, left, average] */
defineKernel('pool2d', (c: Code) => {
  const [src, dst, planes, H, W, oh, ow, kh, kw, sy, sx, top, left, average] = Array.from(
    { length: 14 },
    (_, k) => arg(c, k),
  ) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const u = c.local('i32');
  const p = c.local('i32');
  const y = c.local('i32');
  const x = c.local('i32');
  const ky = c.local('i32');
  const kx = c.local('i32');
  const iy = c.local('i32');
  const ix = c.local('i32');
  const n = c.local('i32');
  const total = c.local('i32');
  const acc = c.local('f32');
  const v = c.local('f32');
  c.get(planes).get(oh).i32_mul().set(total);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(oh).i32_div_u().set(p);
    c.get(u).get(oh).i32_rem_u().set(y);
    c.for(x, 0, { local: ow }, 1, () => {
      c.i32(0).set(n);
      c.get(average).if();
      c.f32(0).set(acc);
      c.else();
      c.f32(-Infinity).set(acc);
      c.end();
      c.for(ky, 0, { local: kh }, 1, () => {
        c.get(y).get(sy).i32_mul().get(top).i32_sub().get(ky).i32_add().set(iy);
        c.get(iy)
          .i32(0)
          .i32_ge_s()
          .get(iy)
          .get(H)
          .i32_lt_s()
          .i32_and()
          .when(() => {
            c.for(kx, 0, { local: kw }, 1, () => {
              c.get(x).get(sx).i32_mul().get(left).i32_sub().get(kx).i32_add().set(ix);
              c.get(ix)
                .i32(0)
                .i32_ge_s()
                .get(ix)
                .get(W)
                .i32_lt_s()
                .i32_and()
                .when(() => {
                  c.get(src).get(p).get(H).i32_mul().get(iy).i32_add().get(W).i32_mul().get(ix).i32_add();
                  c.i32(2).i32_shl().i32_add().f32_load().set(v);
                  c.get(average).if();
                  c.get(acc).get(v).f32_add().set(acc);
                  c.else();
                  c.get(acc).get(v).f32_max().set(acc);
                  c.end();
                  c.get(n).i32(1).i32_add().set(n);
                });
            });
          });
      });
      c.get(average).when(() => {
        c.get(acc).get(n).f32_convert_i32_s().f32_div().set(acc);
      });
      c.get(dst).get(u).get(ow).i32_mul().get(x).i32_add().i32(2).i32_shl().i32_add().get(acc).f32_store();
    });
  });
});

const pool: WasmKernel = {
  plan(node, io) {
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!x || !y || node.outputs.slice(1).some((o) => o)) return undefined;
    const s = io.shape(x);
    const o = io.shape(y);
    if (s.dtype !== 'float32' || s.dims.length !== 4) return undefined;
    const a = node.attrs;
    const ints = (v: unknown, d: number[]) => (Array.isArray(v) ? (v as number[]).map(Number) : d);
    const k = ints(a.kernel_shape, []);
    const strides = ints(a.strides, [1, 1]);
    const pads = ints(a.pads, [0, 0, 0, 0]);
    const plain =
      k.length === 2 &&
      ints(a.dilations, [1, 1]).every((d) => d === 1) &&
      Number(a.ceil_mode ?? 0) === 0 &&
      (a.auto_pad === undefined || a.auto_pad === 'NOTSET') &&
      Number(a.storage_order ?? 0) === 0;
    const average = node.op === 'AveragePool';
    // counting padding in the average: only where there is none (every window then counts k)
    if (!plain || (average && Number(a.count_include_pad ?? 0) === 1 && pads.some((p) => p !== 0)))
      return undefined;
    const [n, ch, h, w] = s.dims as [number, number, number, number];
    const [oh, ow] = o.dims.slice(2) as [number, number];
    const args = [{ value: x }, { value: y }, n * ch, h, w, oh, ow, k[0], k[1], strides[0], strides[1]];
    return [
      {
        kernel: 'pool2d',
        args: [...args, pads[0] as number, pads[1] as number, average ? 1 : 0] as never,
        work: n * ch * oh * ow * (k[0] as number) * (k[1] as number),
      },
    ];
  },
};

registerWasmKernel('MaxPool', pool);
registerWasmKernel('AveragePool', pool);
