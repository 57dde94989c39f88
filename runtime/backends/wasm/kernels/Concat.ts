// Concat as block copies: each input's rows (the dims before the axis) land at its offset in the
// output's rows, in pieces of at most 64 KiB split across threads (memory.copy each).

import type { Code } from '../asm/code.ts';
import { registerWasmKernel, type Step, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { shapeBytes } from '../planner.ts';
import { arg, share } from './common.ts';

const PIECE = 1 << 16;

/** copy_blocks: [src, dst, blocks, bytes a block, source stride, destination stride] */
defineKernel('copy_blocks', (c: Code) => {
  const src = arg(c, 0);
  const dst = arg(c, 1);
  const blocks = arg(c, 2);
  const bytes = arg(c, 3);
  const sStride = arg(c, 4);
  const dStride = arg(c, 5);
  const pieces = c.local('i32');
  const total = c.local('i32');
  const u = c.local('i32');
  const b = c.local('i32');
  const at = c.local('i32');
  const len = c.local('i32');
  c.get(bytes)
    .i32(PIECE - 1)
    .i32_add()
    .i32(PIECE)
    .i32_div_u()
    .set(pieces);
  c.get(blocks).get(pieces).i32_mul().set(total);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(pieces).i32_div_u().set(b);
    c.get(u).get(pieces).i32_rem_u().i32(PIECE).i32_mul().set(at);
    c.get(bytes)
      .get(at)
      .i32_sub()
      .tee(len)
      .i32(PIECE)
      .i32_gt_s()
      .when(() => {
        c.i32(PIECE).set(len);
      });
    c.get(dst).get(b).get(dStride).i32_mul().i32_add().get(at).i32_add();
    c.get(src).get(b).get(sStride).i32_mul().i32_add().get(at).i32_add();
    c.get(len).memory_copy();
  });
});

const concat: WasmKernel = {
  plan(node, io) {
    const y = node.outputs[0];
    if (!y) return undefined;
    const out = io.shape(y);
    const rank = out.dims.length;
    const axis =
      Number(node.attrs.axis ?? 0) < 0 ? Number(node.attrs.axis) + rank : Number(node.attrs.axis ?? 0);
    const outer = out.dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const rowBytes = shapeBytes(out) / Math.max(1, outer);
    const steps: Step[] = [];
    let offset = 0;
    for (const x of node.inputs) {
      if (!x) continue;
      if (io.constant(x)) return undefined;
      const s = io.shape(x);
      if (s.dtype !== out.dtype) return undefined;
      const bytes = shapeBytes(s) / Math.max(1, outer);
      if (bytes > 0)
        steps.push({
          kernel: 'copy_blocks',
          args: [{ value: x }, { value: y, offset }, outer, bytes, bytes, rowBytes],
        });
      offset += bytes;
    }
    return steps;
  },
};

registerWasmKernel('Concat', concat);
