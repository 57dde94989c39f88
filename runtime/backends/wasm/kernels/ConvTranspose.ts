// ConvTranspose that upsamples (kernel = stride, no pads, dilation or groups — the DB head of
// PP-OCR det) as a direct kernel: each input position feeds a kh×kw output patch. For 2×2 a unit
// (output channel, input row, chunk) keeps the four taps × 8 positions in registers, then writes
// the two output rows with the taps' columns interleaved (one shuffle per vector); other sizes
// accumulate one tap at a time and store its lanes kw apart. Epilogue as Conv's.

import type { GraphNode } from '../../backend.ts';
import { nodeEpilogue } from '../../fusion/epilogue.ts';
import { FUSED_DOMAIN } from '../../fusion/fusion.ts';
import type { Code } from '../asm/code.ts';
import {
  type Arg,
  floatConst,
  type PlanIO,
  registerWasmKernel,
  type Step,
  type WasmKernel,
} from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { ARGS, arg, args, chunkCount, chunkEnd, fmaPair, locals, scratchOf, share } from './common.ts';
import { foldAffine } from './conv-common.ts';
import { CONV_CHUNK } from './conv-direct.ts';
import { channelDescs, descArgs, epilogueSteps } from './epilogue.ts';
import { encodePointwise, pointwiseScratch } from './pointwise.ts';

const A = {
  input: 0,
  weights: 1,
  bias: 2,
  output: 3,
  ic: 4,
  oc: 5,
  h: 6,
  w: 7,
  program: 8,
  scratch: 9,
  kh: 11,
  kw: 12,
  descs: 13,
};

/** The argument words both upsample kernels begin with (loaded in this order). */
const UPSAMPLE_ARGS = ['input', 'weights', 'bias', 'output', 'ic', 'oc', 'h', 'w', 'program'] as const;

/** Shuffle lanes (bytes) interleaving a and b: lo = a0 b0 a1 b1, hi = a2 b2 a3 b3. */
const LO = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const HI = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];

defineKernel('upsample2x2', (c: Code) => {
  const { input, weights, bias, output, ic, oc, h, w, program } = args(c, A, UPSAMPLE_ARGS);
  const scratch = scratchOf(c, A.scratch);
  const [chunks, total, u, o, y, rc, x0, xEnd, x, k, ip, wp, op, left, plane, ky] = locals(c, 'i32', 16);
  const v0 = c.local('v128');
  const v1 = c.local('v128');
  const wv = c.local('v128');
  // acc[tap][half]: tap = ky·2 + kx
  const acc = Array.from({ length: 8 }, () => c.local('v128'));
  chunkCount(c, w, CONV_CHUNK, chunks);
  c.get(h).get(w).i32_mul().set(plane);
  c.get(h).get(chunks).i32_mul().get(oc).i32_mul().set(total);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(oc).i32_rem_u().set(o);
    c.get(u).get(oc).i32_div_u().tee(rc).get(chunks).i32_div_u().set(y);
    c.get(rc).get(chunks).i32_rem_u().i32(CONV_CHUNK).i32_mul().set(x0);
    chunkEnd(c, x0, CONV_CHUNK, w, xEnd);
    c.for(x, { local: x0 }, { local: xEnd }, 8, () => {
      c.get(bias)
        .get(o)
        .i32(2)
        .i32_shl()
        .i32_add()
        .v128_load32_splat()
        .set(acc[0] as number);
      for (let a = 1; a < 8; a++) c.get(acc[0] as number).set(acc[a] as number);
      c.get(input).get(y).get(w).i32_mul().get(x).i32_add().i32(2).i32_shl().i32_add().set(ip);
      // weights packed [oc][ic][4]
      c.get(weights).get(o).get(ic).i32_mul().i32(16).i32_mul().i32_add().set(wp);
      c.for(k, 0, { local: ic }, 1, () => {
        c.get(ip).v128_load().set(v0);
        c.get(ip).v128_load(16).set(v1);
        for (let t = 0; t < 4; t++) {
          c.get(wp)
            .v128_load32_splat(t * 4)
            .set(wv);
          fmaPair(c, acc[t * 2] as number, acc[t * 2 + 1] as number, v0, v1, wv);
        }
        c.get(ip).get(plane).i32(2).i32_shl().i32_add().set(ip);
        c.get(wp).i32(16).i32_add().set(wp);
      });
      c.get(w).get(x).i32_sub().set(left);
      for (let r = 0; r < 2; r++) {
        // output row 2y + r, columns 2x … 2x + 15: taps (r, 0) and (r, 1) interleaved
        c.get(output).get(o).get(plane).i32_mul().i32(4).i32_mul();
        c.get(y).i32(2).i32_mul().i32(r).i32_add().get(w).i32(2).i32_mul().i32_mul().i32_add();
        c.get(x).i32(2).i32_mul().i32_add().i32(2).i32_shl().i32_add().set(op);
        const a = acc[r * 4] as number;
        const a1 = acc[r * 4 + 1] as number;
        const b = acc[r * 4 + 2] as number;
        const b1 = acc[r * 4 + 3] as number;
        const parts: [number, number, number[]][] = [
          [a, b, LO],
          [a, b, HI],
          [a1, b1, LO],
          [a1, b1, HI],
        ];
        parts.forEach(([p, q, lanes], j) => {
          // vector j covers input positions x + 2j, x + 2j + 1
          c.get(left)
            .i32(2 * j + 2)
            .i32_ge_s();
          c.if();
          c.get(op)
            .get(p)
            .get(q)
            .i8x16_shuffle(lanes)
            .v128_store(j * 16);
          c.else();
          c.get(left)
            .i32(2 * j + 1)
            .i32_eq()
            .when(() => {
              c.get(op)
                .get(p)
                .get(q)
                .i8x16_shuffle(lanes)
                .v128_store64_lane(j * 16, 0);
            });
          c.end();
        });
      }
    });
    c.get(program).when(() => {
      c.for(ky, 0, 2, 1, () => {
        c.get(program)
          .get(ARGS)
          .i32(A.descs * 4)
          .i32_add();
        c.get(output).get(o).get(plane).i32_mul().i32(4).i32_mul();
        c.get(y).i32(2).i32_mul().get(ky).i32_add().get(w).i32(2).i32_mul().i32_mul().i32_add();
        c.get(x0).i32(2).i32_mul().i32_add().i32(2).i32_shl().i32_add();
        c.get(xEnd).get(x0).i32_sub().i32(2).i32_mul().i32(0).get(o).i32(0).get(scratch);
        c.call('pointwise');
      });
    });
  });
});

