// `squish bench MODEL [--vs onnxruntime|onnxruntime-web] [--threads N] [--json]`: latency of the squish
// runtime after warm-up (median, min, max), interleaved run by run with onnxruntime on the same input
// and the same thread count (1 unless --threads says otherwise).

import { readFileSync } from 'node:fs';
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
import { MEMORY_HELP } from '../memory.ts';
import {
  type Contender,
  interleaved,
  OTHER_RUNTIMES,
  type OtherRuntime,
  openOther,
  type Timing,
} from './bench-timing.ts';
import type { RegisterCommand } from './index.ts';
import { checkBackend, collect, feedInfos, readInputs } from './run.ts';

interface BenchOptions {
  vs: string[];
  json?: boolean;
  backend: string;
  input: string[];
  shape: string[];
  runs: string;
  warmup: string;
  threads: string;
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

/** `--vs a,b` or repeated `--vs`: the runtimes to compare with, checked. */
function otherRuntimes(vs: string[]): OtherRuntime[] {
  const names = vs.flatMap((v) => v.split(',')).filter((v) => v !== '');
  for (const n of names)
    if (!(OTHER_RUNTIMES as readonly string[]).includes(n))
      throw new UserError(`--vs '${n}' is not supported`, `use one of: ${OTHER_RUNTIMES.join(', ')}`);
  return [...new Set(names)] as OtherRuntime[];
}

const ms = (x: number) => Math.round(x * 1000) / 1000;
const timingJson = (t: Timing) => ({ median_ms: ms(t.median), min_ms: ms(t.min), max_ms: ms(t.max) });
const timingText = (t: { median_ms: number; min_ms: number; max_ms: number }) =>
  `median ${t.median_ms} ms (min ${t.min_ms}, max ${t.max_ms})`;

export const registerBench: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('bench')
    .description(
      'latency of the squish runtime after warm-up, interleaved with onnxruntime at the same thread count',
    )
    .argument('<model>', 'the .onnx (or .sqz) model file')
    .option(
      '--vs <runtime>',
      `compare with ${OTHER_RUNTIMES.join(' or ')} (repeatable or comma-separated), run in turn with squish`,
      collect,
      [],
    )
    .option(
      '--json',
      'print {backend, threads, median_ms, min_ms, max_ms, onnxruntime_ms, ratio, vs[]} as JSON',
    )
    .option('--backend <backend>', 'where to run: auto, webgpu, headlessgl, webasm, cpu', 'auto')
    .option('--input <name=file.npy>', 'real input data (repeatable); other inputs are random', collect, [])
    .option(
      '--shape <name=dims>',
      'sizes for an input with dynamic dims, e.g. x=1x3x640x640 (repeatable)',
      collect,
      [],
    )
    .option('--runs <n>', 'timed runs of each runtime', '10')
    .option('--warmup <n>', 'untimed runs of each runtime first', '3')
    .option('--threads <n>', 'threads for squish and onnxruntime alike (the cpu backend always uses 1)', '1')
    .option('--max-memory <size>', MEMORY_HELP)
    .action(async (modelPath: string, opts: BenchOptions) => {
      const others = otherRuntimes(opts.vs);
      const backend = checkBackend(opts.backend);
      const runs = positiveInt(opts.runs, '--runs');
      const warmup = positiveInt(opts.warmup, '--warmup');
      const threads = positiveInt(opts.threads, '--threads');
      const path = resolve(io.cwd, modelPath);
      const model = loadModelFile(path, modelPath);
      const feeds = syntheticFeeds(model.graph, readInputs(io, model.graph, opts.input), opts.shape);
      const session = await createSession(model, { backend, threads });
      const contenders: Contender[] = [
        { name: 'squish', run: () => session.run(feeds), close: async () => session.dispose() },
      ];
      try {
        // onnxruntime reads ONNX only: a .sqz is handed over as the ONNX model it holds
        const ortModel = others.length && isSqz(readFileSync(path)) ? exportModel(model) : path;
        for (const r of others) contenders.push(await openOther(r, ortModel, feeds, threads));
        const timings = await interleaved(contenders, warmup, runs);
        const measured = { backend: session.backend, threads, runs, warmup };
        const text = report(modelPath, measured, timings, contenders, opts.json === true);
        io.out(text);
      } finally {
        for (const c of contenders) await c.close();
      }
    });
};

interface Measured {
  backend: string;
  threads: number;
  runs: number;
  warmup: number;
}

/** The result as one JSON line or as readable lines; timings[0] is squish's. */
function report(
  modelPath: string,
  m: Measured,
  timings: Timing[],
  contenders: Contender[],
  json: boolean,
): string {
  const ours = timings[0] as Timing;
  const vs = timings.slice(1).map((t, i) => ({
    runtime: (contenders[i + 1] as Contender).name,
    ...timingJson(t),
    ratio: ms(ours.median / t.median),
  }));
  if (json) {
    const first = vs[0];
    const ort = { onnxruntime_ms: first?.median_ms ?? null, ratio: first?.ratio ?? null };
    return `${JSON.stringify({ ...m, ...timingJson(ours), ...ort, vs })}\n`;
  }
  const t = `${m.threads} thread${m.threads > 1 ? 's' : ''}`;
  let out = `${modelPath} on ${m.backend} (${t}): ${timingText(timingJson(ours))}; ${m.runs} runs after ${m.warmup} warm-up\n`;
  for (const v of vs)
    out += `${v.runtime} (${t}, interleaved): ${timingText(v)} — squish is ${v.ratio}× its latency\n`;
  return out;
}
