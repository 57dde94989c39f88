// Properties: constant Mul/Add around a Conv fold into its weights and bias, and the exported
// hard-swish decomposition becomes x·HardSigmoid(x) — random graphs, the rewritten model equals the
// original in onnxruntime-node within float rounding, and the folded nodes are gone (fast-check
// prints the seed of a failing case).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRules } from '../../compiler/engine/driver.ts';
import { AFFINE_FOLD_RULES } from '../../compiler/rules/affine-fold.ts';
import { HARDSWISH_RULES } from '../../compiler/rules/hardswish.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, convShape, floats, maxAbsDiff, ortRun } from './graphs.ts';

const vals = floats;

/** A constant shaped as a scalar, [C,1,1] or [1,C,1,1]. */
const SHAPES = ['scalar', 'c11', '1c11'] as const;
const shaped = (shape: (typeof SHAPES)[number], v: number[]) =>
  shape === 'scalar'
    ? float32([], v.slice(0, 1))
    : float32(shape === 'c11' ? [v.length, 1, 1] : [1, v.length, 1, 1], v);

async function sameInOrt(
  model: ReturnType<typeof buildModel>,
  x: ReturnType<typeof float32>,
  rules = AFFINE_FOLD_RULES,
) {
  const before = await ortRun(bytesOf(model), { x });
  const changed = applyRules(model.graph, rules);
  model.graph.sweep();
  const after = await ortRun(bytesOf(model), { x });
  const range = before.y!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(changed).toBe(true);
  expect(maxAbsDiff(before.y!, after.y!)).toBeLessThanOrEqual(2e-5 * (1 + range));
}

const affineCase = fc.record({ shape: fc.constantFrom(...SHAPES), swapped: fc.boolean() });

/** The Conv of a case: reads `input` (and the bias when the case has one), writes `output`. */
function convNode(
  s: { bias: boolean; group: number; stride: number; pad: number },
  input: string,
  output: string,
  pad = s.pad,
): NodeInit {
  return {
    op: 'Conv',
    inputs: s.bias ? [input, 'w', 'b'] : [input, 'w'],
    outputs: [output],
    attrs: { group: s.group, strides: [s.stride, s.stride], pads: [pad, pad, pad, pad] },
  };
}

function convCase() {
  return fc.tuple(convShape, affineCase).chain(([conv, affine]) => {
    const s = { ...conv, ...affine };
    const cin = s.group * s.cinPer;
    const cout = s.group * s.coutPer;
    return fc.record({
      s: fc.constant(s),
      w: vals(cout * s.cinPer * s.k * s.k),
      b: vals(cout),
      cOut: vals(cout),
      cIn: vals(cin),
      x: vals(cin * s.hw * s.hw),
    });
  });
}

