// Property: single ops in their opset-9 form (random attributes) give the same onnxruntime
// outputs after the version converter raises them to opset 13 and to 21.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { upgradeOpset } from '../../compiler/opset/convert.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from './graphs.ts';

const DIMS = [2, 3, 4];
const X = float32(
  DIMS,
  Array.from({ length: 24 }, (_, i) => Math.cos(i * 2.3) * 4),
);
const axis = fc.integer({ min: -3, max: 2 });

const node = fc.oneof(
  fc
    .record({
      min: fc.float({ min: -3, max: 0, noNaN: true }),
      max: fc.float({ min: 0, max: 3, noNaN: true }),
    })
    .map((a): NodeInit => ({ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: a.min, max: a.max } })),
  fc
    .record({
      ax: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
      s: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }),
      e: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }),
    })
    .map(
      (a): NodeInit => ({
        op: 'Slice',
        inputs: ['x'],
        outputs: ['y'],
        attrs: { axes: a.ax, starts: a.ax.map((_, i) => a.s[i]), ends: a.ax.map((_, i) => a.e[i]) },
      }),
    ),
  fc
    .record({
      ax: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
      keep: fc.constantFrom(0, 1),
    })
    .map(
      (a): NodeInit => ({
        op: 'ReduceMean',
        inputs: ['x'],
        outputs: ['y'],
        attrs: { axes: a.ax, keepdims: a.keep },
      }),
    ),
  axis.map((a): NodeInit => ({ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: a } })),
  axis.map((a): NodeInit => ({ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'], attrs: { axis: a } })),
  fc
    .constantFrom(0, 1, 2, 3)
    .map((a): NodeInit => ({ op: 'Unsqueeze', inputs: ['x'], outputs: ['y'], attrs: { axes: [a] } })),
);

describe('opset conversion, random attributes', () => {
  it('opset-9 nodes equal after raising to 13 and 21', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(node, async (n) => {
        const make = () =>
          buildModel({ inputs: [{ name: 'x', dims: DIMS }], outputs: ['y'], nodes: [n], opset: 9 });
        let before: Record<string, Float32Array>;
        try {
          before = await ortRun(bytesOf(make()), { x: X });
        } catch {
          return; // an attribute combination onnxruntime itself rejects at opset 9
        }
        for (const to of [13, 21]) {
          const m = make();
          upgradeOpset(m, to);
          const after = await ortRun(bytesOf(m), { x: X });
          expect(after.y.length).toBe(before.y.length);
          expect(maxAbsDiff(before.y, after.y)).toBeLessThanOrEqual(1e-6);
        }
        compared++;
      }),
      { numRuns: 60 },
    );
    expect(compared).toBeGreaterThanOrEqual(45);
  });
});
