// pad_phases: an NCHW image copied with its zero padding, each row split into `sx` phases (column
// col of the padded row lands in phase col mod sx at position ⌊col / sx⌋), so a convolution of any
// stride reads consecutive input positions for consecutive outputs and never bounds-checks.

import type { Code } from '../asm/code.ts';
import { defineKernel } from '../library.ts';
import { arg, share } from './common.ts';

/** Padded geometry of a conv input: rows Hp = H + top + bottom, phases × Wq positions a row. */
export interface PadGeometry {
  c: number;
  h: number;
  w: number;
  top: number;
  left: number;
  hp: number;
  sx: number;
  wq: number;
}

/** Floats of a padded image, with a spare row so vector loads past the last row stay inside. */
export const paddedFloats = (g: PadGeometry) => g.c * g.hp * g.sx * g.wq + g.sx * g.wq + 64;

/** Arguments of pad_phases for one image (src and dst are byte addresses). */
export function padArgs(g: PadGeometry): number[] {
  return [g.c, g.h, g.w, g.top, g.left, g.hp, g.sx, g.wq];
}

/** pad_phases: [src, dst, C, H, W, top, left, Hp, sx, Wq] */
defineKernel('pad_phases', (c: Code) => {
  const src = arg(c, 0);
  const dst = arg(c, 1);
  const C = arg(c, 2);
  const H = arg(c, 3);
  const W = arg(c, 4);
  const top = arg(c, 5);
  const left = arg(c, 6);
  const Hp = arg(c, 7);
  const sx = arg(c, 8);
  const Wq = arg(c, 9);
  const rows = c.local('i32');
  const u = c.local('i32');
  const r = c.local('i32');
  const d = c.local('i32');
  const s = c.local('i32');
  const rowBytes = c.local('i32');
  const i = c.local('i32');
  const x = c.local('i32');
  const col = c.local('i32');
  const ph = c.local('i32');
  c.get(C).get(Hp).i32_mul().set(rows);
  c.get(sx).get(Wq).i32_mul().i32(2).i32_shl().set(rowBytes);
  const { start, end } = share(c, rows);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(Hp).i32_rem_u().set(r);
    c.get(dst).get(u).get(rowBytes).i32_mul().i32_add().set(d);
    // zero the whole row (16 bytes at a time; rows are whole vectors plus at most 3 floats)
    c.for(i, 0, { local: rowBytes }, 16, () => {
      c.get(d).get(i).i32_add().v128_f32x4([0, 0, 0, 0]).v128_store();
    });
    // a row inside the image: copy it
    c.get(r).get(top).i32_ge_s().get(r).get(top).get(H).i32_add().i32_lt_s().i32_and();
    c.if();
    c.get(src).get(u).get(Hp).i32_div_u().get(H).i32_mul().get(r).i32_add().get(top).i32_sub();
    c.get(W).i32_mul().i32(2).i32_shl().i32_add().set(s);
    c.get(sx).i32(1).i32_eq();
    c.if();
    // stride 1: one run at offset `left`, 4 floats at a time, then the tail
    c.get(d).get(left).i32(2).i32_shl().i32_add().set(d);
    c.for(x, 0, { local: W }, 4, () => {
      c.get(W).get(x).i32_sub().i32(4).i32_ge_s();
      c.if();
      c.get(d)
        .get(x)
        .i32(2)
        .i32_shl()
        .i32_add()
        .get(s)
        .get(x)
        .i32(2)
        .i32_shl()
        .i32_add()
        .v128_load()
        .v128_store();
      c.else();
      c.for(i, { local: x }, { local: W }, 1, () => {
        c.get(d)
          .get(i)
          .i32(2)
          .i32_shl()
          .i32_add()
          .get(s)
          .get(i)
          .i32(2)
          .i32_shl()
          .i32_add()
          .f32_load()
          .f32_store();
      });
      c.end();
    });
    c.else();
    // phase p holds padded columns p, p + sx, …: source x = col − left from the first x ≥ 0
    c.for(ph, 0, { local: sx }, 1, () => {
      // x0 = (p − left) mod sx, at position (x0 + left − p) / sx
      c.get(ph)
        .get(left)
        .i32_sub()
        .get(sx)
        .i32_rem_s()
        .tee(x)
        .i32(0)
        .i32_lt_s()
        .when(() => {
          c.get(x).get(sx).i32_add().set(x);
        });
      c.get(d).get(ph).get(Wq).i32_mul().get(x).get(left).i32_add().get(ph).i32_sub().get(sx).i32_div_u();
      c.i32_add().i32(2).i32_shl().i32_add().set(col);
      c.block().loop();
      c.get(x).get(W).i32_ge_s().br_if(1);
      c.get(col).get(s).get(x).i32(2).i32_shl().i32_add().f32_load().f32_store();
      c.get(col).i32(4).i32_add().set(col);
      c.get(x).get(sx).i32_add().set(x);
      c.br(0).end().end();
    });
    c.end();
    c.end();
  });
});
