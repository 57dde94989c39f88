// dsl/: the recipe language (lexer, parser, AST with spans, checks, diagnostics, formatter, selectors).
import type { RecipeAst } from './ast.ts';
import { checkAst } from './check.ts';
import { type Diagnostic, sortDiagnostics } from './diagnostics.ts';
import { type ParseOptions, parseRecipe } from './parse.ts';

export type * from './ast.ts';
export { flattenStatements, stripSpans } from './ast.ts';
export { checkAst } from './check.ts';
export {
  CATALOG,
  type Diagnostic,
  type DiagnosticCode,
  diag,
  hasErrors,
  renderDiagnostic,
  type Severity,
  sortDiagnostics,
} from './diagnostics.ts';
export { type FormatResult, formatRecipe, headerText } from './format.ts';
export { hoverAt } from './hover.ts';
export { type IncludeHost, type ParseOptions, type ParseResult, parseRecipe } from './parse.ts';
export {
  type LayerInfo,
  type ResolveResult,
  resolveRecipe,
  resolveSelectors,
  type StatementMatches,
} from './select.ts';
export type { Span } from './span.ts';
export { didYouMean, editDistance, nearest } from './suggest.ts';
export { STATEMENTS, type StatementDef } from './table/index.ts';

/** Parse and run every model-free check. Never throws on input. */
export function checkRecipe(
  text: string,
  options: ParseOptions = {},
): { ast: RecipeAst; diagnostics: Diagnostic[]; sources: Map<string, string> } {
  const parsed = parseRecipe(text, options);
  return {
    ast: parsed.ast,
    diagnostics: sortDiagnostics([...parsed.diagnostics, ...checkAst(parsed.ast)]),
    sources: parsed.sources,
  };
}
