// Depthwise conv (one input channel per output channel): over the padded, phase-split input, each
// step loads 16 consecutive positions (four vectors) per tap against one weight splat; units are
// (channel, output row, chunk), each followed by its epilogue.

import type { GraphNode } from '../../backend.ts';
import type { ConvGeometry } from '../../geometry.ts';
import type { Code } from '../asm/code.ts';
import type { Arg, PlanIO, Step } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { ARGS, args, chunkCount, chunkEnd, locals, scratchOf, share } from './common.ts';
import { type Folded, padGeometry, tapOffset } from './conv-common.ts';
import { CONV_CHUNK } from './conv-direct.ts';
import { channelDescs, descArgs, epilogueSteps } from './epilogue.ts';
import { padArgs, paddedFloats } from './pad.ts';
import { encodePointwise, pointwiseScratch } from './pointwise.ts';

const DW = {
  input: 0,
  weights: 1,
  bias: 2,
  output: 3,
  taps: 4,
  ntaps: 5,
  channels: 6,
  oh: 7,
  ow: 8,
  rowStep: 9,
  plane: 10,
  program: 11,
  scratch: 12,
  descs: 14,
} as const;

const V = 4;

defineKernel('depthwise', (c: Code) => {
  const { input, weights, bias, output, taps, ntaps, channels, oh, ow, rowStep, plane, program } = args(
    c,
    DW,
    [
      'input',
      'weights',
      'bias',
      'output',
      'taps',
      'ntaps',
      'channels',
      'oh',
      'ow',
      'rowStep',
      'plane',
      'program',
    ],
  );
  const scratch = scratchOf(c, DW.scratch);
  const [chunks, total, u, ch, y, rc, x0, xEnd, x, t, ip, off] = locals(c, 'i32', 12);
  const wv = c.local('v128');
  const op = c.local('i32');
  const left = c.local('i32');
  const acc = Array.from({ length: V }, () => c.local('v128'));
  chunkCount(c, ow, CONV_CHUNK, chunks);
  c.get(channels).get(oh).i32_mul().get(chunks).i32_mul().set(total);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(chunks).i32_rem_u().i32(CONV_CHUNK).i32_mul().set(x0);
    c.get(u).get(chunks).i32_div_u().tee(rc).get(oh).i32_rem_u().set(y);
    c.get(rc).get(oh).i32_div_u().set(ch);
    chunkEnd(c, x0, CONV_CHUNK, ow, xEnd);
    c.for(x, { local: x0 }, { local: xEnd }, V * 4, () => {
      c.get(bias)
        .get(ch)
        .i32(2)
        .i32_shl()
        .i32_add()
        .v128_load32_splat()
        .set(acc[0] as number);
      for (let v = 1; v < V; v++) c.get(acc[0] as number).set(acc[v] as number);
      c.get(input).get(ch).get(plane).i32_mul().i32_add().get(y).get(rowStep).i32_mul().i32_add();
      c.get(x).i32(2).i32_shl().i32_add().set(ip);
      c.for(t, 0, { local: ntaps }, 1, () => {
        c.get(weights).get(ch).get(ntaps).i32_mul().get(t).i32_add().i32(2).i32_shl().i32_add();
        c.v128_load32_splat().set(wv);
        c.get(ip).get(taps).get(t).i32(2).i32_shl().i32_add().i32_load().i32_add().set(off);
        for (let v = 0; v < V; v++)
          c.get(acc[v] as number)
            .get(off)
            .v128_load(v * 16)
            .get(wv)
            .f32x4_mul()
            .f32x4_add()
            .set(acc[v] as number);
      });
      c.get(output).get(ch).get(oh).i32_mul().get(y).i32_add().get(ow).i32_mul().get(x).i32_add();
      c.i32(2).i32_shl().i32_add().set(op);
      c.get(ow).get(x).i32_sub().set(left);
      for (let v = 0; v < V; v++) {
        c.get(left)
          .i32(v * 4 + 4)
          .i32_ge_s();
        c.if();
        c.get(op)
          .get(acc[v] as number)
          .v128_store(v * 16);
        c.else();
        for (let l = 0; l < 4; l++)
          c.get(left)
            .i32(v * 4 + l)
            .i32_gt_s()
            .when(() => {
              c.get(op)
                .get(acc[v] as number)
                .f32x4_extract_lane(l)
                .f32_store((v * 4 + l) * 4);
            });
        c.end();
      }
    });
    c.get(program).when(() => {
      c.get(program)
        .get(ARGS)
        .i32(DW.descs * 4)
        .i32_add();
      c.get(output).get(ch).get(oh).i32_mul().get(y).i32_add().get(ow).i32_mul().get(x0).i32_add();
      c.i32(2).i32_shl().i32_add();
      c.get(xEnd).get(x0).i32_sub().i32(0).get(ch).get(y).get(ow).i32_mul().get(x0).i32_add().get(scratch);
      c.call('pointwise');
    });
  });
});

/** Steps of a depthwise conv: pad the input, then the kernel (per image). */
export function depthwiseSteps(node: GraphNode, io: PlanIO, g: ConvGeometry, f: Folded): Step[] {
  const x = node.inputs[0] as string;
  const y = node.outputs[0] as string;
  const p = padGeometry(g);
  const [kh, kw] = g.kernel;
  const taps = new Int32Array(kh * kw);
  for (let ky = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++) taps[ky * kw + kx] = tapOffset(g, p, ky, kx);
  const program = f.ep.steps.length ? encodePointwise(epilogueSteps(f.ep, 0, 0)) : undefined;
  const padded = io.temp(paddedFloats(p));
  const steps: Step[] = [];
  for (let b = 0; b < g.n; b++) {
    steps.push({
      kernel: 'pad_phases',
      args: [{ value: x, offset: b * g.c * g.h * g.w * 4 }, { value: padded }, ...padArgs(p)],
    });
    const args: Arg[] = [
      { value: padded },
      { data: f.w },
      { data: f.bias },
      { value: y, offset: b * g.oc * g.oh * g.ow * 4 },
      { data: taps },
      taps.length,
      g.c,
      g.oh,
      g.ow,
      g.strides[0] * p.sx * p.wq * 4,
      p.hp * p.sx * p.wq * 4,
      program ? { data: program } : 0,
      { scratch: 'base' },
      { scratch: 'stride' },
      ...descArgs(channelDescs(f.ep)),
    ];
    steps.push({
      kernel: 'depthwise',
      work: 2 * g.oc * g.oh * g.ow * kh * kw,
      args,
      scratch: program ? pointwiseScratch(f.ep.steps.length, CONV_CHUNK) : 0,
    });
  }
  return steps;
}
