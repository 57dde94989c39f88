// One model+recipe compile for a build tool, cached on disk by a hash of everything that decides
// its bytes: the squish version, the model, the recipe and every file it includes, and the
// calibration files it reads. A recipe or model problem becomes a BuildProblem whose message lists
// each diagnostic as `file:line:col: error[SQnnn]: message`, the way `squish compile` prints them.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import type { Diagnostic } from '../../dsl/diagnostics.ts';
import { isUserError } from '../../runtime/errors.ts';
import { compileModel, runtimeRunner } from '../compile.ts';
import { calibrationFiles } from '../data/calibration.ts';
import { nodeHost } from '../io/host.ts';
import { loadModelFile } from '../io/model-file.ts';
import { inspectRecipe } from '../plan/recipe.ts';
import { settingsOf } from '../plan/settings.ts';
import { SQUISH_VERSION } from '../version.ts';

export interface Compiled {
  /** The compressed model, byte for byte what `squish compile` writes. */
  bytes: Uint8Array;
  /** The asset's file name: the model's, with .sqz when the recipe packs it. */
  name: string;
  hash: string;
  cached: boolean;
}

/** A problem in the recipe or model: the build stops with this message at `loc`. */
export class BuildProblem extends Error {
  constructor(
    message: string,
    readonly loc?: { file: string; line: number; column: number },
  ) {
    super(message);
  }
}

/** The cache key: everything the compiled bytes depend on. */
async function inputsHash(modelBytes: Uint8Array, recipePath: string, recipeText: string): Promise<string> {
  const cwd = dirname(recipePath);
  const host = nodeHost(cwd);
  const recipe = inspectRecipe(recipeText, basename(recipePath), host);
  const h = createHash('sha256').update(`squish ${SQUISH_VERSION}\0`).update(modelBytes);
  for (const [file, text] of [...recipe.sources].sort(([a], [b]) => a.localeCompare(b)))
    h.update(`\0${file}\0${text}`);
  const spec = settingsOf(recipe.statements).calibration;
  if (spec && spec.source !== 'random' && !recipe.diagnostics.some((d) => d.severity === 'error')) {
    const files = await calibrationFiles(spec, host);
    if (Array.isArray(files))
      for (const f of files) h.update(`\0${f}\0`).update(await readFile(join(cwd, f)));
  }
  return h.digest('hex').slice(0, 16);
}

function problem(e: unknown, recipePath: string): unknown {
  const diagnostics = (e as { diagnostics?: Diagnostic[] }).diagnostics;
  if (!isUserError(e)) return e;
  if (!diagnostics?.length) return new BuildProblem(`${e.message}${e.help ? `\nhelp: ${e.help}` : ''}`);
  const where = (d: Diagnostic) => join(dirname(recipePath), d.span.file);
  const lines = diagnostics.map(
    (d) =>
      `${relative(process.cwd(), where(d))}:${d.span.line}:${d.span.column}: ${d.severity}[${d.code}]: ${d.message}${d.help ? `\n  help: ${d.help}` : ''}`,
  );
  const first = diagnostics[0]!.span;
  return new BuildProblem(lines.join('\n'), {
    file: where(diagnostics[0]!),
    line: first.line,
    column: first.column,
  });
}

/** Compile `modelPath` by `recipePath`, or take the result from `cacheDir`. */
export async function compileCached(
  modelPath: string,
  recipePath: string,
  cacheDir: string,
): Promise<Compiled> {
  const modelBytes = new Uint8Array(readFileSync(modelPath));
  const recipeText = readFileSync(recipePath, 'utf8');
  const hash = await inputsHash(modelBytes, recipePath, recipeText);
  const stem = basename(modelPath, extname(modelPath));
  for (const ext of ['.onnx', '.sqz']) {
    try {
      const bytes = new Uint8Array(readFileSync(join(cacheDir, `${hash}${ext}`)));
      return { bytes, name: `${stem}${ext}`, hash, cached: true };
    } catch {}
  }
  let result: Awaited<ReturnType<typeof compileModel>>;
  try {
    result = await compileModel(modelBytes, recipeText, {
      recipeFile: basename(recipePath),
      host: nodeHost(dirname(recipePath)),
      loadModel: () => loadModelFile(modelPath),
      runner: runtimeRunner(),
    });
    if (result.missed) throw result.missed;
  } catch (e) {
    throw problem(e, recipePath);
  }
  const ext = result.report.pack ? '.sqz' : '.onnx';
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `${hash}${ext}`);
  writeFileSync(`${file}.tmp-${process.pid}`, result.model);
  renameSync(`${file}.tmp-${process.pid}`, file);
  return { bytes: result.model, name: `${stem}${ext}`, hash, cached: false };
}
