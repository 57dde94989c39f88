// Pieces the kernel emitters share: argument loading, the per-thread share of a work range, scratch.

import type { Code } from '../asm/code.ts';

/** Kernel parameters: the address of its argument words, the thread index and the thread count. */
export const ARGS = 0;
export const TID = 1;
export const THREADS = 2;

/** Load argument word k into a new i32 local. */
export function arg(c: Code, k: number): number {
  const l = c.local('i32');
  c.get(ARGS)
    .i32_load(k * 4)
    .set(l);
  return l;
}

/** Load argument word k (a float) into a new f32 local. */
export function argF(c: Code, k: number): number {
  const l = c.local('f32');
  c.get(ARGS)
    .f32_load(k * 4)
    .set(l);
  return l;
}

/** This thread's share [start, end) of `total` units, split evenly in order. */
export function share(c: Code, total: number): { start: number; end: number } {
  const start = c.local('i32');
  const end = c.local('i32');
  c.get(total).get(TID).i32_mul().get(THREADS).i32_div_u().set(start);
  c.get(total).get(TID).i32(1).i32_add().i32_mul().get(THREADS).i32_div_u().set(end);
  return { start, end };
}

/** This thread's scratch address from the (base, stride) argument words at k, k+1. */
export function scratchOf(c: Code, k: number): number {
  const l = c.local('i32');
  c.get(ARGS)
    .i32_load(k * 4)
    .get(ARGS)
    .i32_load((k + 1) * 4)
    .get(TID)
    .i32_mul()
    .i32_add()
    .set(l);
  return l;
}
