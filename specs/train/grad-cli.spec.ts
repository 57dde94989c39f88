// `squish grad` on PP-OCR cls and on the keyword-spotting MLP: every float weight gets a .npy and an
// index.json entry, and random elements of every weight agree with central finite differences of
// the same loss measured in onnxruntime-node. Bad input: one clear message, exit 1, nothing written.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { normal, rng } from '../../compiler/data/random.ts';
import { loadModelFile } from '../../compiler/io/model-file.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { parseNpy, serializeNpy } from '../../runtime/npy.ts';
import { cloneModel } from '../../runtime/onnx/clone.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { tempDir } from '../onnx/build.ts';
import { runCli } from '../support/cli.ts';
import { MODELS } from '../support/paths.ts';
import { keywordMlp } from './mlp.ts';

const dir = tempDir('grad');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noise = (dims: number[], seed: number, scale = 0.5) => {
  const d = normal(rng(seed));
  return float32(
    dims,
    Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => d() * scale),
  );
};

/** A session whose every float constant is an input, and the mse of its first output. */
async function mseOracle(model: Model, feeds: Record<string, Tensor>, ref: Float32Array) {
  const m = cloneModel(model);
  const g = m.graph;
  for (const n of [...g.nodes]) {
    const t = n.opType === 'Constant' ? g.constant(n.outputs[0]!) : undefined;
    if (t?.dtype === 'float32') {
      g.removeNode(n);
      g.addInitializer(n.outputs[0]!, t);
    }
  }
  // onnxruntime-node does not let a feed override an initializer: the weights become plain inputs
  const weights = new Map([...g.initializers].filter(([, t]) => t.dtype === 'float32'));
  for (const [name, t] of weights) {
    g.initializers.delete(name);
    g.inputs.push({ name, type: { dtype: 'float32', shape: [...t.dims] } });
  }
  g.touch();
  const session = await ort.InferenceSession.create(exportModel(m), { logSeverityLevel: 3 });
  const base: Record<string, ort.Tensor> = {};
  for (const [k, t] of [...Object.entries(feeds), ...weights])
    base[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
  const out = g.outputs[0]!.name;
  return {
    weight: (name: string) => weights.get(name)!,
    async loss(name: string, data: Float32Array): Promise<number> {
      const t = weights.get(name)!;
      const res = await session.run({ ...base, [name]: new ort.Tensor('float32', data, [...t.dims]) });
      const y = res[out]!.data as Float32Array;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i]! - ref[i]!) ** 2;
      return s / y.length;
    },
    release: () => session.release(),
  };
}

/** Run squish grad, then check `perWeight` random elements of every weight against onnxruntime. */
async function gradAgainstOrt(
  modelPath: string,
  model: Model,
  x: Tensor,
  ref: Tensor,
  tag: string,
  perWeight: number,
) {
  writeFileSync(join(dir, `${tag}-x.npy`), serializeNpy(x));
  writeFileSync(join(dir, `${tag}-ref.npy`), serializeNpy(ref));
  const out = join(dir, `${tag}-grads`);
  const r = await runCli([
    'grad',
    modelPath,
    '--input',
    join(dir, `${tag}-x.npy`),
    '--loss',
    `mse:${join(dir, `${tag}-ref.npy`)}`,
    '--out',
    out,
  ]);
  expect(r.stderr).not.toMatch(/error/);
  expect(r.code).toBe(0);
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as Record<string, string>;
  const oracle = await mseOracle(model, { [model.graph.inputs[0]!.name]: x }, ref.data as Float32Array);
  const pick = rng(7);
  let checked = 0;
  const bad: string[] = [];
  try {
    for (const [file, name] of Object.entries(index)) {
      const g = parseNpy(new Uint8Array(readFileSync(join(out, file))), file).data as Float32Array;
      const w = oracle.weight(name).data as Float32Array;
      expect(g.length).toBe(w.length);
      const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let k = 0; k < perWeight; k++) {
        const i = Math.floor(pick() * w.length);
        const fd = async (h: number) => {
          const up = Float32Array.from(w);
          const dn = Float32Array.from(w);
          up[i]! += h;
          dn[i]! -= h;
          return ((await oracle.loss(name, up)) - (await oracle.loss(name, dn))) / (2 * h);
        };
        const h = 1e-3 * Math.max(1, Math.abs(w[i]!));
        const [a, b] = [await fd(h), await fd(h / 4)];
        // a kink within the step (Relu, Clip, MaxPool) or float32 noise: the quotient moves with the step
        if (Math.abs(a - b) > 0.01 * Math.abs(b) + 1e-3 * scale + 1e-5) continue;
        checked++;
        if (Math.abs(g[i]! - b) > 0.02 * Math.abs(b) + 2e-3 * scale + 2e-5)
          bad.push(`${name}[${i}]: ${g[i]} vs ${b}`);
      }
    }
  } finally {
    await oracle.release();
  }
  return { weights: Object.keys(index).length, checked, bad };
}

describe('squish grad', () => {
  it('cls: a gradient for every float weight, equal to onnxruntime finite differences', async () => {
    const model = loadModelFile(MODELS.cls);
    const res = await gradAgainstOrt(
      MODELS.cls,
      model,
      noise([1, 3, 48, 192], 3),
      float32([1, 2], [1, 0]),
      'cls',
      2,
    );
    console.log(
      `squish grad cls: ${res.weights} weights, ${res.checked} random elements checked against finite differences, ${res.bad.length} off`,
    );
    expect(res.weights).toBeGreaterThan(150);
    expect(res.checked).toBeGreaterThan(res.weights);
    expect(res.bad).toEqual([]);
  });

  it('the keyword-spotting MLP: every element checked against onnxruntime', async () => {
    const model = keywordMlp(2, 1);
    const path = join(dir, 'kws.onnx');
    writeFileSync(path, exportModel(model));
    const res = await gradAgainstOrt(path, model, noise([1, 490], 4, 1), noise([1, 12], 5), 'mlp', 6);
    console.log(
      `squish grad keyword MLP: ${res.weights} weights, ${res.checked} elements checked, ${res.bad.length} off`,
    );
    expect(res.weights).toBe(6);
    expect(res.checked).toBeGreaterThan(24);
    expect(res.bad).toEqual([]);
  });

  it('bad input: one clear message, exit 1, nothing written', async () => {
    const out = join(dir, 'bad');
    writeFileSync(join(dir, 'x1.npy'), serializeNpy(noise([1, 3, 48, 192], 1)));
    const cases: [string[], RegExp][] = [
      [['--loss', 'huber'], /--loss 'huber' is not a loss squish grad knows/],
      [['--loss', `mse:${join(dir, 'nope.npy')}`], /reference file .* does not exist/],
      [
        ['--loss', `mse:${join(dir, 'x1.npy')}`],
        /the mse reference has shape \[1, 3, 48, 192\], but output .* has \[1, 2\]/,
      ],
    ];
    for (const [extra, message] of cases) {
      const r = await runCli(['grad', MODELS.cls, '--input', join(dir, 'x1.npy'), '--out', out, ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'x');
    const r = await runCli(['grad', MODELS.cls, '--input', join(dir, 'x1.npy'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exists and is not an empty folder/);
  });

  it('has --help', async () => {
    const r = await runCli(['grad', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--loss/);
  });
});
