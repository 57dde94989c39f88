// The training recipes of examples/ (issue 14's goals) compiled as written: compile time (with the
// machine's load, since it is shared), file size, and fidelity with the original measured on
// fixtures/ocr, which training never sees (cls: top-1 agreement on the 48 lines and their 48 flipped
// copies), each against its goal. Training runs on onnxruntime-node; progress goes to stderr.
// Run: npm run bench:distill [-- cls-12x …]

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../compiler/compile.ts';
import { nodeHost } from '../compiler/io/host.ts';
import '../compiler/passes/lossy.ts';
import { type OrtLike, ortRunner } from '../compiler/train/runner.ts';
import { exportModel } from '../runtime/onnx/export.ts';
import { importAnyModel } from '../runtime/sqz/read.ts';
import { clsInput, fixtures } from '../specs/support/ocr.ts';
import { MODELS, ROOT } from '../specs/support/paths.ts';
import { detFidelity, recFidelity } from './ocr-goals.ts';

interface Goal {
  model: string;
  maxBytes: number;
  /** Least fidelity on the fixtures (a share). */
  minFidelity: number;
  /** Most compile time in seconds. */
  maxSeconds: number;
  fidelity: (
    original: Uint8Array,
    compiled: Uint8Array,
  ) => Promise<{ share: number; samples: number; note?: string }>;
}

async function clsTop1(bytes: Uint8Array, lines: Awaited<ReturnType<typeof clsInput>>[]): Promise<number[]> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const out: number[] = [];
  for (const x of lines) {
    const r = await s.run({
      [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]),
    });
    const p = r[s.outputNames[0]!]!.data as Float32Array;
    out.push(p[1]! > p[0]! ? 1 : 0);
  }
  await s.release();
  return out;
}

async function clsAgreement(original: Uint8Array, compiled: Uint8Array) {
  const lines = await Promise.all(
    fixtures()
      .filter((f) => f.kind !== 'pages')
      .map((f) => clsInput(f.file)),
  );
  const a = await clsTop1(original, lines);
  const b = await clsTop1(exportModel(importAnyModel(compiled)), lines);
  return { share: a.filter((v, i) => v === b[i]).length / a.length, samples: a.length };
}

const GOALS: Record<string, Goal> = {
  'cls-12x': {
    model: MODELS.cls,
    maxBytes: 48 * 1024,
    minFidelity: 0.98,
    maxSeconds: 180,
    fidelity: clsAgreement,
  },
  // Text-map IoU at 0.3 on the 4 fixture pages; the latency ratio is printed beside it.
  'det-12x': {
    model: MODELS.det,
    maxBytes: 400 * 1000,
    minFidelity: 0.9,
    maxSeconds: 20 * 60,
    fidelity: (a, b) => detFidelity(a, exportModel(importAnyModel(b))),
  },
  // CTC-decoded text agreement, spaces aside, on the 48 fixture lines.
  'rec-15x': {
    model: MODELS.rec,
    maxBytes: 720 * 1000,
    minFidelity: 0.95,
    maxSeconds: 20 * 60,
    fidelity: (a, b) => recFidelity(a, exportModel(importAnyModel(b))),
  },
};

const picked = process.argv.slice(2).filter((a) => a !== '--');
const names = picked.length ? picked : Object.keys(GOALS);
const rows: string[] = [];
for (const name of names) {
  const goal = GOALS[name];
  if (!goal) throw new Error(`no goal for ${name}; known: ${Object.keys(GOALS).join(', ')}`);
  const file = join(ROOT, 'examples', `${name}.squish`);
  const original = new Uint8Array(readFileSync(goal.model));
  const load = loadavg()[0]!.toFixed(1);
  const t0 = performance.now();
  const r = await compileModel(original, readFileSync(file, 'utf8'), {
    recipeFile: file,
    host: nodeHost(),
    trainRunner: ortRunner(ort as unknown as OrtLike, { threads: 1 }),
    status: (l) => process.stderr.write(`${l}\n`),
    warn: (l) => process.stderr.write(`${l}\n`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const f = await goal.fidelity(original, r.model);
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const t = r.report.training;
  rows.push(
    [
      `${name}: ${r.model.length} bytes (${(original.length / r.model.length).toFixed(1)}× smaller; goal ≤ ${goal.maxBytes}: ${met(r.model.length <= goal.maxBytes)})`,
      `  fidelity on ${f.samples} fixture samples: ${(f.share * 100).toFixed(2)}% (goal ≥ ${goal.minFidelity * 100}%: ${met(f.share >= goal.minFidelity)})`,
      ...(f.note ? [`  ${f.note}`] : []),
      `  compile ${seconds.toFixed(0)} s at load ${load} (goal ≤ ${goal.maxSeconds} s: ${met(seconds <= goal.maxSeconds)})${t ? `; training ${t.steps} steps in ${(t.time_ms / 1000).toFixed(0)} s on ${t.runner}` : ''}`,
    ].join('\n'),
  );
  console.log(rows[rows.length - 1]);
}
