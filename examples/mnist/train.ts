// Trains LeNet-300-100 and LeNet-5 from scratch on the `mnist` package's digits with squish's
// training engine (onnxruntime-node runs the training graphs), reports accuracy on the kept-apart
// test digits and writes the trained models:
//   npx tsx examples/mnist/train.ts [lenet-300-100|lenet-5|all] [--epochs N] [--out DIR]

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  type DataSource,
  exportModel,
  type Model,
  type OrtLike,
  ortRunner,
  train,
} from '../../compiler/index.ts';
import { loadMnist, randomAffine } from './data.ts';
import { buildLeNet, LENETS, type LeNet } from './lenet.ts';

const args = process.argv.slice(2);
const option = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const which = args[0] && !args[0].startsWith('--') ? args[0] : 'all';
const epochs = Number(option('--epochs', '30'));
const outDir = option('--out', 'examples/mnist/models');
const kinds = which === 'all' ? LENETS : LENETS.filter((k) => k === which);
if (!kinds.length || !(epochs > 0)) {
  console.error(`usage: npx tsx examples/mnist/train.ts [${LENETS.join('|')}|all] [--epochs N] [--out DIR]`);
  process.exit(1);
}

/** Top-1 accuracy of a model on a data source, batched through onnxruntime-node. */
async function accuracy(model: Model, data: DataSource): Promise<number> {
  const session = await ort.InferenceSession.create(exportModel(model));
  let ok = 0;
  for (let i = 0; i < data.size; i += 500) {
    const n = Math.min(500, data.size - i);
    const x = new Float32Array(n * 784);
    const labels: number[] = [];
    for (let k = 0; k < n; k++) {
      const ex = await data.get(i + k);
      x.set(ex.inputs.image!.data as Float32Array, k * 784);
      labels.push(ex.label as number);
    }
    const out = await session.run({ image: new ort.Tensor('float32', x, [n, 1, 28, 28]) });
    const logits = out.logits!.data as Float32Array;
    labels.forEach((label, k) => {
      const row = logits.subarray(k * 10, k * 10 + 10);
      if (row.indexOf(Math.max(...row)) === label) ok++;
    });
  }
  await session.release();
  return ok / data.size;
}

const { train: trainSet, test } = loadMnist();
const batch = 64;
const steps = Math.round((epochs * trainSet.size) / batch);
console.log(`mnist package: ${trainSet.size} training digits, ${test.size} kept apart for testing`);
mkdirSync(outDir, { recursive: true });
for (const kind of kinds as LeNet[]) {
  const model = buildLeNet(kind, 1);
  const t0 = performance.now();
  let last = 0;
  const { model: trained, history } = await train(model, {
    data: trainSet,
    loss: { kind: 'cross-entropy', target: 'label' },
    steps,
    batch,
    optimizer: { kind: 'adamw', lr: 2e-3, weightDecay: 1e-4 },
    schedule: { kind: 'cosine', warmup: 100 },
    augment: randomAffine(),
    seed: 1,
    runner: ortRunner(ort as unknown as OrtLike, { threads: 1 }),
    onProgress: (p) => {
      if (p.step - last < 200 && p.step !== p.steps) return;
      last = p.step;
      console.log(
        `${kind} step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ${p.stepsPerSecond.toFixed(1)} steps/s  ${Math.round(p.secondsLeft)} s left`,
      );
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const acc = await accuracy(trained, test);
  const file = join(outDir, `${kind}.onnx`);
  writeFileSync(file, exportModel(trained));
  console.log(
    `${kind}: ${(acc * 100).toFixed(2)}% on ${test.size} test digits after ${history.steps} steps in ${seconds.toFixed(0)} s → ${file}`,
  );
}
