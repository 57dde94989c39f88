// The shape of the statement table: what a statement looks like (grammar), which options it takes
// (types, units, ranges, documentation), what the plan makes of it and what it checks.
import type { Option, TableStatement, Value } from '../ast.ts';
import type { Diagnostic } from '../diagnostics.ts';

/** How a range `a..b` is read: a search space for the compiler, or an interval the option means. */
export type RangeUse = 'search' | 'interval';

/** Bounds of a number; each optional (gt/ge below, lt/le above). */
export interface Bounds {
  gt?: number;
  ge?: number;
  lt?: number;
  le?: number;
}

/** How one value position is checked. */
export type ValueSpec =
  | ({ type: 'int'; oneOf?: number[]; range?: RangeUse } & Bounds) // 8, 32
  | ({ type: 'real'; percent?: boolean; range?: RangeUse } & Bounds) // 0.5, 1e-3 (percent: also 99.9%)
  | ({ type: 'percent'; range?: RangeUse; zeroOk?: boolean } & Bounds) // 25% (value in percent)
  | { type: 'count' } // 8, 64k
  | { type: 'duration' } // 90s, 10m, 1h (value in seconds)
  | { type: 'bits'; ladder: (number | string)[] } // 8, or a range over the ladder: 2..8, binary..8
  | { type: 'enum'; words: string[] }
  | { type: 'string'; what: string } // a quoted path or glob
  | { type: 'dims' } // 192x48
  | { type: 'scalars'; positive?: boolean } // 0.5 or [0.485, 0.456, 0.406]
  | { type: 'keyword'; word: string } // a fixed word such as `mean`
  | { type: 'block'; options: OptionSpec[] }; // a nested `{ … }` of options

export interface OptionSpec {
  name: string;
  /** Alternative value shapes; the first that fits the values is used. */
  forms: ValueSpec[][];
  /** What it means (one sentence; the reference, hover docs and help lines show it). */
  doc: string;
  example: string;
  /** Other options it cannot be combined with in the same block. */
  conflicts?: string[];
  /** May be given more than once (`match` hint losses). */
  repeatable?: boolean;
  /** Values (words) of this option that read the calibration data; true: the option itself does. */
  needsData?: true | string[];
}

/** What comes after the keyword (and variant word) of a statement. */
export interface Shape {
  /** `prune GRANULARITY …` */
  granularity?: true;
  /** `of SELECTORS` (required), `of?` (optional `of SELECTORS`), `bare` (SELECTORS without `of`). */
  selectors?: 'of' | 'of?' | 'bare';
  where?: true;
  block?: 'required' | 'optional';
  /** Statements with their own argument: `recipe "name"`, `include "path"`, `cleanup WORD`,
   *  `model { input … }`, `target METRIC CMP VALUE`. */
  argument?: 'string' | 'word' | 'inputs' | 'target';
  /** The words an `argument: 'word'` may be. */
  words?: string[];
}

/** What the plan makes of a statement that selects layers. */
export interface ActionSpec {
  /** Action kinds (the cascade is per layer and kind) with their place in the pipeline. */
  kinds: { kind: string; stage: number }[];
  /** The kind of one statement (default: the only one). */
  kindOf?: (s: TableStatement) => string;
  /** Layers taken when the statement has no selectors: with weights, or Conv/Gemm/MatMul with weights. */
  defaultLayers?: 'weights' | 'quantizable';
}

/** Recipe-wide facts a statement's check may need. */
export interface CheckContext {
  out: Diagnostic[];
  /** Whether the recipe has a statement with this keyword. */
  has: (keyword: string) => boolean;
  /** The first statement with this keyword (includes inlined). */
  first: (keyword: string) => TableStatement | undefined;
}

export interface StatementDef {
  keyword: string;
  /** A second word that picks the form: `quantize weights`, `quantize activations`. */
  variant?: string;
  /** keyword, or keyword-variant: names the statement in the table and in messages' lookups. */
  id: string;
  /** One line: what it does (hover docs, the reference, `unknown statement` help). */
  summary: string;
  shape: Shape;
  options?: OptionSpec[];
  /** At most once per recipe (includes count). */
  once?: true;
  action?: ActionSpec;
  /** The whole statement reads calibration data (`quantize activations`). */
  needsData?: true;
  /** Statement-specific checks beyond the options' own. */
  check?: (s: TableStatement, ctx: CheckContext) => void;
  /** Short name in plans and messages (default: keyword and variant), e.g. `prune channels`. */
  title?: (s: TableStatement) => string;
  /** Examples for the reference (each parses and checks clean). */
  examples: string[];
  /** More prose for the reference, after the options table. */
  notes?: string;
}

/** `int`, `real`, … builders keep the table short. */
export const int = (b: Bounds = {}, extra: { oneOf?: number[]; range?: RangeUse } = {}): ValueSpec => ({
  type: 'int',
  ...b,
  ...extra,
});
export const real = (b: Bounds = {}, extra: { percent?: boolean; range?: RangeUse } = {}): ValueSpec => ({
  type: 'real',
  ...b,
  ...extra,
});
export const percent = (b: Bounds = {}, extra: { range?: RangeUse; zeroOk?: boolean } = {}): ValueSpec => ({
  type: 'percent',
  ...b,
  ...extra,
});
export const en = (...words: string[]): ValueSpec => ({ type: 'enum', words });
export const str = (what: string): ValueSpec => ({ type: 'string', what });

/** An option with one value shape. */
export function opt(
  name: string,
  value: ValueSpec | ValueSpec[],
  doc: string,
  example: string,
  more: Partial<OptionSpec> = {},
): OptionSpec {
  return { name, forms: [Array.isArray(value) ? value : [value]], doc, example, ...more };
}

/** An option that is a bare word (`per-channel`), excluding others. */
export function flag(name: string, doc: string, conflicts: string[] = []): OptionSpec {
  return { name, forms: [[]], doc, example: name, ...(conflicts.length ? { conflicts } : {}) };
}

/** The options a block holds by name. */
export function optionNames(specs: readonly OptionSpec[] | undefined): Set<string> {
  return new Set((specs ?? []).map((s) => s.name));
}

/** The first option of a list with this name. */
export function findOption(options: readonly Option[] | undefined, name: string): Option | undefined {
  return options?.find((o) => o.name === name);
}

/** The word a value holds (a word or a string), else undefined. */
export function wordOf(v: Value | undefined): string | undefined {
  return v?.kind === 'word' || v?.kind === 'string' ? v.value : undefined;
}
