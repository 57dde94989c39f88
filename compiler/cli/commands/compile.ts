// `squish compile MODEL --recipe R -o OUT [--report R.json|R.html] [--force] [--quiet|--verbose]`: the
// main job. Output is written atomically (temp + rename), never over the input, not over an
// existing file without --force; progress bars on a TTY only.

import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import type { Dim } from '../../../runtime/ir/types.ts';
import { compileModel, runtimeRunner } from '../../compile.ts';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import type { Report } from '../../report/types.ts';
import type { OrtLike } from '../../train/runner.ts';
import type { CliIO } from '../io.ts';
import { parseShape, SHAPE_HELP } from '../shape.ts';
import type { RegisterCommand } from './index.ts';

/** Test hook: called when half of the bytes reached the temp file (specs inject failures here). */
export const outputHooks: { midWrite?: (tmp: string) => void } = {};

function same(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return existsSync(a) && existsSync(b) && realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Refuse an output path that is an input, or exists (without force), or has no folder. */
export function checkOutputPath(out: string, inputs: string[], force: boolean, what = 'output'): void {
  for (const i of inputs) {
    if (same(out, i))
      throw new UserError(`refusing to write the ${what} over the input ${i}`, 'pick another path');
  }
  if (existsSync(out) && !force) {
    throw new UserError(
      `${what} ${out} already exists`,
      'pass --force to overwrite it, or pick another path',
    );
  }
  if (!existsSync(dirname(resolve(out)))) {
    throw new UserError(`the folder of ${out} does not exist`, 'create it first or pick another path');
  }
}

/** Write `bytes` to `target` through a temp file in the same folder and a rename. */
export function writeAtomic(target: string, bytes: Uint8Array): void {
  const tmp = join(dirname(resolve(target)), `.${basename(target)}.${process.pid}.squish-tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const half = Math.floor(bytes.length / 2);
      writeSync(fd, bytes, 0, half);
      outputHooks.midWrite?.(tmp);
      writeSync(fd, bytes, half, bytes.length - half);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write ${target}: ${(e as Error).message}`);
  }
}

export function readModelBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read model ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`,
      'pass the path of an .onnx file',
    );
  }
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

/** Progress bars on a TTY (one per step), nothing otherwise. */
export function progressReporter(
  io: CliIO,
  quiet: boolean,
): { update: (step: string, done: number, total: number) => void; stop: () => void } {
  if (!io.isTTY || quiet) return { update: () => {}, stop: () => {} };
  const bars = new cliProgress.MultiBar(
    { format: ' {step} [{bar}] {value}/{total}', clearOnComplete: false, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const byStep = new Map<string, cliProgress.SingleBar>();
  return {
    update(step, done, total) {
      let bar = byStep.get(step);
      if (!bar) byStep.set(step, (bar = bars.create(total, 0, { step })));
      bar.setTotal(total);
      bar.update(done, { step });
    },
    stop: () => bars.stop(),
  };
}

function kb(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} KB`;
}

/** The report as JSON, or as the HTML page for a path ending in .html. */
async function reportBytes(path: string, report: Report, modelArg: string): Promise<Uint8Array> {
  if (!/\.html?$/i.test(path)) return new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
  const { htmlBytes } = await import('./report.ts');
  return htmlBytes(report, `model ${modelArg}`);
}

export function summary(out: string, r: Report): string {
  const pct = (a: number, b: number) => (b ? `${(((a - b) / b) * 100).toFixed(1)}%` : 'n/a');
  let s = `wrote ${out}: ${kb(r.before.bytes)} → ${kb(r.after.bytes)} (${pct(r.after.bytes, r.before.bytes)}), params ${r.before.params} → ${r.after.params}`;
  if (r.fidelity) {
    const f = r.fidelity;
    s += `; fidelity on ${f.samples} samples: ${f.agreement === null ? '' : `agreement ${(f.agreement * 100).toFixed(2)}%, `}cosine min ${f.cosine_min.toFixed(6)}, max abs ${f.max_abs.toExponential(2)}, SNR ${f.snr_db.toFixed(1)} dB`;
  }
  return `${s}\n`;
}

interface Opts {
  recipe: string;
  output: string;
  report: string[];
  force?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  backend: string;
  shape: Record<string, Dim[]>;
}

export const registerCompile: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('compile')
    .description('compress a model by following a recipe')
    .argument('<model>', 'the ONNX model to compress')
    .requiredOption('--recipe <recipe>', 'the .squish recipe')
    .requiredOption('-o, --output <out>', 'where to write the compressed model')
    .option(
      '--report <path>',
      'write the compile report here: JSON, or one HTML page with charts when the name ends in .html (may be repeated)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--force', 'overwrite existing output files')
    .option('-q, --quiet', 'print nothing but errors')
    .option('-v, --verbose', 'log every pass and timing to stderr')
    .option('--backend <name>', 'runtime backend for fidelity: auto, cpu, webasm, headlessgl, webgpu', 'auto')
    .option('--shape <name=dims>', `${SHAPE_HELP}; overrides the recipe's model { input … }`, parseShape, {})
    .action(async (modelArg: string, opts: Opts) => {
      const modelPath = resolve(io.cwd, modelArg);
      const out = resolve(io.cwd, opts.output);
      const reportPaths = opts.report.map((r) => resolve(io.cwd, r));
      const recipePath = resolve(io.cwd, opts.recipe);
      checkOutputPath(out, [modelPath, recipePath], Boolean(opts.force));
      reportPaths.forEach((r, i) => {
        checkOutputPath(
          r,
          [modelPath, recipePath, out, ...reportPaths.slice(0, i)],
          Boolean(opts.force),
          'report',
        );
      });
      const bytes = readModelBytes(modelPath);
      const recipeText = readText(recipePath, 'recipe');
      const progress = progressReporter(io, Boolean(opts.quiet));
      let result: Awaited<ReturnType<typeof compileModel>>;
      try {
        result = await compileModel(bytes, recipeText, {
          recipeFile: opts.recipe,
          inputShapes: opts.shape,
          host: nodeHost(io.cwd),
          loadModel: () => loadModelFile(modelPath, modelArg),
          runner: runtimeRunner(opts.backend),
          onProgress: progress.update,
          onnxruntime: await onnxruntimeNode(),
          clock: cpuMs,
          info: opts.quiet ? undefined : (l) => io.err(`${l}\n`),
          log: opts.verbose ? (l) => io.err(`${l}\n`) : undefined,
          warn: opts.quiet ? undefined : (l) => io.err(`${l}\n`),
        });
      } finally {
        progress.stop();
      }
      for (const path of reportPaths) writeAtomic(path, await reportBytes(path, result.report, modelArg));
      if (result.missed) throw result.missed;
      writeAtomic(out, result.model);
      if (opts.verbose) {
        for (const [k, v] of Object.entries(result.report.timings_ms)) io.err(`  ${k}: ${v} ms\n`);
      }
      if (!opts.quiet) io.out(summary(opts.output, result.report));
    });
};

/** onnxruntime-node when installed (a search measures with it, `target latency` times in it). */
export async function onnxruntimeNode(): Promise<OrtLike | undefined> {
  return (await import('onnxruntime-node').catch(() => undefined)) as OrtLike | undefined;
}

/** CPU milliseconds of this process (steadier than wall time on a loaded machine). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