describe('affine folding into Conv', () => {
  it('Conv → Mul(c) [→ Add(d)] folds into one Conv (scalar or per-channel, groups, pads, strides)', async () => {
    await fc.assert(
      fc.asyncProperty(convCase(), fc.boolean(), async ({ s, w, b, cOut, x }, add) => {
        const cin = s.group * s.cinPer;
        const cout = s.group * s.coutPer;
        const nodes: NodeInit[] = [
          convNode(s, 'x', 'c'),
          { op: 'Mul', inputs: s.swapped ? ['s', 'c'] : ['c', 's'], outputs: [add ? 'm' : 'y'] },
          ...(add ? [{ op: 'Add', inputs: ['m', 'd'], outputs: ['y'] }] : []),
        ];
        const model = buildModel({
          inputs: [{ name: 'x', dims: [1, cin, s.hw, s.hw] }],
          outputs: ['y'],
          initializers: {
            w: float32([cout, s.cinPer, s.k, s.k], w),
            ...(s.bias ? { b: float32([cout], b) } : {}),
            s: shaped(s.shape, cOut),
            d: shaped(
              s.shape,
              cOut.map((v) => v / 2 + 0.25),
            ),
          },
          nodes,
        });
        await sameInOrt(model, float32([1, cin, s.hw, s.hw], x));
        expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
      }),
      { numRuns: 40 },
    );
  });

  it('Mul(x, c) → Conv folds into the weights; Add(x, c) → Conv folds into the bias only without padding', async () => {
    await fc.assert(
      fc.asyncProperty(convCase(), fc.constantFrom('Mul', 'Add'), async ({ s, w, b, cIn, x }, op) => {
        const cin = s.group * s.cinPer;
        const cout = s.group * s.coutPer;
        const model = buildModel({
          inputs: [{ name: 'x', dims: [1, cin, s.hw, s.hw] }],
          outputs: ['y'],
          initializers: {
            w: float32([cout, s.cinPer, s.k, s.k], w),
            ...(s.bias ? { b: float32([cout], b) } : {}),
            c: shaped(s.shape, cIn),
          },
          nodes: [{ op, inputs: s.swapped ? ['c', 'x'] : ['x', 'c'], outputs: ['t'] }, convNode(s, 't', 'y')],
        });
        const xt = float32([1, cin, s.hw, s.hw], x);
        if (op === 'Add' && s.pad > 0) {
          // zero padding would see the constant at the borders: not folded
          expect(applyRules(model.graph, AFFINE_FOLD_RULES)).toBe(false);
          return;
        }
        await sameInOrt(model, xt);
        expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
      }),
      { numRuns: 40 },
    );
  });

  it('Mul(x, s) → Add(·, c) → padded Conv ⇒ Add(x, c/s) → Conv with W·s (one pass fewer)', async () => {
    await fc.assert(
      fc.asyncProperty(
        convCase(),
        fc.array(fc.float({ min: Math.fround(0.25), max: 2, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        async ({ s, w, b, cIn, x }, mags, signs, addSwapped) => {
          const cin = s.group * s.cinPer;
          const cout = s.group * s.coutPer;
          const scale = mags.slice(0, cin).map((v, i) => (signs[i] ? v : -v));
          const model = buildModel({
            inputs: [{ name: 'x', dims: [1, cin, s.hw, s.hw] }],
            outputs: ['y'],
            initializers: {
              w: float32([cout, s.cinPer, s.k, s.k], w),
              ...(s.bias ? { b: float32([cout], b) } : {}),
              s: shaped(s.shape, scale),
              c: shaped(s.shape, cIn),
            },
            nodes: [
              { op: 'Mul', inputs: s.swapped ? ['s', 'x'] : ['x', 's'], outputs: ['m'] },
              { op: 'Add', inputs: addSwapped ? ['c', 'm'] : ['m', 'c'], outputs: ['t'] },
              convNode(s, 't', 'y', 1),
            ],
          });
          const xt = float32([1, cin, s.hw, s.hw], x);
          const before = await ortRun(bytesOf(model), { x: xt });
          expect(applyRules(model.graph, AFFINE_FOLD_RULES)).toBe(true);
          model.graph.sweep();
          expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Add', 'Conv']);
          const after = await ortRun(bytesOf(model), { x: xt });
          // rounding of c/s and of W·s, relative to the largest term the conv sums
          const inMax = Math.max(...x.map(Math.abs)) * 2 + Math.max(...cIn.map(Math.abs));
          const wSum = s.cinPer * s.k * s.k * Math.max(...w.map(Math.abs));
          expect(maxAbsDiff(before.y!, after.y!)).toBeLessThanOrEqual(1e-5 * (1 + inMax * wSum));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a Mul whose output is also read elsewhere is left alone', () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [1, 2, 3, 3] }],
      outputs: ['y', 'c'],
      initializers: { w: float32([2, 2, 1, 1], [1, 2, 3, 4]), s: float32([], [2]) },
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
        { op: 'Mul', inputs: ['c', 's'], outputs: ['y'] },
      ],
    });
    expect(applyRules(model.graph, AFFINE_FOLD_RULES)).toBe(false);
  });
});

describe('hard-swish as x·HardSigmoid(x)', () => {
  it('x·Clip(x+3, 0, 6)/6 (any operand order, opset 11 or 13) ⇒ HardSigmoid + Mul, same values', async () => {
    await fc.assert(
      fc.asyncProperty(
        vals(24, -8, 8),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(11, 13),
        async (x, mulSwapped, addSwapped, opset) => {
          const model = buildModel({
            inputs: [{ name: 'x', dims: [1, 2, 3, 4] }],
            outputs: ['y'],
            opset,
            initializers: {
              three: float32([], [3]),
              zero: float32([], [0]),
              six: float32([], [6]),
            },
            nodes: [
              { op: 'Add', inputs: addSwapped ? ['three', 'x'] : ['x', 'three'], outputs: ['a'] },
              { op: 'Clip', inputs: ['a', 'zero', 'six'], outputs: ['c'] },
              { op: 'Mul', inputs: mulSwapped ? ['c', 'x'] : ['x', 'c'], outputs: ['m'] },
              { op: 'Div', inputs: ['m', 'six'], outputs: ['y'] },
            ],
          });
          await sameInOrt(model, float32([1, 2, 3, 4], x), HARDSWISH_RULES);
          expect(model.graph.nodes.map((n) => n.opType)).toEqual(['HardSigmoid', 'Mul']);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('other constants (x+2, Clip to 5, /5) or different values are left alone', () => {
    for (const [three, hi, six, second] of [
      [2, 6, 6, 'x'],
      [3, 5, 6, 'x'],
      [3, 6, 5, 'x'],
      [3, 6, 6, 'z'],
    ] as const) {
      const model = buildModel({
        inputs: [
          { name: 'x', dims: [1, 4] },
          { name: 'z', dims: [1, 4] },
        ],
        outputs: ['y'],
        initializers: {
          three: float32([], [three]),
          zero: float32([], [0]),
          hi: float32([], [hi]),
          six: float32([], [six]),
        },
        nodes: [
          { op: 'Add', inputs: ['x', 'three'], outputs: ['a'] },
          { op: 'Clip', inputs: ['a', 'zero', 'hi'], outputs: ['c'] },
          { op: 'Mul', inputs: [second, 'c'], outputs: ['m'] },
          { op: 'Div', inputs: ['m', 'six'], outputs: ['y'] },
        ],
      });
      expect(applyRules(model.graph, HARDSWISH_RULES)).toBe(false);
    }
  });
});
