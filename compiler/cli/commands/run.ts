// `squish run MODEL --input NAME=FILE.npy … [--backend B] [--out DIR]`: execute a model with the squish
// runtime and write every output as .npy. Also the feed helpers `squish bench` shares.

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { BackendName } from '../../../runtime/backends/backend.ts';
import { printable, UserError } from '../../../runtime/errors.ts';
import { AUTO_ORDER } from '../../../runtime/exec/backends.ts';
import { createSession } from '../../../runtime/exec/index.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { parseNpy, serializeNpy } from '../../../runtime/npy.ts';
import { commitFiles } from '../../io/commit.ts';
import { readRegularFile } from '../../io/files.ts';
import { loadModelFile } from '../../io/model-file.ts';
import type { CliIO } from '../io.ts';
import { MEMORY_HELP } from '../memory.ts';
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
    feeds[name] = parseNpy(readRegularFile(resolve(io.cwd, file), 'input', file), file);
  }
  return feeds;
}

/** Longest file stem written for an output (names can be longer than file systems accept). */
const MAX_STEM = 100;

/**
 * A file name for each output value: ONNX names may hold '/', ':' … (replaced by '_'), be too long
 * (cut, with a hash of the full name) or collide once sanitized, also ignoring case ('a/b' and
 * 'a:b' → a_b.npy, a_b-2.npy). Returns the names in order and why any was changed.
 */
export function outputFileNames(names: readonly string[]): { files: string[]; notes: string[] } {
  const taken = new Set<string>();
  const notes: string[] = [];
  const files = names.map((name) => {
    let stem = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'output';
    if (stem.length > MAX_STEM) stem = `${stem.slice(0, MAX_STEM - 9)}-${hash(name)}`;
    let file = `${stem}.npy`;
    for (let k = 2; taken.has(file.toLowerCase()); k++) file = `${stem}-${k}.npy`;
    taken.add(file.toLowerCase());
    if (file !== `${name}.npy`) {
      const why =
        file === `${stem}.npy` ? 'its name is not a safe file name' : 'another output has that file name';
      notes.push(`output '${printable(name)}' is written as ${file} (${why})`);
    }
    return file;
  });
  return { files, notes };
}

/** 8 hex digits of FNV-1a over the name: keeps cut names apart. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** --out must be a folder (or a new one in a folder that exists): checked before the model runs. */
function checkOutFolder(dir: string, shown: string): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch {
    if (!existsSync(dirname(dir)))
      throw new UserError(
        `--out ${shown}: its parent folder does not exist`,
        'create it first or pick another folder',
      );
    return;
  }
  if (!st.isDirectory())
    throw new UserError(
      `--out ${shown} is a file; it needs a folder for the output .npy files`,
      'pick a folder',
    );
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
    .option('--max-memory <size>', MEMORY_HELP)
    .action(async (modelPath: string, opts: { input: string[]; backend: string; out: string }) => {
      const backend = checkBackend(opts.backend);
      const dir = resolve(io.cwd, opts.out);
      checkOutFolder(dir, opts.out);
      const model = loadModelFile(resolve(io.cwd, modelPath), modelPath);
      const feeds = readInputs(io, model.graph, opts.input);
      const session = await createSession(model, { backend });
      try {
        const t0 = performance.now();
        const outs = await session.run(feeds);
        const ms = performance.now() - t0;
        try {
          mkdirSync(dir, { recursive: true });
        } catch (e) {
          throw new UserError(`cannot create the --out folder '${opts.out}': ${(e as Error).message}`);
        }
        const entries = Object.entries(outs);
        const { files, notes } = outputFileNames(entries.map(([name]) => name));
        for (const note of notes) io.err(`note: ${note}\n`);
        await commitFiles(
          entries.map(([, t], i) => ({
            target: join(dir, files[i]!),
            bytes: serializeNpy(t),
            label: join(opts.out, files[i]!),
          })),
          { overwrite: true },
        );
        entries.forEach(([name, t], i) => {
          io.out(`${printable(name)}: ${t.dtype} ${fmtDims(t.dims)} → ${join(opts.out, files[i]!)}\n`);
        });
        io.out(`ran on ${session.backend} in ${ms.toFixed(1)} ms\n`);
      } finally {
        session.dispose();
      }
    });
};
