// The search space of a plan: every option written as a range on an option whose ranges are search
// spaces (`sparsity 30%..90%`, `bits 2..8`, `rank 4..16`, `clusters 4..64` …) is a knob; each knob
// offers a few candidate values, least lossy first; a layer's options are the product of its knobs'
// candidates. A chosen value is handed to the passes as the statement with the range replaced by that
// value, so every pass reads its options as it always does.

import type { Option, TableStatement, Value } from '../../dsl/ast.ts';
import { ACTION_KINDS, findOption, optionSpecs } from '../../dsl/table/index.ts';
import type { ValueSpec } from '../../dsl/table/types.ts';
import type { LayerPlan, PlannedAction } from '../plan/plan.ts';

/** One candidate of a knob: `bits 4`, `sparsity 45%`, `bits ternary`. */
export interface Candidate {
  /** As written in a recipe (`45%`, `4`, `ternary`). */
  text: string;
  /** The number (percent in percent), or undefined for a word on the bits ladder. */
  value?: number;
  word?: string;
}

export interface Knob {
  /** `file:line option`, unique per statement and option. */
  id: string;
  statement: TableStatement;
  /** Where the statement is (`file:line`). */
  from: string;
  option: string;
  kind: string;
  /** Pipeline stage of the action kind (earlier stages change what later ones see). */
  stage: number;
  /** Candidates, least lossy first. */
  candidates: Candidate[];
}

/** Options whose smaller values lose less (the others lose less when larger). */
const SMALLER_IS_SAFER = new Set(['sparsity', 'group']);

/** A range value on an option whose ranges are search spaces, with the value spec that reads it. */
export function searchRange(o: Option, specs = new Map<string, ValueSpec[]>()): Value | undefined {
  const forms = specs.get(o.name);
  if (!forms?.some((v) => v.type === 'bits' || ('range' in v && v.range === 'search'))) return undefined;
  return o.values.find((v) => v.kind === 'range');
}

function specsOf(s: TableStatement): Map<string, ValueSpec[]> {
  return new Map(optionSpecs(s).map((o) => [o.name, o.forms.flat()]));
}

/** Whether a statement writes a range the compiler searches. */
export function hasSearchRange(s: TableStatement): boolean {
  const specs = specsOf(s);
  return (s.options ?? []).some((o) => searchRange(o, specs) !== undefined);
}

const num = (v: Value): number | undefined => (v.kind === 'number' ? v.value : undefined);
const word = (v: Value): string | undefined => (v.kind === 'word' ? v.value : undefined);

/** `n` of `all` spread evenly, both ends kept, in order. */
function spread<T>(all: T[], n: number): T[] {
  if (all.length <= n) return all;
  if (n <= 1) return [all[all.length - 1]!];
  return Array.from({ length: n }, (_, i) => all[Math.round((i * (all.length - 1)) / (n - 1))]!);
}

function fmt(x: number): string {
  return String(Number(x.toFixed(2)));
}

