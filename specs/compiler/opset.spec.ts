// Opset conversion: each OCR model raised to opset 13 and 21 (no other change) gives
// onnxruntime-node outputs equal to the original's; single-op conversions checked the same way.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { upgradeOpset } from '../../compiler/opset/convert.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { clsInput, detInput, fixtures, recInput } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from './graphs.ts';

const MODEL_INPUTS = {
  cls: async () =>
    Promise.all(
      fixtures('lines')
        .slice(0, 2)
        .map((f) => clsInput(f.file)),
    ),
  rec: async () =>
    Promise.all(
      fixtures('lines')
        .slice(0, 2)
        .map((f) => recInput(f.file)),
    ),
  det: async () => [await detInput(fixtures('pages')[0].file)],
};

describe('opset conversion of the OCR models', () => {
  for (const k of ['cls', 'rec', 'det'] as const) {
    it(`${k}: opset 13 and 21 equal the original in onnxruntime (max abs ≤ 1e-5)`, async () => {
      const original = new Uint8Array(readFileSync(MODELS[k]));
      const xs = await MODEL_INPUTS[k]();
      const before = await Promise.all(xs.map((x) => ortRun(original, { x })));
      for (const to of [13, 21]) {
        const m = importModel(original);
        const from = m.opset('');
        upgradeOpset(m, to);
        expect(m.opset('')).toBe(to);
        expect(Number(m.irVersion)).toBeGreaterThanOrEqual(to >= 21 ? 10 : 7);
        const bytes = exportModel(m);
        for (let i = 0; i < xs.length; i++) {
          const after = await ortRun(bytes, { x: xs[i] });
          for (const name of Object.keys(before[i])) {
            expect(
              maxAbsDiff(before[i][name], after[name]),
              `${k} ${from}→${to} ${name}`,
            ).toBeLessThanOrEqual(1e-5);
          }
        }
      }
    });
  }
});

describe('single-op conversions', () => {
  const x = float32(
    [2, 3, 4],
    Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) * 3),
  );
  const cases: { name: string; nodes: Parameters<typeof buildModel>[0]['nodes'] }[] = [
    {
      name: 'Clip min/max',
      nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: -1.5, max: 2.25 } }],
    },
    { name: 'Clip max only', nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { max: 0.5 } }] },
    {
      name: 'Slice attrs',
      nodes: [
        {
          op: 'Slice',
          inputs: ['x'],
          outputs: ['y'],
          attrs: { starts: [1, 0], ends: [3, -1], axes: [2, 0] },
        },
      ],
    },
    {
      name: 'Squeeze axes',
      nodes: [
        { op: 'Unsqueeze', inputs: ['x'], outputs: ['u'], attrs: { axes: [0, 3] } },
        { op: 'Squeeze', inputs: ['u'], outputs: ['y'], attrs: { axes: [0] } },
      ],
    },
    {
      name: 'ReduceMean axes',
      nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attrs: { axes: [-1], keepdims: 1 } }],
    },
    {
      name: 'Softmax axis 1 of rank 3 (2-D coercion)',
      nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }],
    },
    { name: 'Softmax default axis', nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }] },
    {
      name: 'Softmax last axis',
      nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 2 } }],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: opset 9 → 13 and → 21 equal in onnxruntime`, async () => {
      const make = () =>
        buildModel({ inputs: [{ name: 'x', dims: [2, 3, 4] }], outputs: ['y'], nodes: c.nodes, opset: 9 });
      const before = await ortRun(bytesOf(make()), { x });
      for (const to of [13, 21]) {
        const m = make();
        upgradeOpset(m, to);
        const after = await ortRun(bytesOf(m), { x });
        expect(maxAbsDiff(before.y, after.y)).toBeLessThanOrEqual(1e-6);
      }
    });
  }

  it('Upsample (opset 9) becomes Resize with the same output', async () => {
    const make = () =>
      buildModel({
        inputs: [{ name: 'x', dims: [1, 2, 3, 4] }],
        outputs: ['y'],
        initializers: { s: float32([4], [1, 1, 2, 3]) },
        nodes: [{ op: 'Upsample', inputs: ['x', 's'], outputs: ['y'], attrs: { mode: 'nearest' } }],
        opset: 9,
      });
    const x4 = float32(
      [1, 2, 3, 4],
      Array.from({ length: 24 }, (_, i) => i * 0.5 - 3),
    );
    const before = await ortRun(bytesOf(make()), { x: x4 });
    const m = make();
    upgradeOpset(m, 13);
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Resize']);
    const after = await ortRun(bytesOf(m), { x: x4 });
    expect(maxAbsDiff(before.y, after.y)).toBe(0);
  });

  it('an op squish cannot convert fails the upgrade by name; lowering is refused', () => {
    const m = buildModel({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: ['y'],
      nodes: [{ op: 'Scatter', inputs: ['x'], outputs: ['y'] }],
      opset: 9,
    });
    expect(() => upgradeOpset(m, 13)).toThrow(/cannot raise the opset from 9 to 13: .*Scatter/);
    const ok = buildModel({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: ['y'],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      opset: 13,
    });
    expect(() => upgradeOpset(ok, 11)).toThrow(/lowering it to 11 is not supported/);
  });
});
