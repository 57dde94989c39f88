// Loading a recipe for compile/plan: parse + model-free checks (includes through the host),
// errors rendered as `file:line:col: error[CODE]` with code frames and thrown as one UserError.

import { flattenStatements, type RecipeAst, type Statement } from '../../dsl/ast.ts';
import { type Diagnostic, renderDiagnostic } from '../../dsl/diagnostics.ts';
import { checkRecipe } from '../../dsl/index.ts';
import { UserError } from '../../runtime/errors.ts';
import type { Host } from '../data/host.ts';

export interface LoadedRecipe {
  ast: RecipeAst;
  statements: Statement[];
  warnings: Diagnostic[];
  /** Renders a diagnostic with its code frame (sources of the recipe and its includes). */
  render: (d: Diagnostic) => string;
  text: string;
  file: string;
  /** Texts of the recipe and every file it includes, by the host's path. */
  sources: Map<string, string>;
}

export function loadRecipe(text: string, file: string, host?: Host): LoadedRecipe {
  const include = host?.readText
    ? (path: string, fromFile: string) => {
        const full = host.resolve(fromFile, path);
        const t = host.readText!(full);
        return t === undefined ? undefined : { file: full, text: t };
      }
    : undefined;
  const { ast, diagnostics, sources } = checkRecipe(text, { file, include });
  const render = (d: Diagnostic) =>
    renderDiagnostic(d, (f) => sources.get(f) ?? (f === file ? text : undefined));
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    throw new UserError(
      `${errors.length} error${errors.length === 1 ? '' : 's'} in the recipe:\n${errors.map(render).join('\n')}`,
      `run \`squish check ${file}\` for the full report`,
    );
  }
  return {
    ast,
    statements: flattenStatements(ast),
    warnings: diagnostics.filter((d) => d.severity !== 'error'),
    render,
    text,
    file,
    sources,
  };
}