/** Candidates of one range, in increasing order of the option's value. */
function rangeValues(
  s: TableStatement,
  o: Option,
  r: Extract<Value, { kind: 'range' }>,
  spec: ValueSpec[],
  n: number,
): Candidate[] {
  const bits = spec.find((v) => v.type === 'bits');
  if (bits && bits.type === 'bits') {
    const ladder = bits.ladder.map(String);
    const lo = ladder.indexOf(word(r.lo) ?? String(num(r.lo)));
    const hi = ladder.indexOf(word(r.hi) ?? String(num(r.hi)));
    let steps = ladder.slice(Math.min(lo, hi), Math.max(lo, hi) + 1);
    // GPTQ codes are uniform: binary and ternary are not candidates under method gptq
    if (
      findOption(s.options, 'method')?.values[0]?.kind === 'word' &&
      word(findOption(s.options, 'method')!.values[0]!) === 'gptq'
    )
      steps = steps.filter((x) => /^\d+$/.test(x));
    return spread(steps, n).map((x) =>
      /^\d+$/.test(x) ? { text: x, value: Number(x) } : { text: x, word: x },
    );
  }
  const a = num(r.lo)!;
  const b = num(r.hi)!;
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  const unit = r.lo.kind === 'number' ? r.lo.unit : '';
  const pct = unit === '%';
  const oneOf =
    spec.find((v) => v.type === 'int' && v.oneOf)?.type === 'int'
      ? (spec.find((v) => v.type === 'int' && v.oneOf) as { oneOf: number[] }).oneOf
      : undefined;
  if (oneOf) {
    const inside = oneOf.filter((x) => x >= lo && x <= hi).sort((x, y) => x - y);
    return spread(inside, n).map((x) => ({ text: String(x), value: x }));
  }
  let values: number[];
  if (pct || hi === lo)
    values = Array.from({ length: Math.max(1, n) }, (_, i) => (n <= 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
  else if (lo > 0 && hi / lo >= 4)
    // counts over a wide span (clusters 4..64, group 16..256) are spread geometrically
    values = Array.from({ length: Math.max(1, n) }, (_, i) =>
      Math.round(n <= 1 ? hi : lo * (hi / lo) ** (i / (n - 1))),
    );
  else
    values = Array.from({ length: Math.max(1, n) }, (_, i) =>
      Math.round(n <= 1 ? hi : lo + ((hi - lo) * i) / (n - 1)),
    );
  const unique = [...new Set(values.map((v) => (pct ? Number(v.toFixed(2)) : v)))].sort((x, y) => x - y);
  void o;
  return unique.map((v) => ({ text: pct ? `${fmt(v)}%` : String(v), value: v }));
}

/** The knobs of a plan (one per statement and ranged option), candidates least lossy first. */
export function knobsOf(layers: LayerPlan[], candidates: number): Knob[] {
  const seen = new Map<string, Knob>();
  for (const l of layers)
    for (const a of l.actions) {
      const specs = specsOf(a.statement);
      for (const o of a.statement.options ?? []) {
        const r = searchRange(o, specs);
        if (r?.kind !== 'range') continue;
        const id = `${a.from} ${o.name}`;
        if (seen.has(id)) continue;
        const values = rangeValues(a.statement, o, r, specs.get(o.name)!, candidates);
        seen.set(id, {
          id,
          statement: a.statement,
          from: a.from,
          option: o.name,
          kind: a.kind,
          stage: ACTION_KINDS.find((k) => k.kind === a.kind)?.stage ?? 0,
          candidates: SMALLER_IS_SAFER.has(o.name) ? values : values.reverse(),
        });
      }
    }
  return [...seen.values()].sort((x, y) => x.stage - y.stage || x.id.localeCompare(y.id));
}

/** A single-value option in place of a range (the ladder's binary/ternary become their flag). */
function chosenOption(o: Option, c: Candidate): Option {
  const span = o.values[0]!.span;
  if (c.word) return { name: c.word, nameSpan: o.nameSpan, values: [], span: o.span };
  const r = o.values[0] as Extract<Value, { kind: 'range' }>;
  const unit = r.lo.kind === 'number' ? r.lo.unit : r.hi.kind === 'number' ? r.hi.unit : '';
  return {
    ...o,
    values: [{ kind: 'number', text: c.text, value: c.value!, unit: unit === '%' ? '%' : '', span }],
  };
}

/**
 * Statements with ranges replaced by chosen values; the same statement and values give the same
 * object (passes group layers by statement, as channel pruning does).
 */
export class Specializer {
  private made = new Map<TableStatement, Map<string, TableStatement>>();

  statement(s: TableStatement, values: ReadonlyMap<string, Candidate>): TableStatement {
    const mine = [...values].filter(([option]) => findOption(s.options, option));
    if (!mine.length) return s;
    const key = mine.map(([k, c]) => `${k}=${c.text}`).join(' ');
    let byKey = this.made.get(s);
    if (!byKey) this.made.set(s, (byKey = new Map()));
    let out = byKey.get(key);
    if (!out) {
      const chosen = new Map(mine);
      out = {
        ...s,
        options: (s.options ?? []).map((o) =>
          chosen.has(o.name) ? chosenOption(o, chosen.get(o.name)!) : o,
        ),
      } as TableStatement;
      byKey.set(key, out);
    }
    return out;
  }

  /** The action with its statement's ranges replaced (`values`: option → candidate). */
  action(
    a: PlannedAction,
    values: ReadonlyMap<string, Candidate>,
    optionsText: (o: Option[] | undefined) => Record<string, string>,
  ): PlannedAction {
    const statement = this.statement(a.statement, values);
    return statement === a.statement ? a : { ...a, statement, options: optionsText(statement.options) };
  }
}