/** upsample_taps: any kh × kw = stride; one tap at a time, its lanes stored kw apart. */
defineKernel('upsample_taps', (c: Code) => {
  const { input, weights, bias, output, ic, oc, h, w, program } = args(c, A, UPSAMPLE_ARGS);
  const scratch = scratchOf(c, A.scratch);
  const kh = arg(c, A.kh);
  const kw = arg(c, A.kw);
  const [chunks, total, u, o, y, rc, x0, xEnd, x, k, t, taps, ip, wp, op, left, plane, ow, r] = locals(
    c,
    'i32',
    19,
  );
  const wv = c.local('v128');
  const acc = [c.local('v128'), c.local('v128')];
  chunkCount(c, w, CONV_CHUNK, chunks);
  c.get(h).get(w).i32_mul().set(plane);
  c.get(kh).get(kw).i32_mul().set(taps);
  c.get(w).get(kw).i32_mul().set(ow);
  c.get(h).get(chunks).i32_mul().get(oc).i32_mul().set(total);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(oc).i32_rem_u().set(o);
    c.get(u).get(oc).i32_div_u().tee(rc).get(chunks).i32_div_u().set(y);
    c.get(rc).get(chunks).i32_rem_u().i32(CONV_CHUNK).i32_mul().set(x0);
    chunkEnd(c, x0, CONV_CHUNK, w, xEnd);
    c.for(x, { local: x0 }, { local: xEnd }, 8, () => {
      c.get(w).get(x).i32_sub().set(left);
      c.for(t, 0, { local: taps }, 1, () => {
        c.get(bias)
          .get(o)
          .i32(2)
          .i32_shl()
          .i32_add()
          .v128_load32_splat()
          .tee(acc[0] as number)
          .set(acc[1] as number);
        c.get(input).get(y).get(w).i32_mul().get(x).i32_add().i32(2).i32_shl().i32_add().set(ip);
        // weights packed [oc][ic][taps]
        c.get(weights)
          .get(o)
          .get(ic)
          .i32_mul()
          .get(taps)
          .i32_mul()
          .get(t)
          .i32_add()
          .i32(2)
          .i32_shl()
          .i32_add();
        c.set(wp);
        c.for(k, 0, { local: ic }, 1, () => {
          c.get(wp).v128_load32_splat().set(wv);
          c.get(acc[0] as number)
            .get(ip)
            .v128_load()
            .get(wv)
            .f32x4_mul()
            .f32x4_add()
            .set(acc[0] as number);
          c.get(acc[1] as number)
            .get(ip)
            .v128_load(16)
            .get(wv)
            .f32x4_mul()
            .f32x4_add()
            .set(acc[1] as number);
          c.get(ip).get(plane).i32(2).i32_shl().i32_add().set(ip);
          c.get(wp).get(taps).i32(2).i32_shl().i32_add().set(wp);
        });
        // output (y·kh + t / kw, x·kw + t mod kw), lanes kw apart
        c.get(output).get(o).get(plane).i32_mul().get(taps).i32_mul();
        c.get(y).get(kh).i32_mul().get(t).get(kw).i32_div_u().i32_add().get(ow).i32_mul().i32_add();
        c.get(x)
          .get(kw)
          .i32_mul()
          .i32_add()
          .get(t)
          .get(kw)
          .i32_rem_u()
          .i32_add()
          .i32(2)
          .i32_shl()
          .i32_add()
          .set(op);
        for (let l = 0; l < 8; l++)
          c.get(left)
            .i32(l)
            .i32_gt_s()
            .when(() => {
              c.get(op)
                .get(acc[l >> 2] as number)
                .f32x4_extract_lane(l & 3)
                .f32_store();
              c.get(op).get(kw).i32(2).i32_shl().i32_add().set(op);
            });
      });
    });
    c.get(program).when(() => {
      c.for(r, 0, { local: kh }, 1, () => {
        c.get(program)
          .get(ARGS)
          .i32(A.descs * 4)
          .i32_add();
        c.get(output).get(o).get(plane).i32_mul().get(taps).i32_mul();
        c.get(y).get(kh).i32_mul().get(r).i32_add().get(ow).i32_mul().i32_add();
        c.get(x0).get(kw).i32_mul().i32_add().i32(2).i32_shl().i32_add();
        c.get(xEnd).get(x0).i32_sub().get(kw).i32_mul().i32(0).get(o).i32(0).get(scratch);
        c.call('pointwise');
      });
    });
  });
});

