// Vector math helpers the kernels call: exp over 4 floats (wasm SIMD has none), from which sigmoid.
// exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 Taylor polynomial (relative error < 2e-7
// on that range), times 2^n built in the exponent bits; inputs clamped to [-86, 88.5] (where 2^n stays a normal float).

import type { Code } from '../asm/code.ts';
import { defineHelper } from '../library.ts';

const LOG2E = Math.LOG2E;
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;

/** exp4(x: v128) → v128 */
defineHelper('exp4', ['v128'], ['v128'], (c: Code) => {
  const x = 0;
  const n = c.local('v128');
  const r = c.local('v128');
  const p = c.local('v128');
  const splat = (v: number) => c.v128_f32x4([v, v, v, v]);
  c.get(x).call('exp4_clamp').set(x);
  // n = round(x · log2 e)
  c.get(x);
  splat(LOG2E);
  c.f32x4_mul().f32x4_nearest().set(n);
  // r = x − n·ln2 (in two parts)
  c.get(x).get(n);
  splat(LN2_HI);
  c.f32x4_mul().f32x4_sub().get(n);
  splat(LN2_LO);
  c.f32x4_mul().f32x4_sub().set(r);
  // Horner: 1 + r(1 + r(1/2 + r(1/6 + r(1/24 + r(1/120 + r/720)))))
  const coeffs = [1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1];
  splat(coeffs[0] as number);
  c.set(p);
  for (const k of coeffs.slice(1)) {
    c.get(p).get(r).f32x4_mul();
    splat(k);
    c.f32x4_add().set(p);
  }
  // × 2^n: add n to the exponent field
  c.get(p).get(n).i32x4_trunc_sat_f32x4_s().i32(23).i32x4_shl().i32x4_add();
});

defineHelper('exp4_clamp', ['v128'], ['v128'], (c: Code) => {
  c.get(0).v128_f32x4([-86, -86, -86, -86]).f32x4_pmax();
  c.v128_f32x4([88.5, 88.5, 88.5, 88.5]).f32x4_pmin();
});

/** sigmoid4(x) = 1 / (1 + e^−x) */
defineHelper('sigmoid4', ['v128'], ['v128'], (c: Code) => {
  c.v128_f32x4([1, 1, 1, 1]);
  c.v128_f32x4([1, 1, 1, 1]).get(0).f32x4_neg().call('exp4').f32x4_add();
  c.f32x4_div();
});
