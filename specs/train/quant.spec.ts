// QuantizeLinear → DequantizeLinear trains as a fake quantizer: the value gets the straight-through
// estimator (dY inside the clamp range, 0 outside) and the shared scale the LSQ gradient
// Σ dY·((q − z) − x/s inside); checked element by element against those formulas computed here, on
// both runtimes. Dequantizing a stored integer tensor differentiates its scale exactly (finite
// differences).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rng } from '../../compiler/data/random.ts';
import { buildTrainingGraph } from '../../compiler/train/graph/training-graph.ts';
import { makeTensor } from '../../runtime/ir/tensor.ts';
import { type Case, caseModel } from './cases.ts';
import { checkCase, ORT, runGradients, SQUISH } from './fd.ts';

const roundEven = (v: number) => {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

function fakeQuantCase(perAxis: boolean, unsigned: boolean, C: number, L: number): Case {
  const lo = unsigned ? 0 : -128;
  return {
    label: `fake quant ${perAxis ? 'per-axis' : 'per-tensor'} ${unsigned ? 'uint8' : 'int8'}`,
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'], attrs: { axis: 0 } },
      { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'], attrs: { axis: 0 } },
    ],
    operands: {
      x: { dims: [C, L], lo: -3, hi: 3 },
      s: perAxis ? { dims: [C], lo: 0.01, hi: 0.02 } : { dims: [], lo: 0.012, hi: 0.02 },
      z: {
        dims: perAxis ? [C] : [],
        dtype: unsigned ? 'uint8' : 'int8',
        data: Array.from({ length: perAxis ? C : 1 }, (_, i) => (unsigned ? 100 + 20 * i : lo + 128 - 5 * i)),
      },
    },
    outputs: ['y'],
  };
}

describe('fake quantizers', () => {
  it('QuantizeLinear → DequantizeLinear: straight-through value gradient and LSQ scale gradient', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        async (perAxis, unsigned, C, L, seed) => {
          const c = fakeQuantCase(perAxis, unsigned, C, L);
          const model = caseModel(c, seed);
          const tg = buildTrainingGraph(model, {
            inputShapes: {},
            loss: [{ kind: 'mse', target: 'label' }],
            weights: ['x', 's'],
          });
          const next = rng(seed + 7);
          const target = makeTensor('float32', [C, L]);
          (target.data as Float32Array).forEach((_, i, a) => {
            a[i] = next() * 4 - 2;
          });
          const g = model.graph;
          const x = g.constant('x')!.data as Float32Array;
          const s = g.constant('s')!.data as Float32Array;
          const z = Array.from(g.constant('z')!.data as Int8Array, Number);
          const [qlo, qhi] = unsigned ? [0, 255] : [-128, 127];
          const dx = new Float64Array(C * L);
          const ds = new Float64Array(s.length);
          for (let i = 0; i < C * L; i++) {
            const a = perAxis ? Math.floor(i / L) : 0;
            const ratio = x[i]! / s[a]!;
            const q = Math.min(Math.max(roundEven(ratio) + z[a]!, qlo), qhi);
            const y = Math.fround((q - z[a]!) * s[a]!);
            const dy = (2 * (y - (target.data as Float32Array)[i]!)) / (C * L);
            const inside = ratio + z[a]! >= qlo && ratio + z[a]! <= qhi;
            dx[i] = inside ? dy : 0;
            ds[a]! += dy * (q - z[a]! - (inside ? ratio : 0));
          }
          for (const runner of [ORT, SQUISH]) {
            const grads = await runGradients(tg, {}, { 'label|y': target }, runner, model);
            const gx = grads.get('x')!;
            const gs = grads.get('s')!;
            for (let i = 0; i < dx.length; i++) expect(Math.abs(gx[i]! - dx[i]!)).toBeLessThan(1e-6);
            for (let a = 0; a < ds.length; a++)
              expect(Math.abs(gs[a]! - ds[a]!)).toBeLessThan(1e-3 * (1 + Math.abs(ds[a]!)));
          }
        },
      ),
      { numRuns: 8 },
    );
  });

  it('DequantizeLinear of stored integers: the scale gradient equals finite differences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.integer({ min: 1, max: 2 ** 30 }), async (perAxis, seed) => {
        const c: Case = {
          label: `dequantize ${perAxis ? 'per-axis' : 'per-tensor'}`,
          nodes: [{ op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'], attrs: { axis: 1 } }],
          operands: {
            q: { dims: [2, 3], dtype: 'int8', data: [-100, 5, 77, 127, -128, 0] },
            s: { dims: perAxis ? [3] : [], lo: 0.01, hi: 0.1 },
            z: { dims: perAxis ? [3] : [], dtype: 'int8', data: perAxis ? [1, -2, 3] : [4] },
          },
          outputs: ['y'],
        };
        expect(await checkCase(c, seed)).toBe('');
      }),
      { numRuns: 4 },
    );
  });
});
