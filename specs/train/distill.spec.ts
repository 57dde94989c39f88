// The distillation smoke test of issue 13: PP-OCR cls with 30% of each conv/matmul weight zeroed by
// magnitude, distilled briefly against the original (kl, T = 2) on lines of the transfer set
// (fixtures/ocr-transfer, never fixtures/ocr), measured by top-1 agreement with the original on the
// 48 fixture lines and their 48 flipped copies. Pruned zeros stay zero.

import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type OrtLike, ortRunner, samplesData, train } from '../../compiler/api.ts';
import { loadModelFile } from '../../compiler/io/model-file.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { clsInput, fixtures } from '../support/ocr.ts';
import { MODELS, SHARED } from '../support/paths.ts';

/** Zero the smallest-magnitude share of every conv/matmul weight; returns the zeroed positions. */
function pruneByMagnitude(model: Model, share: number): Map<string, number[]> {
  const g = model.graph;
  const zeroed = new Map<string, number[]>();
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'MatMul') continue;
    const t = g.constant(n.inputs[1]!);
    if (!t || t.dims.length < 2) continue;
    const d = t.data as Float32Array;
    const order = Array.from(d.keys()).sort((a, b) => Math.abs(d[a]!) - Math.abs(d[b]!));
    const cut = order.slice(0, Math.floor(d.length * share));
    for (const i of cut) d[i] = 0;
    zeroed.set(n.inputs[1]!, cut);
  }
  return zeroed;
}

async function predictions(model: Model, inputs: Tensor[]): Promise<number[]> {
  const s = await ort.InferenceSession.create(exportModel(model), { logSeverityLevel: 3 });
  const out: number[] = [];
  for (const x of inputs) {
    const r = await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
    const p = Object.values(r)[0]!.data as Float32Array;
    out.push(p[1]! > p[0]! ? 1 : 0);
  }
  await s.release();
  return out;
}

describe('distillation smoke test', () => {
  it('cls with 30% of its weights zeroed recovers agreement with the original after a short distillation', async () => {
    const original = loadModelFile(MODELS.cls);
    const student = loadModelFile(MODELS.cls);
    const zeroed = pruneByMagnitude(student, 0.3);
    const measured = await Promise.all(
      fixtures()
        .filter((f) => f.kind !== 'pages')
        .map((f) => clsInput(f.file)),
    );
    expect(measured.length).toBe(96);
    const reference = await predictions(original, measured);
    const agreement = async (m: Model) =>
      (await predictions(m, measured)).filter((p, i) => p === reference[i]).length;
    const before = await agreement(student);
    // 32 transfer lines spread over the 1,200, each upright and flipped
    const transfer = join(SHARED, 'fixtures/ocr-transfer');
    const files = Array.from({ length: 32 }, (_, i) => `line${String(i * 37).padStart(4, '0')}.png`).flatMap(
      (f) => [join(transfer, 'lines', f), join(transfer, 'flipped', f)],
    );
    const samples = await Promise.all(files.map(async (f) => ({ x: await clsInput(f) })));
    const { model, history } = await train(student, {
      data: samplesData(samples),
      teacher: original,
      loss: { kind: 'kl', temperature: 2 },
      steps: 30,
      batch: 8,
      optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0 },
      keepZeros: true,
      seed: 1,
      runner: ortRunner(ort as unknown as OrtLike, { threads: 1 }),
    });
    const after = await agreement(model);
    console.log(
      `distillation smoke test: top-1 agreement ${before}/96 → ${after}/96 after ${history.steps} steps (batch 8, ${samples.length} transfer lines), loss ${history.loss[0]!.toFixed(3)} → ${history.loss[history.loss.length - 1]!.toFixed(3)}`,
    );
    expect(history.loss[history.loss.length - 1]!).toBeLessThan(history.loss[0]!);
    expect(before).toBeLessThan(80);
    expect(after).toBeGreaterThanOrEqual(before + 10);
    for (const [name, cut] of zeroed) {
      const d = model.graph.constant(name)!.data as Float32Array;
      expect(cut.every((i) => d[i] === 0)).toBe(true);
    }
  });
});
