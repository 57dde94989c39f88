// The training loop on a small keyword-spotting MLP and synthetic, learnable data: it learns, is
// deterministic for a seed, keeps masks, ties and frozen weights, stops early, and stops on NaN
// naming the step and the weight while keeping the last good weights.

import { describe, expect, it } from 'vitest';
import { NO_FILES } from '../../compiler/data/host.ts';
import { normal, rng } from '../../compiler/data/random.ts';
import {
  calibrationData,
  type DataSource,
  type Example,
  TrainingDivergedError,
  type TrainOptions,
  train,
} from '../../compiler/train/index.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { ORT, SQUISH } from './fd.ts';
import { keywordMlp } from './mlp.ts';

const SIZES = [20, 16, 16, 4];

/** Inputs drawn at random (from `seed`), labelled by the argmax of one fixed random linear map (learnable). */
function synthetic(n: number, seed: number): DataSource {
  const draw = normal(rng(seed));
  const mapDraw = normal(rng(1234));
  const map = Array.from({ length: 4 * 20 }, () => mapDraw());
  const examples: Example[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: 20 }, () => draw());
    const scores = [0, 1, 2, 3].map((k) => x.reduce((s, v, j) => s + v * map[k * 20 + j]!, 0));
    examples.push({ inputs: { mfcc: float32([1, 20], x) }, label: scores.indexOf(Math.max(...scores)) });
  }
  return { size: n, get: (i) => examples[i]! };
}

const weight = (m: Model, name: string) => m.graph.constant(name)!.data as Float32Array;

async function accuracy(model: Model, data: DataSource): Promise<number> {
  const { run } = await import('../../compiler/api.ts');
  let ok = 0;
  for (let i = 0; i < data.size; i++) {
    const ex = await data.get(i);
    const out = (await run(model, ex.inputs, { backend: 'cpu' })).logits!.data as Float32Array;
    if (out.indexOf(Math.max(...out)) === ex.label) ok++;
  }
  return ok / data.size;
}

const base = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  data: synthetic(96, 5),
  loss: { kind: 'cross-entropy', target: 'label' },
  steps: 60,
  batch: 16,
  optimizer: { kind: 'adamw', lr: 0.01, weightDecay: 0 },
  seed: 3,
  runner: ORT,
  ...over,
});

