// `squish bench MODEL [--vs onnxruntime] [--json]`: median latency of the squish runtime after warm-up,
// and with --vs the ratio to onnxruntime-node on the same input and thread count.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import { createSession } from '../../../runtime/exec/index.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { exportModel } from '../../../runtime/onnx/export.ts';
import { isSqz } from '../../../runtime/sqz/read.ts';
import { loadModelFile } from '../../io/model-file.ts';
import type { CliIO } from '../io.ts';
import type { RegisterCommand } from './index.ts';
import { checkBackend, collect, feedInfos, readInputs } from './run.ts';

interface BenchOptions {
  vs?: string;
  json?: boolean;
  backend: string;
  input: string[];
  shape: string[];
  runs: string;
  warmup: string;
  threads?: string;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a whole number ≥ 1, got '${v}'`);
  return n;
}

/** Random inputs (fixed seed) for every feed not given, using --shape for symbolic dims. */
function syntheticFeeds(g: Graph, given: Record<string, Tensor>, shapes: string[]): Record<string, Tensor> {
  const sizes: Record<string, number[]> = {};
  for (const s of shapes) {
    const m = /^([^=]+)=(\d+(?:[x,]\d+)*)$/.exec(s);
    if (!m) throw new UserError(`--shape '${s}' is not NAME=DIMS`, 'write e.g. --shape x=1x3x640x640');
    sizes[m[1]!] = m[2]!.split(/[x,]/).map(Number);
  }
  const feeds = { ...given };
  let seed = 12345;
  for (const info of feedInfos(g)) {
    if (feeds[info.name]) continue;
    const declared = info.type?.shape;
    const dims = sizes[info.name] ?? declared;
    if (!dims || dims.some((d) => typeof d !== 'number' || d < 0)) {
      const hint = (declared ?? ['N']).map((d) => (typeof d === 'number' && d >= 0 ? d : 'N')).join('x');
      throw new UserError(
        `input '${info.name}' has dynamic dims [${(declared ?? ['?']).join(', ')}]`,
        `give sizes with --shape ${info.name}=${hint} (or real data with --input ${info.name}=FILE.npy)`,
      );
    }
    if (info.type && info.type.dtype !== 'float32')
      throw new UserError(
        `input '${info.name}' is ${info.type.dtype}: give it with --input ${info.name}=FILE.npy`,
      );
    const n = (dims as number[]).reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      data[i] = (seed / 2 ** 32) * 2 - 1;
    }
    feeds[info.name] = { dtype: 'float32', dims: dims as number[], data };
  }
  return feeds;
}

async function median(warmup: number, runs: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmup; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  const m = ts.length >> 1;
  return ts.length % 2 ? ts[m]! : (ts[m - 1]! + ts[m]!) / 2;
}

async function onnxruntimeMs(
  modelPath: string | Uint8Array,
  feeds: Record<string, Tensor>,
  threads: number,
  warmup: number,
  runs: number,
) {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    throw new UserError(
      '--vs onnxruntime needs the onnxruntime-node package',
      'npm install onnxruntime-node',
    );
  }
  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  };
  const session =
    typeof modelPath === 'string'
      ? await ort.InferenceSession.create(modelPath, options)
      : await ort.InferenceSession.create(modelPath, options);
  try {
    const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [k, t] of Object.entries(feeds))
      ortFeeds[k] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
    return await median(warmup, runs, () => session.run(ortFeeds));
  } finally {
    await session.release();
  }
}

export const registerBench: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('bench')
    .description('median latency of the squish runtime after warm-up (and the ratio to onnxruntime-node)')
    .argument('<model>', 'the .onnx model file')
    .option('--vs <runtime>', "compare with 'onnxruntime' (onnxruntime-node, same input and thread count)")
    .option('--json', 'print {backend, median_ms, onnxruntime_ms, ratio} as JSON')
    .option('--backend <backend>', 'where to run: auto, webgpu, headlessgl, webasm, cpu', 'auto')
    .option('--input <name=file.npy>', 'real input data (repeatable); other inputs are random', collect, [])
    .option(
      '--shape <name=dims>',
      'sizes for an input with dynamic dims, e.g. x=1x3x640x640 (repeatable)',
      collect,
      [],
    )
    .option('--runs <n>', 'timed runs', '10')
    .option('--warmup <n>', 'untimed runs first', '3')
    .option('--threads <n>', 'threads for onnxruntime (default: what the squish backend uses)')
    .action(async (modelPath: string, opts: BenchOptions) => {
      if (opts.vs !== undefined && opts.vs !== 'onnxruntime')
        throw new UserError(`--vs '${opts.vs}' is not supported`, 'use --vs onnxruntime');
      const backend = checkBackend(opts.backend);
      const runs = positiveInt(opts.runs, '--runs');
      const warmup = positiveInt(opts.warmup, '--warmup');
      const path = resolve(io.cwd, modelPath);
      const model = loadModelFile(path, modelPath);
      const feeds = syntheticFeeds(model.graph, readInputs(io, model.graph, opts.input), opts.shape);
      const session = await createSession(model, { backend });
      let ms: number;
      try {
        ms = await median(warmup, runs, () => session.run(feeds));
      } finally {
        session.dispose();
      }
      // the reference (cpu) backend runs on one thread; gpu.js backends use one worker per core
      const threads = opts.threads
        ? positiveInt(opts.threads, '--threads')
        : session.backend === 'cpu'
          ? 1
          : availableParallelism();
      // onnxruntime reads ONNX only: a .sqz is handed over as the ONNX model it holds (issue 9)
      const ortModel = () => (isSqz(readFileSync(path)) ? exportModel(model) : path);
      const ortMs = opts.vs ? await onnxruntimeMs(ortModel(), feeds, threads, warmup, runs) : null;
      const result = {
        backend: session.backend,
        median_ms: round(ms),
        onnxruntime_ms: ortMs === null ? null : round(ortMs),
        ratio: ortMs === null ? null : round(ms / ortMs),
        runs,
        warmup,
        threads,
      };
      if (opts.json) {
        io.out(`${JSON.stringify(result)}\n`);
        return;
      }
      io.out(
        `${modelPath} on ${result.backend}: median ${result.median_ms} ms (${runs} runs after ${warmup} warm-up)\n`,
      );
      if (ortMs !== null)
        io.out(
          `onnxruntime-node (${threads} thread${threads > 1 ? 's' : ''}): ${result.onnxruntime_ms} ms — squish is ${result.ratio}× its latency\n`,
        );
    });
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
