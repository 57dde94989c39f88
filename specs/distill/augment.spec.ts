// calibrate's augment { … }: random variants keep shape and dtype, come from the random stream alone
// (same stream, same variant), leave the image as it is when nothing is asked, flip only when `flip`
// is written (a flip is the exact mirror), and jitter keeps the image's spread within its bound.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rng } from '../../compiler/data/random.ts';
import { augmentation } from '../../compiler/train/loop/augment.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';

const image = (C: number, H: number, W: number, seed: number): Tensor => {
  const next = rng(seed);
  return float32(
    [1, C, H, W],
    Float32Array.from({ length: C * H * W }, () => next() * 2 - 1),
  );
};

const mirror = (t: Tensor): number[] => {
  const [, C, H, W] = t.dims as number[];
  const d = t.data as Float32Array;
  const out: number[] = [];
  for (let c = 0; c < C!; c++)
    for (let y = 0; y < H!; y++) for (let x = 0; x < W!; x++) out.push(d[(c * H! + y) * W! + (W! - 1 - x)]!);
  return out;
};

describe('augment', () => {
  it('keeps shapes, is a function of the random stream, and is the identity when nothing is asked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        (C, H, W, seed) => {
          const x = image(C, H, W, seed);
          const spec = {
            crop: [0.8, 1] as [number, number],
            scale: [0.9, 1.1] as [number, number],
            rotate: 3,
            jitter: 0.1,
            noise: 0.02,
          };
          const a = augmentation(spec)({ x }, rng(seed + 1)).x!;
          const b = augmentation(spec)({ x }, rng(seed + 1)).x!;
          expect(a.dims).toEqual(x.dims);
          expect(a.dtype).toBe('float32');
          expect([...(a.data as Float32Array)]).toEqual([...(b.data as Float32Array)]);
          expect((a.data as Float32Array).every(Number.isFinite)).toBe(true);
          const same = augmentation({})({ x }, rng(seed)).x!;
          expect([...(same.data as Float32Array)]).toEqual([...(x.data as Float32Array)]);
        },
      ),
    );
  });

  it('flips only when flip is written, and then exactly mirrors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 2, max: 14 }),
        fc.integer(),
        (H, W, seed) => {
          const x = image(3, H, W, seed);
          const flipped = augmentation({ flip: true })({ x }, () => 0.25).x!;
          expect([...(flipped.data as Float32Array)].map((v) => Math.fround(v))).toEqual(mirror(x));
          const kept = augmentation({ flip: true })({ x }, () => 0.75).x!;
          expect([...(kept.data as Float32Array)]).toEqual([...(x.data as Float32Array)]);
          const never = augmentation({ crop: [1, 1] })({ x }, () => 0.25).x!;
          expect([...(never.data as Float32Array)]).toEqual([...(x.data as Float32Array)]);
        },
      ),
    );
  });

  it('jitter changes contrast and brightness within its bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.double({ min: 0.01, max: 0.3, noNaN: true }),
        (seed, amount) => {
          const x = image(3, 6, 8, seed);
          const y = augmentation({ jitter: amount })({ x }, rng(seed)).x!;
          const spread = (d: Float32Array) => {
            const m = d.reduce((s, v) => s + v, 0) / d.length;
            return Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / d.length);
          };
          const ratio = spread(y.data as Float32Array) / spread(x.data as Float32Array);
          expect(ratio).toBeGreaterThanOrEqual(1 - amount - 1e-5);
          expect(ratio).toBeLessThanOrEqual(1 + amount + 1e-5);
        },
      ),
    );
  });
});
