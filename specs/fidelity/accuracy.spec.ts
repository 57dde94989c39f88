// `target accuracy`: `squish check` asks for labels (SQ328) instead of SQ501; a compile of an MNIST
// LeNet-5 reports the original's and the compiled model's top-1 accuracy against the finetune labels
// on the held-apart calibration files only — equal to what onnxruntime-node computes on those files —
// trains on the other files only, and a target it misses exits 1 and writes nothing.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecipe } from '../../compiler/api.ts';
import { compileModel } from '../../compiler/compile.ts';
import { DEFAULT_HOLDOUT, holdApart } from '../../compiler/data/split.ts';
import { correctAnswers } from '../../compiler/fidelity/accuracy.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import '../../compiler/passes/lossy.ts';
import { type OrtLike, ortRunner } from '../../compiler/train/runner.ts';
import { loadMnist } from '../../examples/mnist/data.ts';
import { buildLeNet } from '../../examples/mnist/lenet.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { serializeNpy } from '../../runtime/npy.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { importAnyModel } from '../../runtime/sqz/read.ts';
import { runCli } from '../support/cli.ts';

const at = (text: string, file = 'r.squish') => {
  const d = checkRecipe(text, { recipeFile: file }).diagnostics;
  return d.map((x) => `${x.span.line}:${x.span.column} ${x.code} ${x.message}`);
};

describe('squish check', () => {
  it('asks for labels at the target (SQ328), and no longer calls accuracy pending (SQ501)', () => {
    const cal = 'calibrate { tensors "d/*.npy" }\n';
    expect(at(`${cal}target accuracy >= 90%\n`)).toEqual(['2:8 SQ328 target accuracy needs labels']);
    expect(at(`calibrate { random }\nfinetune { labels "l.tsv" }\ntarget accuracy >= 90%\n`)).toEqual([
      '3:8 SQ328 target accuracy is measured on the calibration files, and random data has no labels',
    ]);
    expect(at(`${cal}finetune { labels "l.tsv" }\ntarget accuracy >= 90%\n`)).toEqual([]);
    expect(at('finetune { labels "l.tsv" }\ntarget accuracy >= 90%\n')).toContain(
      '2:8 SQ322 target accuracy needs calibration data (it is measured on it)',
    );
  });
});

