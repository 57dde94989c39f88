// Softmax over rows (the trailing dims from `axis` before opset 13, the last axis after): per row
// the max, e^(x − max) written out and summed with the vector exp, then scaled by 1 / sum.

import type { Code } from '../asm/code.ts';
import { registerWasmKernel, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { arg, share } from './common.ts';

/** softmax_rows: [src, dst, rows, n] */
defineKernel('softmax_rows', (c: Code) => {
  const src = arg(c, 0);
  const dst = arg(c, 1);
  const rows = arg(c, 2);
  const n = arg(c, 3);
  const r = c.local('i32');
  const s = c.local('i32');
  const d = c.local('i32');
  const i = c.local('i32');
  const p = c.local('i32');
  const n4 = c.local('i32');
  const m = c.local('f32');
  const sum = c.local('f32');
  const v = c.local('v128');
  const acc = c.local('v128');
  const mv = c.local('v128');
  const lanes = (x: number, op: 'f32_max' | 'f32_add') => {
    c.get(x).f32x4_extract_lane(0).get(x).f32x4_extract_lane(1)[op]();
    c.get(x).f32x4_extract_lane(2)[op]().get(x).f32x4_extract_lane(3)[op]();
  };
  c.get(n).i32(-4).i32_and().set(n4);
  const { start, end } = share(c, rows);
  c.for(r, { local: start }, { local: end }, 1, () => {
    c.get(src).get(r).get(n).i32_mul().i32(2).i32_shl().i32_add().set(s);
    c.get(dst).get(r).get(n).i32_mul().i32(2).i32_shl().i32_add().set(d);
    // max
    c.get(s).v128_load32_splat().set(acc);
    c.for(i, 0, { local: n4 }, 4, () => {
      c.get(acc).get(s).get(i).i32(2).i32_shl().i32_add().v128_load().f32x4_max().set(acc);
    });
    lanes(acc, 'f32_max');
    c.set(m);
    c.for(i, { local: n4 }, { local: n }, 1, () => {
      c.get(m).get(s).get(i).i32(2).i32_shl().i32_add().f32_load().f32_max().set(m);
    });
    c.get(m).f32x4_splat().set(mv);
    // e^(x − max), summed
    c.v128_f32x4([0, 0, 0, 0]).set(acc);
    c.for(i, 0, { local: n4 }, 4, () => {
      c.get(s).get(i).i32(2).i32_shl().i32_add().v128_load().get(mv).f32x4_sub().call('exp4').set(v);
      c.get(d).get(i).i32(2).i32_shl().i32_add().get(v).v128_store();
      c.get(acc).get(v).f32x4_add().set(acc);
    });
    lanes(acc, 'f32_add');
    c.set(sum);
    c.for(i, { local: n4 }, { local: n }, 1, () => {
      c.get(s).get(i).i32(2).i32_shl().i32_add().v128_load32_splat().get(mv).f32x4_sub().call('exp4');
      c.f32x4_extract_lane(0).set(m);
      c.get(d).get(i).i32(2).i32_shl().i32_add().get(m).f32_store();
      c.get(sum).get(m).f32_add().set(sum);
    });
    // scale by 1 / sum
    c.f32(1).get(sum).f32_div().f32x4_splat().set(mv);
    c.for(i, 0, { local: n4 }, 4, () => {
      c.get(d).get(i).i32(2).i32_shl().i32_add().tee(p);
      c.get(p).v128_load().get(mv).f32x4_mul().v128_store();
    });
    c.for(i, { local: n4 }, { local: n }, 1, () => {
      c.get(d).get(i).i32(2).i32_shl().i32_add().tee(p);
      c.get(p).f32_load().get(mv).f32x4_extract_lane(0).f32_mul().f32_store();
    });
  });
});

const softmax: WasmKernel = {
  plan(node, io) {
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!x || !y) return undefined;
    const s = io.shape(x);
    const rank = s.dims.length;
    if (s.dtype !== 'float32' || rank === 0) return undefined;
    const opset = io.opset;
    const dflt = opset >= 13 ? -1 : 1;
    const axis =
      Number(node.attrs.axis ?? dflt) < 0
        ? Number(node.attrs.axis ?? dflt) + rank
        : Number(node.attrs.axis ?? dflt);
    // before opset 13 the input is read as 2-D at `axis`; from 13 on only the last axis is a row
    if (opset >= 13 && axis !== rank - 1) return undefined;
    const n = s.dims.slice(axis).reduce((a, b) => a * b, 1);
    const rows = s.dims.slice(0, axis).reduce((a, b) => a * b, 1);
    return [{ kernel: 'softmax_rows', args: [{ value: x }, { value: y }, rows, n], work: rows * n * 20 }];
  },
};

registerWasmKernel('Softmax', softmax);
