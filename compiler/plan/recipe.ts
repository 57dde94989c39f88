// Loading a recipe for check/plan/compile: parse + model-free checks + what the compiler does not
// run yet, includes read through the host (the one include adapter), errors rendered as
// `file:line:col: error[CODE]` with code frames and thrown as one RecipeError.

import { flattenStatements, type RecipeAst, type Statement } from '../../dsl/ast.ts';
import { type Diagnostic, renderDiagnostic, sortDiagnostics } from '../../dsl/diagnostics.ts';
import { checkRecipe, type IncludeHost } from '../../dsl/index.ts';
import { UserError } from '../../runtime/errors.ts';
import type { Host } from '../data/host.ts';
import { pendingDiagnostics } from './pending.ts';

export interface LoadedRecipe {
  ast: RecipeAst;
  statements: Statement[];
  /** Every diagnostic (errors and warnings), sorted. */
  diagnostics: Diagnostic[];
  warnings: Diagnostic[];
  /** Renders a diagnostic with its code frame (sources of the recipe and its includes). */
  render: (d: Diagnostic) => string;
  text: string;
  file: string;
  /** Texts of the recipe and every file it includes, by the host's path. */
  sources: Map<string, string>;
}

/**
 * Errors of a recipe (alone, on a model, or missed targets): the diagnostics rendered with code
 * frames (`file:line:col: error[CODE]: …`), exit 1. `rendered` tells the CLI not to prefix them.
 */
export class RecipeError extends UserError {
  readonly rendered = true;
  constructor(
    readonly diagnostics: Diagnostic[],
    render: (d: Diagnostic) => string,
  ) {
    super(diagnostics.map(render).join('').trimEnd());
  }
}

/** Includes read through the host, relative to the including file. */
export function includeFrom(host: Host | undefined): IncludeHost | undefined {
  const read = host?.readText;
  if (!read) return undefined;
  return (path, fromFile) => {
    const file = host.resolve(fromFile, path);
    const text = read(file);
    return text === undefined ? undefined : { file, text };
  };
}

/** What a caller of the compiler checks for: compile stops at what it cannot run yet; plan shows it. */
export interface RecipeUse {
  /** Report what the compiler does not run yet (compile, check); false for `squish plan`. */
  pending?: boolean;
}

/** Parse and check a recipe; never throws on input. */
export function inspectRecipe(text: string, file: string, host?: Host, use: RecipeUse = {}): LoadedRecipe {
  const { ast, diagnostics, sources } = checkRecipe(text, { file, include: includeFrom(host) });
  const all = sortDiagnostics([...diagnostics, ...(use.pending === false ? [] : pendingDiagnostics(ast))]);
  return {
    ast,
    statements: flattenStatements(ast),
    diagnostics: all,
    warnings: all.filter((d) => d.severity !== 'error'),
    render: (d) => renderDiagnostic(d, (f) => sources.get(f) ?? (f === file ? text : undefined)),
    text,
    file,
    sources,
  };
}

/** A recipe ready for plan/compile: throws a RecipeError when it has errors. */
export function loadRecipe(text: string, file: string, host?: Host, use: RecipeUse = {}): LoadedRecipe {
  const recipe = inspectRecipe(text, file, host, use);
  const errors = recipe.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new RecipeError(errors, recipe.render);
  return recipe;
}
