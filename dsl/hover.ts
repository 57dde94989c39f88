// Hover docs for editors (the language server shows them): what the word under the cursor is — a
// statement keyword, an option, or a target metric — from the statement table.
import type { Option, Statement } from './ast.ts';
import { parseRecipe } from './parse.ts';
import type { Span } from './span.ts';
import { defOf, isTableStatement, type OptionSpec, optionSpecs, type StatementDef } from './table/index.ts';
import { TARGET_METRICS } from './table/settings.ts';
import { describeSpec } from './values-check.ts';

export interface Hover {
  /** Markdown: the signature line, then the documentation. */
  markdown: string;
  span: Span;
}

const inside = (span: Span, offset: number) => offset >= span.offset && offset < span.offset + span.length;

/** The docs for the word at `offset` in a recipe text, or undefined. */
export function hoverAt(text: string, offset: number, file = '<recipe>'): Hover | undefined {
  const { ast } = parseRecipe(text, { file });
  const s = ast.statements.find((x) => inside(x.span, offset));
  if (!s) return undefined;
  if (inside(s.keywordSpan, offset)) return { markdown: statementDoc(defOf(s)), span: s.keywordSpan };
  if (s.kind === 'target' && inside(s.metricSpan, offset)) {
    const m = TARGET_METRICS.find((x) => x.name === s.metric);
    return m ? { markdown: `**target ${m.name}** — ${m.doc}`, span: s.metricSpan } : undefined;
  }
  return isTableStatement(s) ? optionHover(s, s.options ?? [], optionSpecs(s), offset) : undefined;
}

function optionHover(
  s: Statement,
  options: Option[],
  specs: OptionSpec[],
  offset: number,
): Hover | undefined {
  for (const o of options) {
    const spec = specs.find((x) => x.name === o.name);
    if (!spec) continue;
    if (inside(o.nameSpan, offset)) return { markdown: optionDoc(spec), span: o.nameSpan };
    for (const v of o.values) {
      const inner = spec.forms.flat().find((x) => x.type === 'block');
      if (v.kind === 'block' && inner?.type === 'block' && inside(v.span, offset))
        return optionHover(s, v.options, inner.options, offset);
    }
  }
  return undefined;
}

/** `prune GRANULARITY of SELECTORS [where PRED] [{ … }]` and the summary. */
export function statementSyntax(d: StatementDef): string {
  const sh = d.shape;
  const parts = [d.keyword, ...(d.variant ? [d.variant] : [])];
  if (sh.argument === 'string') parts.push(d.keyword === 'recipe' ? '"name"' : '"path.squish"');
  if (sh.argument === 'word') parts.push((sh.words ?? []).join('|'));
  if (sh.argument === 'inputs') parts.push('{ input NAME: DTYPE[dims] … }');
  if (sh.argument === 'target') parts.push('METRIC CMP VALUE');
  if (sh.granularity) parts.push('GRANULARITY');
  if (sh.selectors === 'of') parts.push('of SELECTORS');
  if (sh.selectors === 'of?') parts.push('[of SELECTORS]');
  if (sh.selectors === 'bare') parts.push('SELECTORS');
  if (sh.where) parts.push('[where PRED]');
  if (sh.block === 'required') parts.push('{ … }');
  if (sh.block === 'optional') parts.push('[{ … }]');
  return parts.join(' ');
}

function statementDoc(d: StatementDef): string {
  const options = d.options?.length ? `\n\nOptions: ${d.options.map((o) => `\`${o.name}\``).join(', ')}` : '';
  return `\`${statementSyntax(d)}\`\n\n${d.summary}${options}`;
}

function optionDoc(spec: OptionSpec): string {
  return `\`${spec.name}\` ${describeSpec(spec)}\n\n${spec.doc}\n\ne.g. \`${spec.example}\``;
}
