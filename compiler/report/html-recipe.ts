// The recipe in the HTML report: each file it was compiled from, lightly highlighted, every statement
// a block that names the layers it touched (from `layers[].actions`, which cite `file:line`) and
// filters the layer table to them; each action in the table links back to its statement.

import { parseRecipe } from '../../dsl/parse.ts';
import { positionAt } from '../../dsl/span.ts';
import { STATEMENT_KEYWORDS } from '../../dsl/table/index.ts';
import { esc } from './html-format.ts';
import type { LayerReport, RecipeSources } from './types.ts';

/** `quantize weights (recipes/a.squish:16)` → its action and the statement's `file:line`. */
export function actionSource(action: string): { action: string; source?: string } {
  const m = /^(.*) \(([^()]*:\d+)\)$/.exec(action);
  return m ? { action: m[1]!, source: m[2]! } : { action };
}

/** Statement `file:line` → indexes of the layers whose actions cite it, in layer order. */
export function layersByStatement(layers: readonly LayerReport[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  layers.forEach((l, i) => {
    for (const a of l.actions) {
      const { source } = actionSource(a);
      if (!source) continue;
      const list = out.get(source) ?? [];
      if (list[list.length - 1] !== i) list.push(i);
      out.set(source, list);
    }
  });
  return out;
}

/** The element id of a statement's block: stable for one report, safe in a URL fragment. */
export function statementId(source: string, ids: Map<string, string>): string {
  let id = ids.get(source);
  if (!id) ids.set(source, (id = `stmt-${ids.size + 1}`));
  return id;
}

const KEYWORDS = new Set(STATEMENT_KEYWORDS);
const TOKEN = /(#.*$)|("(?:[^"\\]|\\.)*"?)|(\b\d[\w.%]*)|([A-Za-z][\w-]*)/g;

/** One line of recipe text as HTML with comments, strings, numbers and statement words marked. */
function highlight(line: string): string {
  let html = '';
  let last = 0;
  let first = true;
  for (const m of line.matchAll(TOKEN)) {
    html += esc(line.slice(last, m.index));
    const [text, comment, string, number, word] = m;
    if (comment) html += `<span class="c">${esc(text)}</span>`;
    else if (string) html += `<span class="s">${esc(text)}</span>`;
    else if (number) html += `<span class="n">${esc(text)}</span>`;
    else if (word && first && KEYWORDS.has(word)) html += `<span class="k">${esc(text)}</span>`;
    else html += esc(text);
    if (!comment) first = false;
    last = m.index + text.length;
  }
  return html + esc(line.slice(last));
}

interface Block {
  from: number; // first line, 1-based
  to: number; // last line
  source?: string; // `file:line` of the statement
}

/** Lines of a file grouped into statement blocks and the text between them. */
function blocks(file: string, text: string, lineCount: number): Block[] {
  const { ast } = parseRecipe(text, { file });
  const out: Block[] = [];
  let next = 1;
  for (const s of ast.statements) {
    const from = s.span.line;
    const to = positionAt(text, s.span.offset + Math.max(0, s.span.length - 1)).line;
    if (from < next) continue;
    if (from > next) out.push({ from: next, to: from - 1 });
    out.push({ from, to, source: `${file}:${from}` });
    next = to + 1;
  }
  if (next <= lineCount) out.push({ from: next, to: lineCount });
  return out;
}

function lineHtml(lines: string[], from: number, to: number): string {
  let html = '';
  for (let n = from; n <= to; n++)
    html += `<span class="line"><span class="no">${n}</span>${highlight(lines[n - 1] ?? '')}</span>`;
  return html;
}

/** The recipe section: every source file, its statements linked to the layers they touched. */
export function recipeHtml(
  recipe: RecipeSources,
  layers: readonly LayerReport[],
  touched: Map<string, number[]>,
  ids: Map<string, string>,
): string {
  const files = [recipe.file, ...Object.keys(recipe.sources).filter((f) => f !== recipe.file)];
  let html = '';
  for (const file of files) {
    const text = recipe.sources[file];
    if (text === undefined) continue;
    const lines = text.replace(/\n$/, '').split('\n');
    let body = '';
    for (const b of blocks(file, text, lines.length)) {
      const code = lineHtml(lines, b.from, b.to);
      if (!b.source) {
        body += `<div class="gap">${code}</div>`;
        continue;
      }
      const hit = touched.get(b.source) ?? [];
      const id = statementId(b.source, ids);
      const names = hit.map((i) => layers[i]!.name);
      const badge = hit.length
        ? `<button class="touch" data-stmt="${id}" title="${esc(names.slice(0, 40).join(', '))}${names.length > 40 ? ' …' : ''}">${hit.length} layer${hit.length === 1 ? '' : 's'}</button>`
        : '';
      body += `<div class="stmt${hit.length ? ' acts' : ''}" id="${id}" data-source="${esc(b.source)}" data-layers="${hit.join(' ')}">${badge}${code}</div>`;
    }
    html += `<figure class="recipe"><figcaption>${esc(file)}</figcaption><pre>${body}</pre></figure>`;
  }
  return html;
}
