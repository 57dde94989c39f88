// Reading a checked statement's options: the checks (dsl/check.ts, the statement table) and the
// pending list have already rejected wrong values, so readers only convert.

import type { Option, Value } from '../../dsl/ast.ts';
import type { Span } from '../../dsl/span.ts';
import { findOption, wordOf } from '../../dsl/table/index.ts';
import { valueText } from '../../dsl/values.ts';

/** `file:line` of a span, as plan output shows a statement's origin. */
export function at(span: Span): string {
  return `${span.file}:${span.line}`;
}

/** `file:line:col` of a span, as error messages locate a problem. */
export function atCol(span: Span): string {
  return `${span.file}:${span.line}:${span.column}`;
}

interface WithOptions {
  options?: Option[];
}

/** The number of an option's first value (a percentage stays in percent), or undefined when absent. */
export function numberOption(s: WithOptions, name: string): number | undefined {
  return numberOf(findOption(s.options, name)?.values[0]);
}

/** The word (or string) of an option's first value, or undefined when absent. */
export function wordOption(s: WithOptions, name: string): string | undefined {
  return wordOf(findOption(s.options, name)?.values[0]);
}

export function hasOption(s: WithOptions, name: string): boolean {
  return findOption(s.options, name) !== undefined;
}

/** A plain number value; anything else (a range the pending list lets through would be a bug) throws. */
export function numberOf(v: Value | undefined): number | undefined {
  if (!v) return undefined;
  if (v.kind === 'number') return v.value;
  throw new Error(`expected a number, got ${valueText(v)} (the recipe checks should have stopped it)`);
}

/** Numbers of a value that may be a scalar or a [list]. */
export function numbersOf(v: Value | undefined): number[] | undefined {
  if (!v) return undefined;
  if (v.kind === 'list') return v.items.map((i) => numberOf(i)!);
  const n = numberOf(v);
  return n === undefined ? undefined : [n];
}

/** Options as a plain record for plan output: name → source text of its values. */
export function optionsText(options: Option[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of options ?? []) out[o.name] = o.values.map(valueText).join(' ');
  return out;
}
