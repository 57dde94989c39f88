// `squish check RECIPE [--model MODEL] [--shape N=DIMS] [--strict]`: validate a recipe — the language,
// what the compiler does not run yet, calibration files; with a model, every check compile makes
// before it starts (selectors, options that do not fit a layer, calibration data, opset, targets).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { headerText } from '../../../dsl/format.ts';
import {
  type Diagnostic,
  diag,
  renderDiagnostic,
  resolveRecipe,
  sortDiagnostics,
} from '../../../dsl/index.ts';
import { actionKindOf, isTableStatement } from '../../../dsl/table/index.ts';
import { printable } from '../../../runtime/errors.ts';
import type { Dim } from '../../../runtime/ir/types.ts';
import { calibrationFiles } from '../../data/calibration.ts';
import { readTextFile } from '../../io/files.ts';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { inspectRecipe, type LoadedRecipe } from '../../plan/recipe.ts';
import { settingsOf } from '../../plan/settings.ts';
import { layersForRecipe, modelInputs } from '../../select/layers.ts';
import type { CliIO } from '../io.ts';
import { parseShape, SHAPE_HELP } from '../shape.ts';
import type { RegisterCommand } from './index.ts';

/** Read a recipe file or fail with a clear message. */
export function readRecipeFile(path: string, shown = path): string {
  return readTextFile(path, 'recipe', shown);
}

export function printDiagnostics(io: CliIO, diags: Diagnostic[], sources: Map<string, string>): void {
  for (const d of diags)
    io.err(
      printable(
        renderDiagnostic(d, (f) => sources.get(f)),
        true,
      ),
    );
}

/** A calibrate glob that matches no file (what compile would stop at when it loads the data). */
async function calibrationProblems(recipe: LoadedRecipe, cwd: string): Promise<Diagnostic[]> {
  if (recipe.diagnostics.some((d) => d.severity === 'error')) return [];
  const spec = settingsOf(recipe.statements).calibration;
  if (!spec || spec.source === 'random') return [];
  const files = await calibrationFiles(spec, nodeHost(cwd));
  if (Array.isArray(files) || !files.span) return [];
  return [diag('SQ408', files.span, files.message, files.help)];
}

/** With a model: compile's own checks, or (when the recipe has errors) the selectors alone. */
async function modelProblems(
  recipe: LoadedRecipe,
  modelPath: string,
  shapes: Record<string, Dim[]>,
  lines: string[],
): Promise<Diagnostic[]> {
  const model = loadModelFile(modelPath);
  const listing = (s: { span: Diagnostic['span'] }, text: string, n: number) =>
    lines.push(`  ${s.span.file}:${s.span.line}: ${text} → ${n} layer${n === 1 ? '' : 's'}`);
  if (recipe.diagnostics.some((d) => d.severity === 'error')) {
    const resolved = resolveRecipe(recipe.ast, layersForRecipe(model, recipe.ast), modelInputs(model));
    return resolved.diagnostics;
  }
  const { analyzeModel } = await import('../../plan/model-plan.ts');
  await import('../../passes/lossy.ts');
  const { plan, diagnostics } = analyzeModel(model, recipe, shapes);
  const listed = recipe.statements
    .filter(isTableStatement)
    .filter((s) => s.kind === 'keep' || actionKindOf(s));
  listed.forEach((s, k) => {
    listing(s, headerText(s), plan.statements[k]!.selected);
  });
  return diagnostics;
}

/** What `squish check` finds in a recipe text (the file at `recipePath` under `cwd`, maybe unsaved). */
export async function checkRecipeText(
  text: string,
  recipePath: string,
  cwd: string,
  opts: { model?: string; shape?: Record<string, Dim[]> } = {},
): Promise<{ diagnostics: Diagnostic[]; sources: Map<string, string>; lines: string[] }> {
  const recipe = inspectRecipe(text, recipePath, nodeHost(cwd));
  let diags = [...recipe.diagnostics, ...(await calibrationProblems(recipe, cwd))];
  const lines: string[] = [];
  if (opts.model) {
    const found = await modelProblems(recipe, resolve(cwd, opts.model), opts.shape ?? {}, lines);
    // With a model, "matches nothing" (with the model's own names) replaces "unknown op type".
    const unmatched = new Set(
      found.filter((d) => d.code === 'SQ401').map((d) => `${d.span.file}:${d.span.offset}`),
    );
    diags = [
      ...diags.filter((d) => !(d.code === 'SQ309' && unmatched.has(`${d.span.file}:${d.span.offset}`))),
      ...found,
    ];
  }
  return { diagnostics: sortDiagnostics(diags), sources: recipe.sources, lines };
}

export const registerCheck: RegisterCommand = (program: Command, io: CliIO, setCode) => {
  program
    .command('check')
    .description('validate a recipe; with --model, every check compile makes on that model')
    .argument('<recipe>', 'the .squish recipe file')
    .option('--model <model>', 'an ONNX model to resolve the selectors and options against')
    .option('--shape <name=dims>', `${SHAPE_HELP}; overrides the recipe's model { input … }`, parseShape, {})
    .option('--strict', 'fail on warnings too')
    .action(
      async (
        recipePath: string,
        opts: { model?: string; strict?: boolean; shape: Record<string, Dim[]> },
      ) => {
        const text = readRecipeFile(resolve(io.cwd, recipePath), recipePath);
        const { diagnostics: diags, sources, lines } = await checkRecipeText(text, recipePath, io.cwd, opts);
        printDiagnostics(io, diags, sources);
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
        if (lines.length) io.out(`${printable(lines.join('\n'), true)}\n`);
      },
    );
};
