// The statements section of dsl/README.md, generated from the statement table (`npm run docs:dsl`
// writes it; a spec keeps the README equal to it).
import { statementSyntax } from './hover.ts';
import { type OptionSpec, STATEMENTS, type StatementDef } from './table/index.ts';
import { TARGET_METRICS } from './table/settings.ts';
import { describeSpec } from './values-check.ts';

export const REFERENCE_BEGIN =
  '<!-- statements: generated from dsl/table by `npm run docs:dsl`; edit the table, not this -->';
export const REFERENCE_END = '<!-- /statements -->';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function optionRows(specs: OptionSpec[], prefix = ''): string[] {
  return specs.flatMap((o) => {
    const inner = o.forms.flat().find((v) => v.type === 'block');
    const row = `| \`${prefix}${o.name}\` | ${cell(describeSpec(o))} | ${cell(o.doc)} | \`${cell(o.example)}\` |`;
    return [row, ...(inner?.type === 'block' ? optionRows(inner.options, `${prefix}${o.name} › `) : [])];
  });
}

function section(d: StatementDef): string {
  const out = [
    `### \`${statementSyntax(d)}\``,
    '',
    `${d.summary[0]!.toUpperCase()}${d.summary.slice(1)}.`,
    '',
  ];
  for (const e of d.examples) out.push('```squish', e, '```', '');
  if (d.options?.length) {
    out.push(
      '| option | values | meaning | example |',
      '| --- | --- | --- | --- |',
      ...optionRows(d.options),
      '',
    );
  }
  if (d.id === 'target') {
    out.push('| metric | bound | value |', '| --- | --- | --- |');
    for (const m of TARGET_METRICS)
      out.push(`| \`${m.name}\` | ${m.bound === 'upper' ? '`<=` `<`' : '`>=` `>`'} | ${cell(m.doc)} |`);
    out.push('');
  }
  if (d.notes) out.push(d.notes, '');
  return out.join('\n');
}

/** The generated statements reference, markers included. */
export function statementsReference(): string {
  return [REFERENCE_BEGIN, '', ...STATEMENTS.map(section), REFERENCE_END].join('\n');
}
