// Reading recipe AST options and values: `file:line` of a statement, option lookup, numbers.

import type { Option, Statement, Value } from '../../dsl/ast.ts';
import type { Span } from '../../dsl/span.ts';
import { valueText } from '../../dsl/values.ts';
import { UserError } from '../../runtime/errors.ts';

/** `file:line` of a span, as plan and error messages show a statement's origin. */
export function at(span: Span): string {
  return `${span.file}:${span.line}`;
}

/** The statement as the user wrote it, in short (its first keyword and the line it is on). */
export function describe(s: Statement): string {
  switch (s.kind) {
    case 'prune':
      return `prune ${s.granularity.kind === 'nm' || s.granularity.kind === 'blocks' ? s.granularity.text : s.granularity.word}`;
    case 'quantize':
      return `quantize ${s.what}`;
    default:
      return s.kind;
  }
}

export function option(options: Option[] | undefined, name: string): Option | undefined {
  return options?.find((o) => o.name === name);
}

export function isRange(v: Value | undefined): boolean {
  return v?.kind === 'range';
}

/** A plain number of an option's first value (percent stays in percent), or undefined. */
export function num(v: Value | undefined, what: string): number | undefined {
  if (!v) return undefined;
  if (v.kind === 'number') return v.value;
  if (v.kind === 'range') {
    throw new UserError(
      `${at(v.span)}: ${what} ${valueText(v)}: searching ranges is not implemented yet`,
      'give a single value for now',
    );
  }
  throw new UserError(`${at(v.span)}: ${what} needs a number, got ${valueText(v)}`);
}

/** Numbers of a value that may be a scalar or a [list]. */
export function nums(v: Value | undefined, what: string): number[] | undefined {
  if (!v) return undefined;
  if (v.kind === 'list') return v.items.map((i) => num(i, what) as number);
  const n = num(v, what);
  return n === undefined ? undefined : [n];
}

export function word(v: Value | undefined): string | undefined {
  if (!v) return undefined;
  if (v.kind === 'word' || v.kind === 'string') return v.value;
  return undefined;
}

/** Options as a plain record for plan output: name → source text of its values. */
export function optionsText(options: Option[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of options ?? []) out[o.name] = o.values.map(valueText).join(' ');
  return out;
}
