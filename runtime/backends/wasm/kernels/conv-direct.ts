// conv2d: direct convolution over a padded, phase-split input (or the input itself for 1×1 stride
// 1), register-blocked: each inner step loads 8 consecutive input positions (two vectors) and MR
// weights (splats) and updates MR × 8 accumulators. The (input channel, tap) pairs are one flat
// loop over a table of byte offsets, weights packed [group][block][channel][tap][MR] to match.
// Work units are (output row, chunk of ≤ 256 positions, channel block); after a unit the fused
// epilogue runs over each of its MR channel rows while they are in cache.

import type { Code } from '../asm/code.ts';
import { defineKernel } from '../library.ts';
import {
  ARGS,
  args,
  chunkCount,
  chunkEnd,
  fmaPair,
  locals,
  scratchOf,
  share,
  whenInBlock,
} from './common.ts';

/** Output positions per work unit. */
export const CONV_CHUNK = 256;

/** Argument words of conv2d (byte addresses unless said otherwise). */
export const CONV_ARGS = {
  input: 0,
  weights: 1,
  bias: 2,
  output: 3,
  taps: 4,
  /** Entries of the tap table: input channels of a group × kernel taps. */
  ntaps: 5,
  /** Channel blocks (of MR) per group. */
  blocks: 6,
  groups: 7,
  /** Input bytes from one group's first channel to the next group's. */
  groupInput: 8,
  /** Output channels per group. */
  groupChannels: 9,
  oh: 10,
  ow: 11,
  /** Input bytes between two output rows. */
  rowStep: 12,
  /** Pointwise epilogue program (0: none), then scratch base and stride. */
  program: 13,
  scratch: 14,
  /** Epilogue input descriptors start here. */
  descs: 16,
} as const;

for (const mr of [4, 1]) defineKernel(`conv2d_mr${mr}`, (c) => emitConv(c, mr));

function emitConv(c: Code, MR: number): void {
  const A = CONV_ARGS;
  const {
    input,
    weights,
    bias,
    output,
    taps,
    ntaps,
    blocks,
    groups,
    groupInput,
    groupChannels,
    oh,
    ow,
    rowStep,
    program,
  } = args(c, A, [
    'input',
    'weights',
    'bias',
    'output',
    'taps',
    'ntaps',
    'blocks',
    'groups',
    'groupInput',
    'groupChannels',
    'oh',
    'ow',
    'rowStep',
    'program',
  ]);
  const scratch = scratchOf(c, A.scratch);
  const [chunks, total, u, blk, g, rc, y, x0, xEnd, x, k, ip, wp, tp, off, plane, oc, op, left] = locals(
    c,
    'i32',
    19,
  );
  const acc: number[] = [];
  for (let i = 0; i < MR * 2; i++) acc.push(c.local('v128'));
  const v0 = c.local('v128');
  const v1 = c.local('v128');
  const wv = c.local('v128');

  chunkCount(c, ow, CONV_CHUNK, chunks);
  c.get(oh).get(ow).i32_mul().set(plane);
  // units: row-chunk major, then group and block (a thread keeps its input chunk in cache)
  c.get(oh).get(chunks).i32_mul().get(groups).i32_mul().get(blocks).i32_mul().set(total);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(blocks).i32_rem_u().set(blk);
    c.get(u).get(blocks).i32_div_u().tee(rc).get(groups).i32_rem_u().set(g);
    c.get(rc).get(groups).i32_div_u().set(rc);
    c.get(rc).get(chunks).i32_div_u().set(y);
    c.get(rc).get(chunks).i32_rem_u().i32(CONV_CHUNK).i32_mul().set(x0);
    chunkEnd(c, x0, CONV_CHUNK, ow, xEnd);
    c.for(x, { local: x0 }, { local: xEnd }, 8, () => {
      // accumulators start at the bias of their channel
      for (let m = 0; m < MR; m++) {
        c.get(bias).get(g).get(groupChannels).i32_mul().get(blk).i32(MR).i32_mul().i32_add().i32(m).i32_add();
        c.i32(2)
          .i32_shl()
          .i32_add()
          .v128_load32_splat()
          .tee(acc[m * 2] as number)
          .set(acc[m * 2 + 1] as number);
      }
      c.get(input).get(g).get(groupInput).i32_mul().i32_add();
      c.get(y).get(rowStep).i32_mul().i32_add().get(x).i32(2).i32_shl().i32_add().set(ip);
      c.get(weights)
        .get(g)
        .get(blocks)
        .i32_mul()
        .get(blk)
        .i32_add()
        .get(ntaps)
        .i32_mul()
        .i32(MR * 4)
        .i32_mul();
      c.i32_add().set(wp);
      c.get(taps).set(tp);
      c.for(k, 0, { local: ntaps }, 1, () => {
        c.get(ip).get(tp).i32_load().i32_add().tee(off).v128_load().set(v0);
        c.get(off).v128_load(16).set(v1);
        for (let m = 0; m < MR; m++) {
          c.get(wp)
            .v128_load32_splat(m * 4)
            .set(wv);
          fmaPair(c, acc[m * 2] as number, acc[m * 2 + 1] as number, v0, v1, wv);
        }
        c.get(wp)
          .i32(MR * 4)
          .i32_add()
          .set(wp);
        c.get(tp).i32(4).i32_add().set(tp);
      });
      // store: whole vectors, or lane by lane past the row's end
      c.get(ow).get(x).i32_sub().set(left);
      for (let m = 0; m < MR; m++) {
        c.get(g).get(groupChannels).i32_mul().get(blk).i32(MR).i32_mul().i32_add().i32(m).i32_add().set(oc);
        // a padded block's extra channels are not stored
        whenInBlock(c, blk, MR, m, groupChannels, () => {
          c.get(output).get(oc).get(plane).i32_mul().get(y).get(ow).i32_mul().i32_add().get(x).i32_add();
          c.i32(2).i32_shl().i32_add().set(op);
          storeLanes(c, op, left, acc[m * 2] as number, acc[m * 2 + 1] as number);
        });
      }
    });
    // the epilogue over this unit's rows
    c.get(program).when(() => {
      for (let m = 0; m < MR; m++) {
        c.get(g).get(groupChannels).i32_mul().get(blk).i32(MR).i32_mul().i32_add().i32(m).i32_add().set(oc);
        whenInBlock(c, blk, MR, m, groupChannels, () => {
          c.get(program)
            .get(ARGS)
            .i32(CONV_ARGS.descs * 4)
            .i32_add();
          c.get(output).get(oc).get(plane).i32_mul().get(y).get(ow).i32_mul().i32_add().get(x0).i32_add();
          c.i32(2).i32_shl().i32_add();
          c.get(xEnd)
            .get(x0)
            .i32_sub()
            .i32(0)
            .get(oc)
            .get(y)
            .get(ow)
            .i32_mul()
            .get(x0)
            .i32_add()
            .get(scratch);
          c.call('pointwise');
        });
      }
    });
  });
}

/** Store two vectors at `op`, or only the first `left` lanes when fewer than 8 remain. */
export function storeLanes(c: Code, op: number, left: number, a: number, b: number): void {
  c.get(left).i32(8).i32_ge_s();
  c.if();
  c.get(op).get(a).v128_store().get(op).get(b).v128_store(16);
  c.else();
  for (let l = 0; l < 8; l++) {
    c.get(left)
      .i32(l)
      .i32_gt_s()
      .when(() => {
        c.get(op)
          .get(l < 4 ? a : b)
          .f32x4_extract_lane(l % 4)
          .f32_store(l * 4);
      });
  }
  c.end();
}
