// The HTML report (`squish compile --report R.html`, `squish report R.json -o R.html`, the
// playground's download): one self-contained page — summary, targets, fidelity, per-layer charts, the
// search's frontier and sensitivity and the training loss when present, the recipe with each
// statement linked to the layers it touched, the layer table. Charts are drawn by Chart.js, whose
// source the caller passes in (the CLI reads it from the installed package, a page bundles it), so
// this module does no I/O and runs in a browser.

import { parseRecipe } from '../../dsl/parse.ts';
import { type ChartSpec, layerCharts, searchCharts, trainingCharts } from './html-charts.ts';
import { bytes, esc, inlineScript, int, num, scriptJson } from './html-format.ts';
import { SCRIPT, STYLE } from './html-page.ts';
import { actionSource, layersByStatement, recipeHtml, statementId } from './html-recipe.ts';
import {
  factsHtml,
  fidelityHtml,
  packHtml,
  summaryHtml,
  targetsHtml,
  timingsHtml,
  warningsHtml,
} from './html-sections.ts';
import type { Report } from './types.ts';

export interface HtmlReportOptions {
  /** The Chart.js UMD build's source (chart.js/dist/chart.umd.min.js), inlined into the page. */
  chartScript: string;
  /** Shown under the title, e.g. the model's file name. */
  subtitle?: string;
}

function chartHtml(c: ChartSpec): string {
  const note = c.note ? `<p class="note">${esc(c.note)}</p>` : '';
  return `<h3>${esc(c.title)}</h3>${note}<div class="chart" style="height:${c.height}px"><canvas id="${c.id}"></canvas></div>`;
}

function recipeName(r: Report): string | undefined {
  if (!r.recipe) return undefined;
  const text = r.recipe.sources[r.recipe.file];
  const { ast } = parseRecipe(text ?? '', { file: r.recipe.file });
  const s = ast.statements.find((x) => x.kind === 'recipe');
  return s && 'name' in s && typeof s.name === 'string' ? s.name : undefined;
}

function layerTable(r: Report, ids: Map<string, string>, touched: Map<string, number[]>): string {
  const chosen = r.layers.some((l) => 'chosen' in l);
  const stmtOf = new Map<number, string[]>();
  for (const [source, rows] of touched)
    for (const i of rows) stmtOf.set(i, [...(stmtOf.get(i) ?? []), source]);
  const rows = r.layers.map((l, i) => {
    const actions = l.actions
      .map((a) => {
        const { action, source } = actionSource(a);
        if (!source) return `<a>${esc(a)}</a>`;
        const short = source.replace(/^.*[\\/]/, '');
        return `<a href="#${statementId(source, ids)}" title="${esc(source)}">${esc(action)} <span class="c">${esc(short)}</span></a>`;
      })
      .join('');
    const c = (l as { chosen?: unknown }).chosen;
    const chosenCell = chosen
      ? `<td>${c === undefined ? '' : esc(typeof c === 'object' ? JSON.stringify(c) : String(c))}</td>`
      : '';
    const stmts = (stmtOf.get(i) ?? []).map((s) => statementId(s, ids)).join(' ');
    return `<tr id="layer-${i}" data-stmts="${stmts}"><td class="name">${esc(l.name)}${l.part_of ? ` <span class="c">(part of ${esc(l.part_of)})</span>` : ''}</td><td>${esc(l.op)}</td><td class="actions">${actions}</td>${chosenCell}<td class="num">${int(l.params_before)}</td><td class="num">${int(l.params_after)}</td><td class="num">${bytes(l.bytes_before)}</td><td class="num">${bytes(l.bytes_after)}</td><td class="num">${l.error ? num(l.error) : '0'}</td></tr>`;
  });
  const head = `<tr><th>layer</th><th>op</th><th>actions</th>${chosen ? '<th>chosen</th>' : ''}<th class="num">params before</th><th class="num">after</th><th class="num">bytes before</th><th class="num">after</th><th class="num">error</th></tr>`;
  return `<div id="layer-filter"><span></span><button type="button">show all layers</button></div><details${r.layers.length <= 60 ? ' open' : ''}><summary>${r.layers.length} layers with parameters</summary><table id="layers"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></details>`;
}

/** The report as one HTML page that works offline. */
export function reportHtml(report: Report, options: HtmlReportOptions): string {
  const r = report;
  const ids = new Map<string, string>();
  const touched = layersByStatement(r.layers);
  const name = recipeName(r);
  const search = (r as { search?: unknown }).search;
  const training = (r as { training?: unknown }).training;
  const layerCh = layerCharts(r);
  const searchCh = searchCharts(r);
  const trainingCh = trainingCharts(r);
  const charts = [...layerCh, ...searchCh, ...trainingCh];
  const recipe = r.recipe ? recipeHtml(r.recipe, r.layers, touched, ids) : '';
  const table = layerTable(r, ids, touched);
  const parts = [
    `<h1>squish report${name ? ` — ${esc(name)}` : ''}</h1>`,
    `<p class="sub">${esc(options.subtitle ?? (r.recipe ? `recipe ${r.recipe.file}` : ''))}</p>`,
    `<section id="summary">${summaryHtml(r)}</section>`,
    `<h2 id="targets">Targets</h2>${targetsHtml(r)}`,
    `<h2 id="fidelity">Fidelity</h2>${fidelityHtml(r)}`,
    r.warnings?.length ? `<h2 id="warnings">Warnings</h2>${warningsHtml(r)}` : '',
    layerCh.length ? `<h2 id="per-layer">Per layer</h2>${layerCh.map(chartHtml).join('')}` : '',
    search !== undefined
      ? `<h2 id="search">Search</h2>${factsHtml(search, 'search', [])}${searchCh.map(chartHtml).join('')}`
      : '',
    training !== undefined
      ? `<h2 id="training">Training</h2>${factsHtml(training, 'training', [])}${trainingCh.map(chartHtml).join('')}`
      : '',
    recipe
      ? `<h2 id="recipe">Recipe</h2><p class="note">Each statement names the layers it touched; click to list them below.</p>${recipe}`
      : '',
    `<h2 id="layer-table">Layers</h2>${table}`,
    packHtml(r),
    `<h2 id="timings">Timings</h2>${timingsHtml(r)}`,
  ];
  const title = `squish report${name ? ` — ${name}` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="squish">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${parts.filter(Boolean).join('\n')}
</main>
<script type="application/json" id="squish-report">${scriptJson(r)}</script>
<script type="application/json" id="squish-charts">${scriptJson(charts)}</script>
<script>${inlineScript(options.chartScript)}</script>
<script>${inlineScript(SCRIPT)}</script>
</body>
</html>
`;
}
