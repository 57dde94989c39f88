// Property: random constant subgraphs fold away and the model's outputs stay equal
// (onnxruntime-node before vs after), the folded values computed by the reference kernels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldConstants } from '../../compiler/passes/constant-fold.ts';
import { dedupeConstants } from '../../compiler/passes/dedupe-constants.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, maxRelDiff, ortRun } from './graphs.ts';

const N = 6; // every constant is [2, 3] or broadcasts to it
const vals = (n: number) =>
  fc.array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), {
    minLength: n,
    maxLength: n,
  });

const step = fc.record({
  op: fc.constantFrom('Add', 'Sub', 'Mul', 'Div', 'Relu', 'Sigmoid', 'Clip', 'Transpose2', 'Identity'),
  a: fc.nat(),
  b: fc.nat(),
});

describe('constant folding', () => {
  it('random constant subgraphs fold to initializers with equal outputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(vals(N), { minLength: 1, maxLength: 3 }),
        vals(3),
        fc.array(step, { minLength: 1, maxLength: 8 }),
        vals(N),
        async (consts, row, steps, x) => {
          const init: Record<string, ReturnType<typeof float32>> = {
            r: float32(
              [3],
              row.map((v) => (Math.abs(v) < 0.25 ? 0.25 : v)),
            ),
            lo: float32([], [-1]),
            hi: float32([], [1.5]),
          };
          consts.forEach((c, i) => {
            init[`k${i}`] = float32([2, 3], c);
          });
          const pool = [...consts.map((_, i) => `k${i}`), 'r'];
          const nodes: NodeInit[] = [];
          steps.forEach((s, i) => {
            const a = pool[s.a % pool.length];
            const b = pool[s.b % pool.length];
            const out = `v${i}`;
            if (s.op === 'Transpose2') {
              nodes.push({ op: 'Transpose', inputs: [a], outputs: [`${out}_t`], attrs: {} });
              nodes.push({ op: 'Transpose', inputs: [`${out}_t`], outputs: [out], attrs: {} });
            } else if (['Relu', 'Sigmoid', 'Identity'].includes(s.op))
              nodes.push({ op: s.op, inputs: [a], outputs: [out] });
            else if (s.op === 'Clip') nodes.push({ op: 'Clip', inputs: [a, 'lo', 'hi'], outputs: [out] });
            else if (s.op === 'Div') nodes.push({ op: 'Div', inputs: [a, 'r'], outputs: [out] });
            else nodes.push({ op: s.op, inputs: [a, b], outputs: [out] });
            pool.push(out);
          });
          // y = x + (every computed constant, broadcast to [2, 3])
          let acc = 'x';
          for (let i = 0; i < steps.length; i++) {
            nodes.push({ op: 'Add', inputs: [acc, `v${i}`], outputs: [`acc${i}`] });
            acc = `acc${i}`;
          }
          nodes.push({ op: 'Identity', inputs: [acc], outputs: ['y'] });
          const model = buildModel({
            inputs: [{ name: 'x', dims: [2, 3] }],
            outputs: ['y'],
            initializers: init,
            nodes,
          });
          const feeds = { x: float32([2, 3], x) };
          const before = await ortRun(bytesOf(model), feeds);
          const folded = await foldConstants(model.graph, 13);
          expect(folded).toBeGreaterThan(0);
          dedupeConstants(model.graph);
          model.graph.sweep();
          // only the additions of the input remain
          expect(model.graph.nodes.every((n) => n.opType === 'Add' || n.opType === 'Identity')).toBe(true);
          const after = await ortRun(bytesOf(model), feeds);
          expect(maxRelDiff(before.y, after.y)).toBeLessThanOrEqual(1e-6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('never folds a node that reads a graph input, nor a graph output', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: ['y', 'k2'],
      initializers: { k: float32([2], [1, 2]) },
      nodes: [
        { op: 'Add', inputs: ['k', 'k'], outputs: ['k2'] },
        { op: 'Mul', inputs: ['x', 'k2'], outputs: ['y'] },
      ],
    });
    expect(await foldConstants(model.graph, 13)).toBe(0);
    expect(model.graph.nodes).toHaveLength(2);
  });
});
