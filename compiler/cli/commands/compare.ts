// `squish compare A.onnx B.onnx --recipe R | --data GLOB [--samples N] [--task T] [--json]`: fidelity of
// B against A with the compile report's metrics — the task metric with its 95% interval, cosine,
// max abs, SNR — on the recipe's held-apart calibration samples (the ones compile measured on) or
// on files.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { type CalibrationSpec, loadCalibration } from '../../data/calibration.ts';
import { DEFAULT_HOLDOUT, holdApart } from '../../data/split.ts';
import { measureFidelity } from '../../fidelity/compare.ts';
import { METRIC_OF, type Task } from '../../fidelity/task.ts';
import { judgeFidelity } from '../../fidelity/verdict.ts';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { planModel } from '../../plan/model-plan.ts';
import { loadRecipe } from '../../plan/recipe.ts';
import type { CliIO } from '../io.ts';
import { MEMORY_HELP } from '../memory.ts';
import { progressReporter } from '../progress.ts';
import { fidelityLines } from '../summary.ts';
import { readText } from './compile.ts';
import type { RegisterCommand } from './index.ts';

const TASKS = Object.keys(METRIC_OF) as Task[];

interface Opts {
  recipe?: string;
  data?: string;
  samples?: string;
  task?: Task;
  threshold?: string;
  json?: boolean;
  backend?: string;
}

async function runner(model: Model, backend: string) {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const session = await createSession(model, { backend: backend as 'auto' });
  return (feeds: Record<string, Tensor>) => session.run(feeds);
}

export const registerCompare: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('compare')
    .description('measure how closely model B follows model A on calibration data')
    .argument('<a>', 'the reference model')
    .argument('<b>', 'the model to measure')
    .option('--recipe <recipe>', "use the recipe's calibrate { … } data (and its model { input … } shapes)")
    .option('--data <glob>', 'images (.png/.jpg) or tensors (.npy) to feed, relative to the current folder')
    .option('--samples <n>', 'use at most this many samples')
    .option(
      '--task <task>',
      "the model's task: classify, ctc-text, segment-map, regress (default: the recipe's, else from the outputs)",
    )
    .option('--threshold <t>', "binarization threshold of segment maps (default: the recipe's, else 0.3)")
    .option('--backend <name>', 'runtime backend: auto, cpu, webasm, headlessgl, webgpu', 'auto')
    .option('--json', 'print the figures as JSON')
    .option('--max-memory <size>', MEMORY_HELP)
    .action(async (aArg: string, bArg: string, opts: Opts) => {
      if (!opts.recipe === !opts.data) {
        throw new UserError(
          'compare needs exactly one of --recipe or --data',
          'e.g. --data "fixtures/*.npy"',
        );
      }
      if (opts.task !== undefined && !TASKS.includes(opts.task))
        throw new UserError(`--task ${opts.task} is not a task`, `use one of ${TASKS.join(', ')}`);
      const threshold = opts.threshold === undefined ? undefined : Number(opts.threshold);
      if (threshold !== undefined && !(threshold > 0 && threshold < 1))
        throw new UserError(`--threshold ${opts.threshold} is not between 0 and 1`, 'e.g. --threshold 0.3');
      const a = loadModelFile(resolve(io.cwd, aArg), aArg);
      const b = loadModelFile(resolve(io.cwd, bArg), bArg);
      const host = nodeHost(io.cwd);
      let spec: CalibrationSpec;
      let shapes: Record<string, (number | string)[]> = {};
      if (opts.recipe) {
        const recipe = loadRecipe(
          readText(resolve(io.cwd, opts.recipe), 'recipe', opts.recipe),
          opts.recipe,
          host,
        );
        const plan = planModel(a, recipe);
        if (!plan.settings.calibration) {
          throw new UserError(`${opts.recipe} has no calibrate { … } block`, 'add one, or pass --data GLOB');
        }
        spec = plan.settings.calibration;
        shapes = plan.inputShapes;
      } else {
        const glob = opts.data!;
        spec = {
          source: /\.npy$/i.test(glob) ? 'tensors' : 'images',
          glob,
          file: resolve(io.cwd, 'compare'),
        };
      }
      if (opts.samples) spec = { ...spec, samples: Number(opts.samples) };
      const g = a.graph;
      const inputs = g.inputs
        .filter((i) => !g.initializers.has(i.name))
        .map((i) => ({
          name: i.name,
          dtype: i.type?.dtype ?? 'float32',
          shape: shapes[i.name] ?? i.type?.shape,
        }));
      const loaded = await loadCalibration(spec, inputs, host);
      // with a recipe, the samples its compile held apart from every fitting step
      const split = opts.recipe
        ? holdApart(loaded, spec.holdout ?? DEFAULT_HOLDOUT, spec.seed ?? 0)
        : { heldApart: [], fit: loaded };
      const held = split.heldApart.length > 0;
      const samples = held ? split.heldApart : loaded;
      const progress = progressReporter(io, Boolean(opts.json));
      let raw: Awaited<ReturnType<typeof measureFidelity>>;
      try {
        raw = await measureFidelity(
          await runner(a, opts.backend ?? 'auto'),
          await runner(b, opts.backend ?? 'auto'),
          samples,
          {
            task: opts.task ?? spec.task,
            threshold: threshold ?? spec.threshold,
            onSample: (d) => progress.update('compare', d, samples.length),
          },
        );
      } finally {
        progress.stop();
      }
      const { fidelity: f } = judgeFidelity(raw, {
        samples: samples.length,
        of: loaded.length,
        held_apart: held || !opts.recipe,
        source: opts.recipe ? spec.source : 'files',
      });
      if (opts.json) io.out(`${JSON.stringify(f, null, 2)}\n`);
      else io.out(fidelityLines(f));
    });
};
