// npm run bench:train — one training step (forward + backward + AdamW) of PP-OCR det at 1×3×320×320,
// rec at 1×3×48×320 and cls at 1×3×48×192 (after the exact cleanups, as a recipe trains them),
// divided by the forward time of the same model in onnxruntime-node, all at 1 thread and interleaved (forward, step, forward, step …), median CPU time of
// RUNS after warm-up; the same step on squish's runtime; and the peak memory (VmHWM) of a det step
// at batch 4, measured in a child process of its own.
//   npx tsx bench/train.ts [det|rec|cls …]   (RUNS=5 SQUISH=0 to skip squish's runtime)

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { normal, rng } from '../compiler/data/random.ts';
import { runPasses } from '../compiler/engine/pass.ts';
import { loadModelFile } from '../compiler/io/model-file.ts';
import { cleanupPasses } from '../compiler/passes/cleanup.ts';
import { buildTrainingGraph } from '../compiler/train/graph/training-graph.ts';
import { createOptimizer } from '../compiler/train/optim/optimizers.ts';
import { type GraphRunner, type OrtLike, ortRunner, squishRunner } from '../compiler/train/runner.ts';
import { weightArrays } from '../compiler/train/weights.ts';
import type { Model } from '../runtime/ir/model.ts';
import { float32, type Tensor } from '../runtime/ir/tensor.ts';
import { MODELS } from '../specs/support/paths.ts';

const SHAPES = { det: [1, 3, 320, 320], rec: [1, 3, 48, 320], cls: [1, 3, 48, 192] } as const;
type Name = keyof typeof SHAPES;
const RUNS = Number(process.env.RUNS ?? 5);
const ORT1 = ortRunner(ort as unknown as OrtLike, { threads: 1 });

const noise = (dims: readonly number[], seed: number) => {
  const d = normal(rng(seed));
  return float32(
    dims,
    Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => d() * 0.5),
  );
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** Everything one step needs: the training graph, its feeds, the weights and an optimizer. */
function prepare(model: Model, shape: readonly number[]) {
  const input = model.graph.inputs[0]!.name;
  const tg = buildTrainingGraph(model, {
    inputShapes: { [input]: shape },
    loss: [{ kind: 'mse', target: 'label' }],
  });
  const feeds: Record<string, Tensor> = { [input]: noise(shape, 1) };
  for (const t of tg.targets) feeds[t.input] = noise(t.shape, 2);
  const weights = weightArrays(model, tg.weights);
  for (const w of tg.weights) feeds[w.name] = { dtype: 'float32', dims: w.shape, data: weights.get(w.name)! };
  return { tg, feeds, weights, input, optimizer: createOptimizer({ kind: 'adamw', lr: 1e-4 }) };
}

async function step(run: GraphRunner, p: ReturnType<typeof prepare>) {
  const out = await run.run(p.feeds);
  const grads = new Map([...p.tg.gradients].map(([w, o]) => [w, out[o]!.data as Float32Array]));
  p.optimizer.step(p.weights, grads, 1e-4);
}

/**
 * CPU milliseconds (user + system, every thread of the process) of one call: at one thread this is
 * the work done, and it stays meaningful on a machine shared with other jobs, where wall time does not.
 */
async function time(f: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await f();
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

/** The model as training sees it inside a recipe: after the exact cleanups (BN folded, hard-swish …). */
async function cleaned(name: Name): Promise<Model> {
  const model = loadModelFile(MODELS[name]);
  await runPasses(model, cleanupPasses());
  return model;
}

async function bench(name: Name) {
  const model = await cleaned(name);
  const shape = SHAPES[name];
  const tBuild = performance.now();
  const p = prepare(model, shape);
  const buildMs = performance.now() - tBuild;
  const forward = await ORT1(model);
  const trainOrt = await ORT1(p.tg.model);
  const x = { [p.input]: p.feeds[p.input]! };
  for (let i = 0; i < 2; i++) {
    await forward.run(x);
    await step(trainOrt, p);
  }
  const fwd: number[] = [];
  const stp: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    fwd.push(await time(() => forward.run(x)));
    stp.push(await time(() => step(trainOrt, p)));
  }
  const nodes = p.tg.model.graph.nodes.length;
  const f = median(fwd);
  const s = median(stp);
  let squish = '';
  if (process.env.SQUISH !== '0') {
    const run = await squishRunner('auto')(p.tg.model);
    await step(run, p);
    const sq: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 2); i++) sq.push(await time(() => step(run, p)));
    squish = `| ${median(sq).toFixed(0)} ms = ${(median(sq) / f).toFixed(1)}× (${run.name}) `;
    await run.release();
  }
  console.log(
    `| ${name} [${shape.join('×')}] | ${f.toFixed(1)} ms | ${s.toFixed(1)} ms | ${(s / f).toFixed(2)}× ${squish}| ${p.tg.weights.length} weights, ${nodes} nodes, built in ${buildMs.toFixed(0)} ms |`,
  );
  await forward.release();
  await trainOrt.release();
}

/** In a child process: one det step at batch 4, then the process's peak resident memory. */
async function peakMemory() {
  const p = prepare(await cleaned('det'), [4, 3, 320, 320]);
  const run = await ORT1(p.tg.model);
  await step(run, p);
  await step(run, p);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  console.log(JSON.stringify({ peakMiB: Number(hwm) / 1024 }));
}

if (process.argv[2] === '--peak-memory') await peakMemory();
else {
  const names = (process.argv.slice(2).filter((a) => a in SHAPES) as Name[]).concat();
  const list = names.length ? names : (Object.keys(SHAPES) as Name[]);
  console.log(
    `training step / onnxruntime-node forward, 1 thread, median CPU time of ${RUNS} (interleaved), models after cleanups\n`,
  );
  console.log('| model | forward (ort) | step (ort) | step / forward | squish step / ort forward | graph |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const n of list) await bench(n);
  if (list.includes('det')) {
    const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--peak-memory'], {
      encoding: 'utf8',
    });
    const { peakMiB } = JSON.parse(out.trim().split('\n').pop()!) as { peakMiB: number };
    console.log(
      `\ndet step at batch 4 (4×3×320×320): peak resident memory ${(peakMiB / 1024).toFixed(2)} GiB (goal ≤ 3 GB)`,
    );
  }
}