describe('correct answers', () => {
  it('classify: top-1 of each row against the class index; ctc-text: the greedy decoding against the sequence', () => {
    const scores = float32([2, 3], [0.1, 0.7, 0.2, 0.5, 0.1, 0.4]);
    expect(correctAnswers(scores, 1, 'classify')).toEqual([1, 0]);
    expect(correctAnswers(scores, [0], 'classify')).toEqual([0, 1]);
    // [1, 5 steps, 3 classes]: arg-max 1 1 0 2 2 → repeats merged, blanks (0) dropped → [1, 2]
    const steps = [1, 1, 0, 2, 2].flatMap((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    const ctc = float32([1, 5, 3], steps);
    expect(correctAnswers(ctc, [1, 2], 'ctc-text')).toEqual([1]);
    expect(correctAnswers(ctc, [1, 1, 2], 'ctc-text')).toEqual([0]);
    expect(correctAnswers(ctc, 1, 'ctc-text')).toEqual([0]);
    expect(() => correctAnswers(ctc, 1, 'regress')).toThrow(/accuracy against labels is undefined/);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'squish-accuracy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FILES = 40;
const modelPath = join(dir, 'lenet-5.onnx');
/** The digits' tensors by file, and each file's label. */
const digits = new Map<string, Float32Array>();
const labels = new Map<string, number>();

/** Top-1 class of each file's digit in onnxruntime-node. */
async function ortTop1(onnx: Uint8Array, files: string[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(onnx);
  const out: number[] = [];
  for (const f of files) {
    const r = await session.run({ image: new ort.Tensor('float32', digits.get(f)!, [1, 1, 28, 28]) });
    const row = Array.from(r.logits!.data as Float32Array);
    out.push(row.indexOf(Math.max(...row)));
  }
  await session.release();
  return out;
}

beforeAll(async () => {
  const { train } = loadMnist();
  const original = exportModel(buildLeNet('lenet-5', 3));
  writeFileSync(modelPath, original);
  mkdirSync(join(dir, 'digits'));
  const files: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const ex = await train.get(i * 97);
    const file = join(dir, 'digits', `${String(i).padStart(2, '0')}.npy`);
    writeFileSync(file, serializeNpy(ex.inputs.image!));
    digits.set(file, ex.inputs.image!.data as Float32Array);
    files.push(file);
  }
  // an untrained LeNet scores near chance on the true digits: label every other file with the
  // original's own answer so accuracy lands away from 0% and 100%
  const own = await ortTop1(original, files);
  const rows = ['file\tlabel'];
  for (const [i, f] of files.entries()) {
    labels.set(f, i % 2 === 0 ? own[i]! : ((await train.get(i * 97)).label as number));
    rows.push(`${f.slice(join(dir, 'digits').length + 1)}\t${labels.get(f)}`);
  }
  writeFileSync(join(dir, 'digits', 'labels.tsv'), `${rows.join('\n')}\n`);
}, 60_000);

const recipe = (target: string) => `recipe "acc"
calibrate { tensors "digits/*.npy" }
quantize weights of conv, linear { bits 2 }
finetune {
  labels "digits/labels.tsv"
  steps 3  batch 8  optimizer sgd  lr 1e-4  seed 1
}
${target}
`;

describe('compile', () => {
  it('reports both accuracies on the held-apart files, as onnxruntime-node computes them; trains on the rest', async () => {
    const text = recipe('target accuracy >= 1%');
    const recipeFile = join(dir, 'acc.squish');
    writeFileSync(recipeFile, text);
    const r = await compileModel(new Uint8Array(readFileSync(modelPath)), text, {
      recipeFile,
      host: nodeHost(),
      trainRunner: ortRunner(ort as unknown as OrtLike, { threads: 1 }),
      status: () => {},
      warn: () => {},
    });
    expect(r.missed).toBeUndefined();
    const files = [...digits.keys()].sort();
    const held = holdApart(files, DEFAULT_HOLDOUT, 0).heldApart;
    expect(held).toHaveLength(10);
    const want = held.map((f) => labels.get(f)!);
    const score = (got: number[]) => got.filter((c, i) => c === want[i]).length;
    const original = score(await ortTop1(new Uint8Array(readFileSync(modelPath)), held));
    const compiled = score(await ortTop1(exportModel(importAnyModel(r.model)), held));
    const a = r.report.fidelity!.accuracy!;
    console.log(
      `accuracy on ${held.length} held-apart digits: original ${original}/10, compiled ${compiled}/10 (onnxruntime-node); report ${a.original} → ${a.value}`,
    );
    expect(a).toMatchObject({
      labels: 'digits/labels.tsv',
      answers: 10,
      original: original / 10,
      value: compiled / 10,
    });
    expect(a.interval!.low).toBeLessThanOrEqual(a.value);
    expect(a.interval!.high).toBeGreaterThanOrEqual(a.value);
    expect(r.report.targets[0]).toMatchObject({ metric: 'accuracy', achieved: compiled / 10, met: true });
    // no training step saw a held-apart file: 30 of the 40 trained
    expect(r.report.training!.samples).toBe(FILES - held.length);
  }, 120_000);

  it('a missed accuracy target exits 1 and writes no model; a met one prints both accuracies', async () => {
    const recipeFile = join(dir, 'miss.squish');
    writeFileSync(recipeFile, recipe('target accuracy >= 100%'));
    const out = join(dir, 'miss.onnx');
    const res = await runCli(['compile', modelPath, '--recipe', recipeFile, '-o', out]);
    expect(res.code).toBe(1);
    const okFile = join(dir, 'ok.squish');
    writeFileSync(okFile, recipe('target accuracy >= 1%'));
    const ok = await runCli(['compile', modelPath, '--recipe', okFile, '-o', join(dir, 'ok.onnx')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /accuracy \d+\.\d% \(\d+\/10, 95% interval [\d.]+%–[\d.]+%\) against digits\/labels\.tsv, original \d+\.\d%/,
    );
    expect(res.stderr).toMatch(
      /miss\.squish:8:8: error\[SQ502\]: target accuracy >= 100% missed: achieved \d+\.\d\d%/,
    );
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
