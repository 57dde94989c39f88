// `squish grad MODEL --input NAME=FILE.npy… [--loss sum|mse:REF.npy] --out DIR [--backend B]`:
// ∂loss/∂w for every float weight, one .npy per weight in DIR and DIR/index.json mapping each file to
// its weight. The folder appears whole or not at all.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { BackendName } from '../../../runtime/backends/backend.ts';
import { UserError } from '../../../runtime/errors.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { parseNpy, serializeNpy } from '../../../runtime/npy.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { type GradientLoss, lossAndGradients } from '../../train/gradients.ts';
import { type OrtLike, ortRunner, type RunnerFactory, squishRunner } from '../../train/runner.ts';
import type { CliIO } from '../io.ts';
import type { RegisterCommand } from './index.ts';
import { BACKEND_CHOICES, collect, outputFileNames, readInputs } from './run.ts';

const GRAD_BACKENDS = ['onnxruntime', ...BACKEND_CHOICES];

function parseLoss(io: CliIO, spec: string): GradientLoss {
  if (spec === 'sum') return 'sum';
  if (spec.startsWith('mse:')) {
    const file = spec.slice(4);
    const path = resolve(io.cwd, file);
    if (!file || !existsSync(path) || statSync(path).isDirectory())
      throw new UserError(
        `--loss mse: reference file '${file}' does not exist`,
        'write --loss mse:REF.npy with a .npy of the first output’s shape',
      );
    return { mse: parseNpy(new Uint8Array(readFileSync(path)), file) };
  }
  throw new UserError(
    `--loss '${spec}' is not a loss squish grad knows`,
    'use --loss sum (every element of every output) or --loss mse:REF.npy',
  );
}

export async function pickRunner(backend: string): Promise<RunnerFactory> {
  if (!GRAD_BACKENDS.includes(backend))
    throw new UserError(`--backend '${backend}' is not a backend`, `use one of: ${GRAD_BACKENDS.join(', ')}`);
  if (backend !== 'onnxruntime') return squishRunner(backend as 'auto' | BackendName);
  const ort = await import('onnxruntime-node').catch(() => {
    throw new UserError(
      '--backend onnxruntime needs the onnxruntime-node package',
      'npm install onnxruntime-node, or use --backend auto',
    );
  });
  return ortRunner(ort as unknown as OrtLike);
}

/** File names for weights: file-safe, short enough, unique (as `squish run` names its outputs). */
function fileNames(weights: string[]): Map<string, string> {
  const { files } = outputFileNames(weights);
  return new Map(weights.map((w, i) => [w, files[i]!]));
}

/** Write every file into a fresh sibling folder, then move it into place. */
function writeFolder(dir: string, files: Map<string, Uint8Array>): void {
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0))
    throw new UserError(
      `--out '${dir}' exists and is not an empty folder`,
      'give a new folder name, or remove it first',
    );
  const parent = dirname(dir);
  const tmp = join(parent, `.${basename(dir)}.partial-${process.pid}`);
  try {
    mkdirSync(tmp, { recursive: true });
    for (const [name, bytes] of files) writeFileSync(join(tmp, name), bytes);
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UserError(`cannot write the gradients to '${dir}': ${(e as Error).message}`);
  }
}

export const registerGrad: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('grad')
    .description('∂loss/∂w for every float weight of a model, as one .npy per weight (debugging a fine-tune)')
    .argument('<model>', 'the .onnx model file')
    .option(
      '--input <name=file.npy>',
      'an input tensor (repeatable; NAME= may be left out for one input)',
      collect,
      [],
    )
    .option(
      '--loss <loss>',
      "'sum' (every element of every output) or 'mse:REF.npy' (first output vs REF)",
      'sum',
    )
    .requiredOption('--out <dir>', 'a new folder for the gradients (.npy) and index.json')
    .option('--backend <backend>', `what runs the training graph: ${GRAD_BACKENDS.join(', ')}`, 'onnxruntime')
    .action(
      async (modelPath: string, opts: { input: string[]; loss: string; out: string; backend: string }) => {
        const model = loadModelFile(resolve(io.cwd, modelPath), modelPath);
        const feeds: Record<string, Tensor> = readInputs(io, model.graph, opts.input);
        const missing = model.graph.inputs.filter(
          (i) => !model.graph.initializers.has(i.name) && !feeds[i.name],
        );
        if (missing.length)
          throw new UserError(
            `no --input for ${missing.map((i) => `'${i.name}'`).join(', ')}`,
            'give every model input as --input NAME=FILE.npy',
          );
        const loss = parseLoss(io, opts.loss);
        const runner = await pickRunner(opts.backend);
        io.err(`building the training graph and running it (${opts.backend})…\n`);
        const t0 = performance.now();
        const res = await lossAndGradients(model, feeds, loss, { runner });
        const names = fileNames(Object.keys(res.gradients));
        const files = new Map<string, Uint8Array>();
        const index: Record<string, string> = {};
        for (const [w, file] of names) {
          files.set(file, serializeNpy(res.gradients[w]!));
          index[file] = w;
        }
        files.set('index.json', new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`));
        writeFolder(resolve(io.cwd, opts.out), files);
        io.out(
          `loss ${res.loss}; ${names.size} gradients → ${opts.out}/ (index.json maps file → weight) in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
        );
      },
    );
};
