// `squish compile MODEL --recipe R -o OUT [--report R.json|R.html] [--force] [--quiet|--verbose]`: the
// main job. Output paths are checked before any work; the model and its reports are written as one
// commit (all or none), never over an input, not over an existing file without --force; a failed
// compile writes nothing (but the report, with --report-on-failure); progress bars on a TTY only.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { printable, UserError } from '../../../runtime/errors.ts';
import type { Dim } from '../../../runtime/ir/types.ts';
import { compileModel, runtimeRunner } from '../../compile.ts';
import { commitFiles } from '../../io/commit.ts';
import { readRegularFile, readTextFile } from '../../io/files.ts';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import type { Report } from '../../report/types.ts';
import { type OrtLike, ortRunner, type RunnerFactory, squishRunner } from '../../train/runner.ts';
import type { CliIO } from '../io.ts';
import { MEMORY_HELP } from '../memory.ts';
import { checkOutputPaths } from '../output.ts';
import { progressReporter } from '../progress.ts';
import { parseShape, SHAPE_HELP } from '../shape.ts';
import { compileSummary } from '../summary.ts';
import { pickRunner } from './grad.ts';
import type { RegisterCommand } from './index.ts';

export function readModelBytes(path: string, display = path): Uint8Array {
  return readRegularFile(path, 'model', display);
}

export function readText(path: string, what: string, display = path): string {
  return readTextFile(path, what, display);
}

/** The report as JSON, or as the HTML page for a path ending in .html. */
async function reportBytes(path: string, report: Report, modelArg: string): Promise<Uint8Array> {
  if (!/\.html?$/i.test(path)) return new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
  const { htmlBytes } = await import('./report.ts');
  return htmlBytes(report, `model ${modelArg}`);
}

interface Opts {
  recipe: string;
  output: string;
  report: string[];
  reportOnFailure?: string;
  force?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  backend: string;
  trainBackend?: string;
  shape: Record<string, Dim[]>;
  fidelity: boolean;
}

/**
 * What runs training graphs (distill, finetune): onnxruntime-node when it is installed
 * (or asked for by name), else squish's runtime; imported only when a recipe trains.
 */
function trainingRunner(backend: string | undefined): RunnerFactory {
  let made: Promise<RunnerFactory> | undefined;
  return async (model) => {
    made ??= backend
      ? pickRunner(backend)
      : import('onnxruntime-node').then(
          (ort) => ortRunner(ort as unknown as OrtLike),
          () => squishRunner(),
        );
    return (await made)(model);
  };
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
    .option(
      '--report-on-failure <path>',
      'when targets are missed (nothing else is written), write the report here (JSON, or HTML for .html)',
    )
    .option('--no-fidelity', 'do not run the models to measure fidelity (no fidelity figures in the report)')
    .option('--force', 'overwrite existing output files')
    .option('-q, --quiet', 'print nothing but errors')
    .option('-v, --verbose', 'log every pass and timing to stderr')
    .option('--backend <name>', 'runtime backend for fidelity: auto, cpu, webasm, headlessgl, webgpu', 'auto')
    .option(
      '--train-backend <name>',
      'what runs training (distill, finetune): onnxruntime, auto, cpu, webasm… (default: onnxruntime-node when installed, else auto)',
    )
    .option('--shape <name=dims>', `${SHAPE_HELP}; overrides the recipe's model { input … }`, parseShape, {})
    .option('--max-memory <size>', MEMORY_HELP)
    .action(async (modelArg: string, opts: Opts) => {
      const started = performance.now();
      const at = (p: string) => resolve(io.cwd, p);
      const modelPath = at(modelArg);
      const recipePath = at(opts.recipe);
      const force = Boolean(opts.force);
      const reports = opts.report.map((r) => ({
        path: at(r),
        flag: '--report',
        what: 'the report',
        label: r,
      }));
      const failureReport = opts.reportOnFailure
        ? {
            path: at(opts.reportOnFailure),
            flag: '--report-on-failure',
            what: 'the report of a failed compile',
            label: opts.reportOnFailure,
          }
        : undefined;
      const model = { path: at(opts.output), flag: '-o', what: 'the model', label: opts.output };
      checkOutputPaths(
        [model, ...reports, ...(failureReport ? [failureReport] : [])],
        [
          { path: modelPath, flag: 'MODEL', what: 'the input model' },
          { path: recipePath, flag: '--recipe', what: 'the recipe' },
        ],
        force,
      );
      const bytes = readModelBytes(modelPath, modelArg);
      const recipeText = readText(recipePath, 'recipe', opts.recipe);
      const progress = progressReporter(io, Boolean(opts.quiet));
      let result: Awaited<ReturnType<typeof compileModel>>;
      try {
        result = await compileModel(bytes, recipeText, {
          recipeFile: opts.recipe,
          inputShapes: opts.shape,
          host: nodeHost(io.cwd),
          loadModel: () => loadModelFile(modelPath, modelArg),
          runner: runtimeRunner(opts.backend),
          fidelity: opts.fidelity,
          onProgress: progress.update,
          onnxruntime: await onnxruntimeNode(),
          clock: cpuMs,
          // info lines and warnings go on lines of their own (above the bars on a terminal)
          info: opts.quiet ? undefined : progress.warn,
          log: opts.verbose ? (l) => io.err(`${printable(l, true)}\n`) : undefined,
          warn: opts.quiet ? undefined : progress.warn,
          trainRunner: trainingRunner(opts.trainBackend),
          status: opts.quiet ? undefined : progress.warn,
        });
      } finally {
        progress.stop();
      }
      if (result.missed) {
        if (failureReport) {
          const report = await reportBytes(failureReport.path, result.report, modelArg);
          await commitFiles([{ target: failureReport.path, bytes: report, label: failureReport.label }], {
            overwrite: force,
          });
        }
        const note = failureReport
          ? `the report of this compile is in ${failureReport.label}, nothing else was written`
          : 'nothing was written (--report-on-failure FILE keeps the report of a failed compile)';
        const help = [result.missed.help, note].filter(Boolean).join('; ');
        // the message is rendered diagnostics (file:line:col: error[CODE]: …), printed as they are
        throw Object.assign(new UserError(result.missed.message, help), { rendered: result.missed.rendered });
      }
      await commitFiles(
        [
          { target: model.path, bytes: result.model, label: model.label },
          ...(await Promise.all(
            reports.map(async (r) => ({
              target: r.path,
              bytes: await reportBytes(r.path, result.report, modelArg),
              label: r.label,
            })),
          )),
        ],
        { overwrite: force },
      );
      if (opts.verbose) {
        for (const [k, v] of Object.entries(result.report.timings_ms)) io.err(`  ${k}: ${v} ms\n`);
      }
      if (!opts.quiet)
        io.out(
          compileSummary(result.report, {
            output: opts.output,
            model: modelArg,
            recipe: opts.recipe,
            reports: opts.report,
            seconds: (performance.now() - started) / 1000,
          }),
        );
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
