// Property: random Conv / ConvTranspose / Gemm → BatchNormalization graphs fold exactly (the
// folded model equals the original in onnxruntime-node within float rounding), BN gone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRules } from '../../compiler/engine/driver.ts';
import { BIAS_FOLD_RULES } from '../../compiler/rules/bias-fold.ts';
import { BN_FOLD_RULES } from '../../compiler/rules/bn-fold.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, convShape, floats, maxAbsDiff, ortRun } from './graphs.ts';

const vals = floats;

const bnInputs = (c: number) =>
  fc.record({
    gamma: vals(c),
    beta: vals(c),
    mean: vals(c),
    var: vals(c, 0, 3),
    eps: fc.constantFrom(1e-5, 1e-3, 0.1),
  });

type Bn = { gamma: number[]; beta: number[]; mean: number[]; var: number[]; eps: number };

function bnNode(c: number, bn: Bn, input: string) {
  return {
    init: {
      gamma: float32([c], bn.gamma),
      beta: float32([c], bn.beta),
      mean: float32([c], bn.mean),
      var: float32([c], bn.var),
    },
    node: {
      op: 'BatchNormalization',
      inputs: [input, 'gamma', 'beta', 'mean', 'var'],
      outputs: ['y'],
      attrs: { epsilon: bn.eps },
    },
  };
}

async function checkFold(
  model: ReturnType<typeof buildModel>,
  x: ReturnType<typeof float32>,
  bn: Bn,
  rules = BN_FOLD_RULES,
) {
  const before = await ortRun(bytesOf(model), { x });
  applyRules(model.graph, BIAS_FOLD_RULES);
  const changed = applyRules(model.graph, rules);
  model.graph.sweep();
  expect(changed).toBe(true);
  expect(model.graph.nodes.map((n) => n.opType)).not.toContain('BatchNormalization');
  const after = await ortRun(bytesOf(model), { x });
  // float32 rounding differs between W·x·s and (W·s)·x: bounded relative to the output's range
  // and in the folded bias β − μ·s, which cancels against the scaled pre-BN value (s = γ/√(var+ε)
  // reaches 632 at var 0): so the bound also scales with the largest |μ·s| + |β| a channel adds.
  const folded = bn.gamma.reduce(
    (m, g, i) =>
      Math.max(m, Math.abs((bn.mean[i]! * g) / Math.sqrt(bn.var[i]! + bn.eps)) + Math.abs(bn.beta[i]!)),
    0,
  );
  const range = Math.max(
    folded,
    before.y.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
  );
  expect(maxAbsDiff(before.y, after.y)).toBeLessThanOrEqual(1e-5 * (1 + range));
}

