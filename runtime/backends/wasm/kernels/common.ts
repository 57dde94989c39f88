// Pieces the kernel emitters share: argument loading, the per-thread share of a work range, scratch.

import type { Code } from '../asm/code.ts';
import type { ValType } from '../asm/encode.ts';

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

/** Load the named argument words of an argument map into new i32 locals, in the order named. */
export function args<const K extends string>(
  c: Code,
  map: Readonly<Record<K, number>>,
  names: readonly K[],
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const n of names) out[n] = arg(c, map[n]);
  return out;
}

/** `n` new locals of one type, declared in order. */
export function locals(c: Code, type: ValType, n: number): number[] {
  return Array.from({ length: n }, () => c.local(type));
}

/** chunks = ⌈width / chunk⌉: how many chunks of `chunk` positions cover a row. */
export function chunkCount(c: Code, width: number, chunk: number, chunks: number): void {
  c.get(width)
    .i32(chunk - 1)
    .i32_add()
    .i32(chunk)
    .i32_div_u()
    .set(chunks);
}

/** end = min(start + chunk, width): where the chunk that begins at `start` ends. */
export function chunkEnd(c: Code, start: number, chunk: number, width: number, end: number): void {
  c.get(start)
    .i32(chunk)
    .i32_add()
    .tee(end)
    .get(width)
    .i32_gt_s()
    .when(() => {
      c.get(width).set(end);
    });
}

/** acc[lo] += v0 · w and acc[hi] += v1 · w (f32x4): one weight over two vectors of positions. */
export function fmaPair(c: Code, lo: number, hi: number, v0: number, v1: number, w: number): void {
  c.get(lo).get(v0).get(w).f32x4_mul().f32x4_add().set(lo);
  c.get(hi).get(v1).get(w).f32x4_mul().f32x4_add().set(hi);
}

/**
 * Runs `body` when block · size + j < limit: row j of a register block of `size` rows exists (the
 * last block of a layer may be padded). `index`, when given, keeps block · size + j.
 */
export function whenInBlock(
  c: Code,
  block: number,
  size: number,
  j: number,
  limit: number,
  body: () => void,
  index?: number,
): void {
  c.get(block).i32(size).i32_mul().i32(j).i32_add();
  if (index !== undefined) c.tee(index);
  c.get(limit).i32_lt_s().when(body);
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
