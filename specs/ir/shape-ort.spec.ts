// Shape inference against onnxruntime: every intermediate value of the three OCR models has the
// dims ort computes at a concrete input size; with symbolic inputs, ranks and fixed dims agree.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../runtime/ir/shape/infer.ts';
import { importModel } from '../../runtime/onnx/index.ts';
import { withOutputs } from '../onnx/build.ts';
import { MODELS } from '../support/paths.ts';

const SIZES = { cls: [1, 3, 48, 192], rec: [1, 3, 48, 320], det: [1, 3, 160, 224] } as const;

describe('inferred shapes equal onnxruntime’s', () => {
  for (const key of ['cls', 'rec', 'det'] as const) {
    it(key, async () => {
      const bytes = new Uint8Array(readFileSync(MODELS[key]));
      const model = importModel(bytes);
      const dims = [...SIZES[key]];
      const concrete = inferShapes(model.graph, { opset: model.opset(), inputShapes: { x: dims } });
      const symbolic = inferShapes(model.graph, { opset: model.opset() });
      const session = await ort.InferenceSession.create(withOutputs(bytes));
      const n = dims.reduce((a: number, b: number) => a * b, 1);
      const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37));
      const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
      await session.release();
      let checked = 0;
      for (const [name, t] of Object.entries(out)) {
        const want = [...t.dims];
        expect(concrete.types.get(name)?.shape, name).toEqual(want);
        expect(concrete.types.get(name)?.dtype, name).toBe(t.type === 'float32' ? 'float32' : t.type);
        const sym = symbolic.types.get(name)?.shape;
        expect(sym?.length, name).toBe(want.length);
        sym!.forEach((d, i) => {
          if (typeof d === 'number') expect(d, `${name}[${i}]`).toBe(want[i]);
        });
        checked++;
      }
      expect(checked).toBeGreaterThan(model.graph.nodes.length / 3);
      expect(concrete.unknownOps.size).toBe(0);
      expect(concrete.problems).toEqual([]);
    });
  }
});