describe('BatchNormalization folding', () => {
  it('Conv → BN folds exactly (random shapes, groups, strides, pads, with/without bias)', async () => {
    const arb = convShape.chain((s) => {
      const cin = s.group * s.cinPer;
      const cout = s.group * s.coutPer;
      return fc.record({
        s: fc.constant(s),
        w: vals(cout * s.cinPer * s.k * s.k),
        b: vals(cout),
        x: vals(cin * s.hw * s.hw),
        bn: bnInputs(cout),
      });
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ s, w, b, x, bn }) => {
        const cin = s.group * s.cinPer;
        const cout = s.group * s.coutPer;
        const { init, node } = bnNode(cout, bn, 'c');
        const model = buildModel({
          inputs: [{ name: 'x', dims: [1, cin, s.hw, s.hw] }],
          outputs: ['y'],
          initializers: {
            w: float32([cout, s.cinPer, s.k, s.k], w),
            ...(s.bias ? { b: float32([cout], b) } : {}),
            ...init,
          },
          nodes: [
            {
              op: 'Conv',
              name: 'conv',
              inputs: s.bias ? ['x', 'w', 'b'] : ['x', 'w'],
              outputs: ['c'],
              attrs: { group: s.group, strides: [s.stride, s.stride], pads: [s.pad, s.pad, s.pad, s.pad] },
            },
            node,
          ],
        });
        await checkFold(model, float32([1, cin, s.hw, s.hw], x), bn);
        expect(model.graph.nodes[0].name).toBe('conv');
      }),
      { numRuns: 40 },
    );
  });

  it('ConvTranspose (→ per-channel Add) → BN folds exactly', async () => {
    const arb = fc
      .record({
        group: fc.constantFrom(1, 2),
        cinPer: fc.integer({ min: 1, max: 3 }),
        coutPer: fc.integer({ min: 1, max: 3 }),
        k: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 2 }),
        hw: fc.integer({ min: 2, max: 4 }),
        bias: fc.boolean(),
        add: fc.boolean(),
      })
      .chain((s) => {
        const cin = s.group * s.cinPer;
        const cout = s.group * s.coutPer;
        return fc.record({
          s: fc.constant(s),
          w: vals(cin * s.coutPer * s.k * s.k),
          b: vals(cout),
          c: vals(cout),
          x: vals(cin * s.hw * s.hw),
          bn: bnInputs(cout),
        });
      });
    await fc.assert(
      fc.asyncProperty(arb, async ({ s, w, b, c, x, bn }) => {
        const cin = s.group * s.cinPer;
        const cout = s.group * s.coutPer;
        const { init, node } = bnNode(cout, bn, s.add ? 'a' : 't');
        const nodes = [
          {
            op: 'ConvTranspose',
            inputs: s.bias ? ['x', 'w', 'b'] : ['x', 'w'],
            outputs: ['t'],
            attrs: { group: s.group, strides: [s.stride, s.stride] },
          },
          ...(s.add ? [{ op: 'Add', inputs: ['t', 'c'], outputs: ['a'] }] : []),
          node,
        ];
        const model = buildModel({
          inputs: [{ name: 'x', dims: [1, cin, s.hw, s.hw] }],
          outputs: ['y'],
          initializers: {
            w: float32([cin, s.coutPer, s.k, s.k], w),
            ...(s.bias ? { b: float32([cout], b) } : {}),
            ...(s.add ? { c: float32([1, cout, 1, 1], c) } : {}),
            ...init,
          },
          nodes,
        });
        await checkFold(model, float32([1, cin, s.hw, s.hw], x), bn);
        expect(model.graph.nodes.map((n) => n.opType)).toEqual(['ConvTranspose']);
      }),
      { numRuns: 30 },
    );
  });

  it('Gemm → BN folds exactly (transB, alpha, beta, C scalar / [N] / [M, N] / absent)', async () => {
    const arb = fc
      .record({
        m: fc.integer({ min: 1, max: 3 }),
        k: fc.integer({ min: 1, max: 4 }),
        n: fc.integer({ min: 1, max: 4 }),
        transB: fc.constantFrom(0, 1),
        alpha: fc.constantFrom(1, 0.5, 2),
        beta: fc.constantFrom(1, 0.5, 3),
        cShape: fc.constantFrom('none', 'scalar', 'n', 'mn'),
      })
      .chain((s) =>
        fc.record({
          s: fc.constant(s),
          w: vals(s.k * s.n),
          c: vals(s.m * s.n),
          x: vals(s.m * s.k),
          bn: bnInputs(s.n),
        }),
      );
    await fc.assert(
      fc.asyncProperty(arb, async ({ s, w, c, x, bn }) => {
        const { init, node } = bnNode(s.n, bn, 'g');
        const cT =
          s.cShape === 'scalar'
            ? float32([1], c.slice(0, 1))
            : s.cShape === 'n'
              ? float32([s.n], c.slice(0, s.n))
              : float32([s.m, s.n], c);
        const model = buildModel({
          inputs: [{ name: 'x', dims: [s.m, s.k] }],
          outputs: ['y'],
          initializers: {
            w: float32(s.transB ? [s.n, s.k] : [s.k, s.n], w),
            ...(s.cShape === 'none' ? {} : { c: cT }),
            ...init,
          },
          nodes: [
            {
              op: 'Gemm',
              inputs: s.cShape === 'none' ? ['x', 'w'] : ['x', 'w', 'c'],
              outputs: ['g'],
              attrs: {
                transB: s.transB,
                alpha: { name: 'alpha', type: 'FLOAT', value: s.alpha },
                beta: { name: 'beta', type: 'FLOAT', value: s.beta },
              },
            },
            node,
          ],
        });
        await checkFold(model, float32([s.m, s.k], x), bn);
      }),
      { numRuns: 40 },
    );
  });

  it('records a near-miss when the conv output has another use', () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [1, 1, 3, 3] }],
      outputs: ['y', 'c'],
      initializers: {
        w: float32([1, 1, 1, 1], [2]),
        ...bnNode(1, { gamma: [1], beta: [0], mean: [0], var: [1], eps: 1e-5 }, 'c').init,
      },
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
        bnNode(1, { gamma: [1], beta: [0], mean: [0], var: [1], eps: 1e-5 }, 'c').node,
      ],
    });
    expect(applyRules(model.graph, BN_FOLD_RULES)).toBe(false);
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'BatchNormalization']);
  });
});
