// Pointwise programs: a short list of elementwise steps (Add … HardSwish, Round) run over one row of an
// output, in place — the epilogue a Conv/ConvTranspose/MatMul applies to the rows it just wrote,
// and the whole of a standalone elementwise node. Register 0 is the output row (it holds the
// producer's value on entry); step k writes register k+1, the last step register 0. Operands are
// registers, scalars, or inputs described by strides (base + b·batch + c·channel + i·element), so
// per-channel constants, broadcasts and residual inputs are all the same thing.

import type { Code } from '../asm/code.ts';
import { defineHelper } from '../library.ts';

export const PW_OPS = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Min',
  'Relu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Clip',
  'Sqrt',
  'Round',
] as const;
export type PwOp = (typeof PW_OPS)[number];
const BINARY = 6;

export type PwOperand = { ref: number } | { scalar: number } | { input: number };

export interface PwStep {
  op: PwOp;
  a: PwOperand;
  b?: PwOperand;
  /** HardSigmoid's alpha/beta; Clip's min/max. */
  alpha?: number;
  beta?: number;
}

const STEP_WORDS = 8;
const KIND = { ref: 0, scalar: 1, input: 2 } as const;

/** The program as words: [steps, then per step: op, dst, aKind, aVal, bKind, bVal, alpha, beta]. */
export function encodePointwise(steps: readonly PwStep[]): Int32Array {
  const words = new Int32Array(1 + steps.length * STEP_WORDS);
  const f32 = new Float32Array(words.buffer);
  words[0] = steps.length;
  steps.forEach((s, k) => {
    const at = 1 + k * STEP_WORDS;
    words[at] = PW_OPS.indexOf(s.op);
    words[at + 1] = k === steps.length - 1 ? 0 : k + 1;
    const put = (o: PwOperand | undefined, w: number) => {
      if (!o) return;
      if ('ref' in o) {
        words[w] = KIND.ref;
        words[w + 1] = o.ref;
      } else if ('scalar' in o) {
        words[w] = KIND.scalar;
        f32[w + 1] = o.scalar;
      } else {
        words[w] = KIND.input;
        words[w + 1] = o.input;
      }
    };
    put(s.a, at + 2);
    put(s.b ?? s.a, at + 4);
    f32[at + 6] = s.alpha ?? 0;
    f32[at + 7] = s.beta ?? 0;
  });
  return words;
}

/** Words per input descriptor in a step's arguments: base, batch, channel and element strides (bytes). */
export const DESC_WORDS = 4;

/** Scratch bytes a pointwise run over rows of `n` elements needs per thread. */
export const pointwiseScratch = (steps: number, n: number) => 32 + steps * Math.ceil((n * 4) / 16) * 16;

/**
 * pointwise(prog, desc, out, n, b, c, elem, scratch): run the program over out[0 … n) (row of batch
 * b, channel c, starting at element `elem` of its row for input addressing).
 */
defineHelper('pointwise', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (c: Code) => {
  const [prog, desc, out, n, bIdx, cIdx, elem, scratch] = [0, 1, 2, 3, 4, 5, 6, 7];
  const s = c.local('i32');
  const steps = c.local('i32');
  const rec = c.local('i32');
  const op = c.local('i32');
  const regStride = c.local('i32');
  const pa = c.local('i32');
  const sa = c.local('i32');
  const pb = c.local('i32');
  const sb = c.local('i32');
  const pd = c.local('i32');
  const i = c.local('i32');
  const n4 = c.local('i32');
  const va = c.local('v128');
  const vb = c.local('v128');
  const alpha = c.local('v128');
  const beta = c.local('v128');
  // registers follow two 16-byte splat slots (one per operand)
  c.get(n).i32(2).i32_shl().i32(15).i32_add().i32(-16).i32_and().set(regStride);
  /** Push the address of the register whose number is the i32 at rec + byte offset `at`. */
  const reg = (at: number) => {
    c.get(rec).i32_load(at).i32_eqz();
    c.if('i32');
    c.get(out);
    c.else();
    c.get(scratch)
      .i32(32)
      .i32_add()
      .get(rec)
      .i32_load(at)
      .i32(1)
      .i32_sub()
      .get(regStride)
      .i32_mul()
      .i32_add();
    c.end();
  };
  c.get(n).i32(-4).i32_and().set(n4);
  c.get(prog).i32_load().set(steps);
  /** Leave (pointer, byte step per vector) of operand words at `w` in locals p, st. */
  const operand = (w: number, p: number, st: number, slot: number) => {
    c.get(rec)
      .i32_load(w * 4)
      .i32(KIND.ref)
      .i32_eq();
    c.if();
    reg((w + 1) * 4);
    c.set(p);
    c.i32(16).set(st);
    c.else();
    c.get(rec)
      .i32_load(w * 4)
      .i32(KIND.scalar)
      .i32_eq();
    c.if();
    c.get(scratch).i32(slot).i32_add().set(p);
    c.get(p)
      .get(rec)
      .v128_load32_splat((w + 1) * 4)
      .v128_store();
    c.i32(0).set(st);
    c.else();
    {
      // input k: base + b·batch + c·channel + elem·element
      const d = () =>
        c
          .get(desc)
          .get(rec)
          .i32_load((w + 1) * 4)
          .i32(DESC_WORDS * 4)
          .i32_mul()
          .i32_add();
      d().i32_load(0);
      c.get(bIdx);
      d().i32_load(4);
      c.i32_mul().i32_add().get(cIdx);
      d().i32_load(8);
      c.i32_mul().i32_add().get(elem);
      d().i32_load(12);
      c.i32_mul().i32_add().set(p);
      d().i32_load(12).i32(2).i32_shl().set(st);
      // a broadcast scalar along the row: splat it into the slot
      c.get(st)
        .i32_eqz()
        .when(() => {
          c.get(scratch).i32(slot).i32_add().get(p).v128_load32_splat().v128_store();
          c.get(scratch).i32(slot).i32_add().set(p);
        });
    }
    c.end();
    c.end();
  };
  c.for(s, 0, { local: steps }, 1, () => {
    c.get(prog)
      .i32(4)
      .i32_add()
      .get(s)
      .i32(STEP_WORDS * 4)
      .i32_mul()
      .i32_add()
      .set(rec);
    c.get(rec).i32_load().set(op);
    operand(2, pa, sa, 0);
    operand(4, pb, sb, 16);
    c.get(rec).v128_load32_splat(24).set(alpha);
    c.get(rec).v128_load32_splat(28).set(beta);
    reg(4);
    c.set(pd);
    // one loop per op, chosen once per step
    c.block();
    for (let k = 0; k < PW_OPS.length; k++) c.block();
    c.get(op).br_table(
      PW_OPS.map((_, k) => k),
      PW_OPS.length,
    );
    PW_OPS.forEach((name, k) => {
      c.end();
      emitLoops(c, name, k < BINARY, { pa, sa, pb, sb, pd, i, n, n4, va, vb, alpha, beta });
      c.br(PW_OPS.length - 1 - k);
    });
    c.end();
  });
});