describe('train()', () => {
  it('learns: cross-entropy from scratch raises accuracy on held-out samples', async () => {
    const model = keywordMlp(1, 'N', SIZES);
    const test = synthetic(64, 99);
    const before = await accuracy(model, test);
    const { model: trained, history } = await train(
      model,
      base({ steps: 150, schedule: { kind: 'cosine', warmup: 10 } }),
    );
    const after = await accuracy(trained, test);
    expect(history.loss[history.loss.length - 1]!).toBeLessThan(history.loss[0]! / 2);
    expect(after).toBeGreaterThan(Math.max(before + 0.3, 0.65));
  });

  it('is deterministic for a seed, on squish’s runtime and on onnxruntime alike', async () => {
    for (const runner of [SQUISH, ORT]) {
      const a = await train(keywordMlp(1, 'N', SIZES), base({ steps: 8, runner }));
      const b = await train(keywordMlp(1, 'N', SIZES), base({ steps: 8, runner }));
      expect(a.history.loss).toEqual(b.history.loss);
      expect(weight(a.model, 'fc1.weight')).toEqual(weight(b.model, 'fc1.weight'));
    }
  });

  it('keeps pruned zeros at zero, tied elements equal and frozen weights unchanged', async () => {
    const model = keywordMlp(1, 'N', SIZES);
    const w0 = weight(model, 'fc0.weight');
    for (let i = 0; i < w0.length; i += 3) w0[i] = 0;
    const groups = Int32Array.from(weight(model, 'fc1.weight'), (_, i) => i % 5);
    const frozen = Float32Array.from(weight(model, 'fc2.weight'));
    const { model: out } = await train(
      model,
      base({ keepZeros: ['fc0.weight'], ties: { 'fc1.weight': groups }, freeze: ['fc2.weight'] }),
    );
    const t0 = weight(out, 'fc0.weight');
    for (let i = 0; i < t0.length; i += 3) expect(t0[i]).toBe(0);
    expect(t0.filter((v, i) => i % 3 !== 0 && v !== w0[i]).length).toBeGreaterThan(0);
    const t1 = weight(out, 'fc1.weight');
    for (let i = 5; i < t1.length; i++) expect(t1[i]).toBe(t1[i % 5]);
    expect(weight(out, 'fc2.weight')).toEqual(frozen);
  });

  it('evaluates a held-back share and stops early when it stops improving', async () => {
    const { history } = await train(
      keywordMlp(1, 'N', SIZES),
      base({ steps: 200, holdout: 0.25, evalEvery: 5, patience: 2, optimizer: { kind: 'sgd', lr: 0 } }),
    );
    expect(history.stopped).toBe('patience');
    expect(history.steps).toBe(15);
    expect(history.kept).toBe(5);
  });

  it('stops on NaN naming the step and the weight, keeping the last good weights', async () => {
    const data = synthetic(32, 5);
    const poisoned: DataSource = {
      size: data.size,
      get: async (i) => {
        const ex = await data.get(i);
        return i === 7 ? { ...ex, inputs: { mfcc: float32([1, 20], new Array(20).fill(Number.NaN)) } } : ex;
      },
    };
    let caught: unknown;
    try {
      await train(keywordMlp(1, 'N', SIZES), base({ data: poisoned, batch: 4, steps: 40 }));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TrainingDivergedError);
    const err = caught as TrainingDivergedError;
    expect(err.message).toMatch(/training diverged at step \d+: weight '.+' got a non-finite gradient/);
    expect(weight(err.model, 'fc0.weight').every(Number.isFinite)).toBe(true);
  });

  it('trains on a calibrate form (random) against a teacher, mse on the logits', async () => {
    const data = await calibrationData(
      { source: 'random', samples: 24, seed: 4, file: 'recipe.squish' },
      [{ name: 'mfcc', dtype: 'float32', shape: [1, 20] }],
      NO_FILES,
    );
    const { history } = await train(
      keywordMlp(1, 'N', SIZES),
      base({ data, teacher: keywordMlp(9, 'N', SIZES), loss: { kind: 'mse' }, steps: 40, batch: 8 }),
    );
    expect(history.loss[history.loss.length - 1]!).toBeLessThan(history.loss[0]! / 2);
  });

  it('distills with a hint loss on an inner value next to kl on the outputs', async () => {
    const teacher = keywordMlp(9, 'N', SIZES);
    const { history } = await train(
      keywordMlp(1, 'N', SIZES),
      base({
        teacher,
        loss: [
          { kind: 'kl', temperature: 2 },
          { kind: 'mse', value: 'relu0', weight: 0.5 },
        ],
        steps: 40,
      }),
    );
    expect(history.loss[history.loss.length - 1]!).toBeLessThan(history.loss[0]! / 2);
  });

  it('bad input: an unknown loss and labels that do not fit the outputs are one clear message each', async () => {
    await expect(
      train(keywordMlp(1, 'N', SIZES), base({ loss: { kind: 'huber' as 'mse' } })),
    ).rejects.toThrow(/unknown loss 'huber'/);
    const data = synthetic(16, 5);
    const bad: DataSource = { size: 16, get: async (i) => ({ ...(await data.get(i)), label: 7 }) };
    await expect(train(keywordMlp(1, 'N', SIZES), base({ data: bad, steps: 2 }))).rejects.toThrow(
      /label 7 is not a class of 'logits' \(0\.\.3\)/,
    );
  });

  it('reports progress with step, loss, lr, steps/s and time left', async () => {
    const seen: number[] = [];
    await train(
      keywordMlp(1, 'N', SIZES),
      base({
        steps: 5,
        onProgress: (p) => {
          expect(p.steps).toBe(5);
          expect(Number.isFinite(p.loss) && p.lr > 0 && p.stepsPerSecond > 0 && p.secondsLeft >= 0).toBe(
            true,
          );
          seen.push(p.step);
        },
      }),
    );
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
