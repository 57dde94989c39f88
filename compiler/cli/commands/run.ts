// `squish run MODEL --input NAME=FILE.npy … [--backend B] [--out DIR]`: execute a model with the squish
// runtime and write every output as .npy. Also the feed helpers `squish bench` shares.

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { BackendName } from '../../../runtime/backends/backend.ts';
import { UserError } from '../../../runtime/errors.ts';
import { AUTO_ORDER } from '../../../runtime/exec/backends.ts';
import { createSession } from '../../../runtime/exec/index.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { parseNpy, serializeNpy } from '../../../runtime/npy.ts';
import { loadModelFile } from '../../io/model-file.ts';
import type { CliIO } from '../io.ts';
import type { RegisterCommand } from './index.ts';

export const BACKEND_CHOICES = ['auto', ...AUTO_ORDER];

export function collect(v: string, acc: string[]): string[] {
  return [...acc, v];
}

export function checkBackend(b: string): 'auto' | BackendName {
  if (!BACKEND_CHOICES.includes(b))
    throw new UserError(`--backend '${b}' is not a backend`, `use one of: ${BACKEND_CHOICES.join(', ')}`);
  return b as 'auto' | BackendName;
}

/** The inputs a caller feeds (graph inputs that are not initializers). */
export function feedInfos(g: Graph): Graph['inputs'] {
  return g.inputs.filter((i) => !g.initializers.has(i.name));
}

/** Read `--input NAME=FILE.npy` (or just FILE.npy for a one-input model) into feeds. */
export function readInputs(io: CliIO, g: Graph, specs: string[]): Record<string, Tensor> {
  const infos = feedInfos(g);
  const names = infos.map((i) => `'${i.name}'`).join(', ');
  const feeds: Record<string, Tensor> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    let name: string;
    let file: string;
    if (eq > 0) {
      name = spec.slice(0, eq);
      file = spec.slice(eq + 1);
    } else if (infos.length === 1) {
      name = infos[0]!.name;
      file = spec;
    } else
      throw new UserError(
        `--input '${spec}' does not say which input it feeds`,
        `write --input NAME=FILE.npy; the model's inputs are ${names}`,
      );
    if (!infos.some((i) => i.name === name))
      throw new UserError(`--input names '${name}', but the model's inputs are ${names}`);
    const path = resolve(io.cwd, file);
    if (!existsSync(path) || statSync(path).isDirectory())
      throw new UserError(`input file '${file}' does not exist`, 'give a .npy file written by numpy.save');
    feeds[name] = parseNpy(new Uint8Array(readFileSync(path)), file);
  }
  return feeds;
}

/** A file name for an output value (ONNX names may hold '/', ':' …). */
export function outputFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_') || 'output'}.npy`;
}

const fmtDims = (d: readonly number[]) => `[${d.join(', ')}]`;

export const registerRun: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('run')
    .description('execute a model with the squish runtime and write its outputs as .npy')
    .argument('<model>', 'the .onnx model file')
    .option(
      '--input <name=file.npy>',
      'an input tensor (repeatable; NAME= may be left out for one input)',
      collect,
      [],
    )
    .option('--backend <backend>', `where to run: ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--out <dir>', 'folder for the output .npy files', '.')
    .action(async (modelPath: string, opts: { input: string[]; backend: string; out: string }) => {
      const backend = checkBackend(opts.backend);
      const model = loadModelFile(resolve(io.cwd, modelPath), modelPath);
      const feeds = readInputs(io, model.graph, opts.input);
      const session = await createSession(model, { backend });
      try {
        const t0 = performance.now();
        const outs = await session.run(feeds);
        const ms = performance.now() - t0;
        const dir = resolve(io.cwd, opts.out);
        try {
          mkdirSync(dir, { recursive: true });
        } catch (e) {
          throw new UserError(`cannot create output folder '${opts.out}': ${(e as Error).message}`);
        }
        for (const [name, t] of Object.entries(outs)) {
          const file = outputFileName(name);
          writeFileSync(join(dir, file), serializeNpy(t));
          io.out(`${name}: ${t.dtype} ${fmtDims(t.dims)} → ${join(opts.out, file)}\n`);
        }
        io.out(`ran on ${session.backend} in ${ms.toFixed(1)} ms\n`);
      } finally {
        session.dispose();
      }
    });
};