/** The upsampling case, kernel = stride (from the node's constant weights), or undefined. */
function upsampling(node: GraphNode): { ic: number; oc: number; kh: number; kw: number } | undefined {
  const w = node.constInputs[1];
  if (w?.dtype !== 'float32' || w.dims.length !== 4) return undefined;
  const [ic, oc, kh, kw] = w.dims as [number, number, number, number];
  const a = node.attrs;
  const ints = (v: unknown, d: number[]) => (Array.isArray(v) ? (v as number[]) : d);
  const strides = ints(a.strides, [1, 1]);
  const ok =
    strides[0] === kh &&
    strides[1] === kw &&
    ints(a.pads, [0, 0, 0, 0]).every((p) => p === 0) &&
    ints(a.dilations, [1, 1]).every((d) => d === 1) &&
    ints(a.output_padding, [0, 0]).every((p) => p === 0) &&
    Number(a.group ?? 1) === 1 &&
    a.output_shape === undefined &&
    (a.auto_pad === undefined || a.auto_pad === 'NOTSET');
  return ok ? { ic, oc, kh, kw } : undefined;
}

function plan(node: GraphNode, io: PlanIO): Step[] | undefined {
  const [x, , bName] = node.inputs;
  const y = node.outputs[0];
  const g = upsampling(node);
  if (!x || !y || !g || node.inputs.length > 3 || (bName && !floatConst(io, bName))) return undefined;
  const xs = io.shape(x);
  if (xs.dtype !== 'float32' || xs.dims.length !== 4 || xs.dims[1] !== g.ic) return undefined;
  const [n, , h, w] = xs.dims as [number, number, number, number];
  const ep = node.domain === FUSED_DOMAIN ? nodeEpilogue(node.attrs) : { steps: [], channels: [] };
  // weights [ic][oc][kh][kw] → [oc][ic][taps] (per-output-channel rows for the affine fold)
  const src = node.constInputs[1]?.data as Float32Array;
  const taps = g.kh * g.kw;
  const byOc = new Float32Array(src.length);
  for (let i = 0; i < g.ic; i++)
    for (let o = 0; o < g.oc; o++)
      for (let t = 0; t < taps; t++)
        byOc[(o * g.ic + i) * taps + t] = src[(i * g.oc + o) * taps + t] as number;
  const f = foldAffine(byOc, floatConst(io, bName), g.oc, ep);
  const program = f.ep.steps.length ? encodePointwise(epilogueSteps(f.ep, 0, 0)) : undefined;
  const steps: Step[] = [];
  for (let b = 0; b < n; b++) {
    const args: Arg[] = [
      { value: x, offset: b * g.ic * h * w * 4 },
      { data: f.w },
      { data: f.bias },
      { value: y, offset: b * g.oc * h * w * taps * 4 },
      g.ic,
      g.oc,
      h,
      w,
      program ? { data: program } : 0,
      { scratch: 'base' },
      { scratch: 'stride' },
      g.kh,
      g.kw,
      ...descArgs(channelDescs(f.ep)),
    ];
    steps.push({
      kernel: g.kh === 2 && g.kw === 2 ? 'upsample2x2' : 'upsample_taps',
      work: 2 * g.ic * g.oc * h * w * taps,
      args,
      scratch: program ? pointwiseScratch(f.ep.steps.length, CONV_CHUNK * g.kw) : 0,
    });
  }
  return steps;
}

const convTranspose: WasmKernel = {
  plan,
  takes: (n) => n.op === 'ConvTranspose' && upsampling(n) !== undefined,
};

registerWasmKernel('ConvTranspose', convTranspose);
registerWasmKernel('FusedConvTranspose', convTranspose, FUSED_DOMAIN);
