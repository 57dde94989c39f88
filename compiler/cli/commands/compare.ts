// `squish compare A.onnx B.onnx --recipe R | --data GLOB [--samples N] [--json]`: fidelity of B
// against A (agreement, cosine, max abs, SNR) on the recipe's calibration data or on files.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { type CalibrationSpec, loadCalibration } from '../../data/calibration.ts';
import { measureFidelity } from '../../fidelity/compare.ts';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { planModel } from '../../plan/model-plan.ts';
import { loadRecipe } from '../../plan/recipe.ts';
import type { CliIO } from '../io.ts';
import { MEMORY_HELP } from '../memory.ts';
import { progressReporter } from '../progress.ts';
import { readText } from './compile.ts';
import type { RegisterCommand } from './index.ts';

interface Opts {
  recipe?: string;
  data?: string;
  samples?: string;
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
      const samples = await loadCalibration(spec, inputs, host);
      const progress = progressReporter(io, Boolean(opts.json));
      let f: Awaited<ReturnType<typeof measureFidelity>>;
      try {
        f = await measureFidelity(
          await runner(a, opts.backend ?? 'auto'),
          await runner(b, opts.backend ?? 'auto'),
          samples,
          (d) => progress.update('compare', d, samples.length),
        );
      } finally {
        progress.stop();
      }
      if (opts.json) io.out(`${JSON.stringify(f, null, 2)}\n`);
      else {
        io.out(`samples      ${f.samples}\n`);
        io.out(
          `agreement    ${f.agreement === null ? 'n/a (outputs are not class scores)' : `${(f.agreement * 100).toFixed(2)}%`}\n`,
        );
        io.out(`cosine min   ${f.cosine_min.toFixed(6)}\n`);
        io.out(`cosine mean  ${f.cosine_mean.toFixed(6)}\n`);
        io.out(`max abs      ${f.max_abs.toExponential(3)}\n`);
        io.out(
          `SNR          ${Number.isFinite(f.snr_db) ? `${f.snr_db.toFixed(2)} dB` : 'inf (identical)'}\n`,
        );
      }
    });
};
