// `squish check RECIPE [--model MODEL] [--strict]`: validate a recipe; with a model, resolve every selector.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  checkRecipe,
  type Diagnostic,
  type IncludeHost,
  renderDiagnostic,
  resolveRecipe,
} from '../../../dsl/index.ts';
import { UserError } from '../../../runtime/errors.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { selectorsText } from '../../select/describe.ts';
import { layersForRecipe, modelInputs } from '../../select/layers.ts';
import type { CliIO } from '../io.ts';
import type { RegisterCommand } from './index.ts';

/** Read a recipe file or fail with a clear message. */
export function readRecipeFile(path: string, shown = path): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read recipe '${shown}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`,
      'pass the path of a .squish file',
    );
  }
}

/** Includes are read relative to the including file. */
export const fileIncludeHost: IncludeHost = (path, from) => {
  const file = resolve(dirname(from), path);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `no such file ${file}` : `cannot read ${file} (${code ?? (e as Error).message})`,
    );
  }
};

export function printDiagnostics(io: CliIO, diags: Diagnostic[], sources: Map<string, string>): void {
  for (const d of diags) io.err(renderDiagnostic(d, (f) => sources.get(f)));
}

export const registerCheck: RegisterCommand = (program: Command, io: CliIO, setCode) => {
  program
    .command('check')
    .description('validate a recipe; with --model, resolve every selector against the model')
    .argument('<recipe>', 'the .squish recipe file')
    .option('--model <model>', 'an ONNX model to resolve the selectors against')
    .option('--strict', 'fail on warnings too')
    .action((recipePath: string, opts: { model?: string; strict?: boolean }) => {
      const path = resolve(io.cwd, recipePath);
      const text = readRecipeFile(path, recipePath);
      const checked = checkRecipe(text, { file: recipePath, include: fileIncludeHost });
      let diags = checked.diagnostics;
      const lines: string[] = [];
      if (opts.model) {
        const model = loadModelFile(resolve(io.cwd, opts.model));
        const layers = layersForRecipe(model, checked.ast);
        const resolved = resolveRecipe(checked.ast, layers, modelInputs(model));
        // With a model, "matches nothing" (with the model's own names) replaces "unknown op type".
        const unmatched = new Set(
          resolved.diagnostics
            .filter((d) => d.code === 'SQ401')
            .map((d) => `${d.span.file}:${d.span.offset}`),
        );
        diags = [
          ...diags.filter((d) => !(d.code === 'SQ309' && unmatched.has(`${d.span.file}:${d.span.offset}`))),
          ...resolved.diagnostics,
        ];
        for (const s of resolved.statements) {
          const st = s.statement;
          lines.push(
            `  ${st.span.file}:${st.span.line}: ${selectorsText(st)} → ${s.matches.length} layer${s.matches.length === 1 ? '' : 's'}`,
          );
        }
      }
      diags.sort((a, b) =>
        a.span.file === b.span.file ? a.span.offset - b.span.offset : a.span.file < b.span.file ? -1 : 1,
      );
      printDiagnostics(io, diags, checked.sources);
      const errors = diags.filter((d) => d.severity === 'error').length;
      const warnings = diags.length - errors;
      const failed = errors > 0 || (opts.strict === true && warnings > 0);
      const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
      if (failed) {
        io.err(`${recipePath}: ${counts}\n`);
        setCode(1);
        return;
      }
      io.out(
        `${recipePath}: ok (${counts})${opts.model ? `, selectors resolved against ${opts.model}:` : ''}\n`,
      );
      if (lines.length) io.out(`${lines.join('\n')}\n`);
    });
};