interface LoopLocals {
  pa: number;
  sa: number;
  pb: number;
  sb: number;
  pd: number;
  i: number;
  n: number;
  n4: number;
  va: number;
  vb: number;
  alpha: number;
  beta: number;
}

/** The vector loop over n4 elements, then the scalar tail (lane 0 of a splat) up to n. */
function emitLoops(c: Code, op: PwOp, binary: boolean, l: LoopLocals): void {
  const body = (load: 'v128_load' | 'v128_load32_splat') => {
    c.get(l.pa)[load]().set(l.va);
    if (binary) c.get(l.pb)[load]().set(l.vb);
    compute(c, op, l);
  };
  c.for(l.i, 0, { local: l.n4 }, 4, () => {
    c.get(l.pd);
    body('v128_load');
    c.v128_store();
    c.get(l.pa).get(l.sa).i32_add().set(l.pa);
    c.get(l.pb).get(l.sb).i32_add().set(l.pb);
    c.get(l.pd).i32(16).i32_add().set(l.pd);
  });
  c.for(l.i, { local: l.n4 }, { local: l.n }, 1, () => {
    c.get(l.pd);
    body('v128_load32_splat');
    c.f32x4_extract_lane(0).f32_store();
    c.get(l.pa).get(l.sa).i32(2).i32_shr_u().i32_add().set(l.pa);
    c.get(l.pb).get(l.sb).i32(2).i32_shr_u().i32_add().set(l.pb);
    c.get(l.pd).i32(4).i32_add().set(l.pd);
  });
}

const ZERO = [0, 0, 0, 0];
const ONE = [1, 1, 1, 1];

/** Push op(va, vb) as a v128. */
function compute(c: Code, op: PwOp, l: LoopLocals): void {
  const a = () => c.get(l.va);
  const b = () => c.get(l.vb);
  switch (op) {
    case 'Add':
      a();
      b();
      c.f32x4_add();
      return;
    case 'Sub':
      a();
      b();
      c.f32x4_sub();
      return;
    case 'Mul':
      a();
      b();
      c.f32x4_mul();
      return;
    case 'Div':
      a();
      b();
      c.f32x4_div();
      return;
    case 'Max':
      a();
      b();
      c.f32x4_max();
      return;
    case 'Min':
      a();
      b();
      c.f32x4_min();
      return;
    case 'Relu':
      a();
      c.v128_f32x4(ZERO).f32x4_max();
      return;
    case 'Sigmoid':
      a();
      c.call('sigmoid4');
      return;
    case 'HardSigmoid':
      a();
      c.get(l.alpha).f32x4_mul().get(l.beta).f32x4_add();
      c.v128_f32x4(ZERO).f32x4_max().v128_f32x4(ONE).f32x4_min();
      return;
    case 'HardSwish':
      a();
      a();
      c.v128_f32x4([1 / 6, 1 / 6, 1 / 6, 1 / 6])
        .f32x4_mul()
        .v128_f32x4([0.5, 0.5, 0.5, 0.5])
        .f32x4_add();
      c.v128_f32x4(ZERO).f32x4_max().v128_f32x4(ONE).f32x4_min();
      c.f32x4_mul();
      return;
    case 'Clip':
      a();
      c.get(l.alpha).f32x4_max().get(l.beta).f32x4_min();
      return;
    case 'Sqrt':
      a();
      c.f32x4_sqrt();
      return;
    case 'Round':
      a();
      c.f32x4_nearest();
      return;
  }
}
