// The texts of the files a recipe includes, keyed as the include statements spell them (compile
// keeps them in the output's provenance metadata).

import type { RecipeAst } from '../../dsl/ast.ts';
import type { LoadedRecipe } from './recipe.ts';

/** `a/./b/../c` → `a/c` ('/'-separated; leading `..` stay). */
function normalizePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/**
 * The text of every file the recipe includes, keyed by its path relative to the recipe's folder as
 * the include statements spell it (so the output does not depend on where the recipe lives).
 */
export function includedTexts(recipe: LoadedRecipe): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (ast: RecipeAst, dir: string) => {
    for (const s of ast.statements) {
      if (s.kind !== 'include' || !s.recipe) continue;
      const absolute = /^([a-z][a-z0-9+.-]*:|\/)/i.test(s.path);
      const key = absolute ? s.path : normalizePath(`${dir}${s.path}`);
      out[key] = recipe.sources.get(s.recipe.file) ?? '';
      walk(s.recipe, key.replace(/[^/]*$/, ''));
    }
  };
  walk(recipe.ast, '');
  return out;
}
