// Choosing how each part is coded (docs/sqz.md "Choosing"): per part the cheapest of raw, a static
// prefix code (canonical Huffman, its table counted) and the adaptive model its group shares — each
// priced exactly, the adaptive one by running a copy of the group's model in its current state. For
// integer groups the model's context (magnitude classes and their scale) is chosen the same way:
// every candidate prices the group (past 2^18 symbols, the same share of each part) and the
// cheapest wins; so does coding the whole group adaptively when that beats the part-by-part choice.

import { CODING } from '../../runtime/sqz/format.ts';
import { FloatModel, IntModel, type IntModelSpec } from '../../runtime/sqz/models.ts';
import type { ModelSpec } from '../../runtime/sqz/table.ts';
import { huffmanLengths } from '../codec/huffman.ts';
import { CostMeter } from '../codec/range.ts';
import type { Part } from './parts.ts';

/** Bits of codeGamma(v). */
function gammaBits(v: number): number {
  return 2 * (31 - Math.clz32(v + 1)) + 1;
}

/** Symbol frequencies of an integer part. */
export function frequencies(p: Part): Float64Array {
  const f = new Float64Array(p.alphabet);
  for (let i = 0; i < p.data.length; i++) f[p.data[i]!]!++;
  return f;
}

/** Exact bits of the static coding: code-length table (gamma gaps + 5-bit lengths) and the codes. */
function staticBits(p: Part): number {
  const freqs = frequencies(p);
  const lengths = huffmanLengths(freqs);
  let bits = 0;
  let used = 0;
  let prev = -1;
  for (let s = 0; s < lengths.length; s++) {
    if (!lengths[s]) continue;
    bits += freqs[s]! * lengths[s]! + gammaBits(s - prev - 1) + 5;
    prev = s;
    used++;
  }
  return bits + gammaBits(used);
}

type Coder = IntModel | FloatModel;

function adaptiveBits(model: Coder, p: Part): number {
  const meter = new CostMeter();
  if (model instanceof IntModel) for (let i = 0; i < p.data.length; i++) model.code(meter, p.data[i]!);
  else for (let i = 0; i < p.data.length; i++) model.code(meter, p.data[i]!, p.mantissa);
  return meter.bits;
}

interface Decision {
  coding: number;
  cost: number;
}

/** Codings a part may take: all, or the one forced (floats have no static coding: raw instead). */
function allowed(p: Part, force: Forced | undefined): number[] {
  if (!force) return p.float ? [CODING.raw, CODING.adaptive] : [CODING.raw, CODING.static, CODING.adaptive];
  return [p.float && force === 'static' ? CODING.raw : CODING[force]];
}

export type Forced = keyof typeof CODING;

/** Decide every part of a group with a model of `spec`; returns the decisions and their total. */
function decideGroup(
  parts: Part[],
  spec: ModelSpec,
  force?: Forced,
): { decisions: Decision[]; total: number } {
  let model: Coder = spec.kind === 'int' ? new IntModel(spec) : new FloatModel();
  const decisions: Decision[] = [];
  let total = 0;
  for (const p of parts) {
    const ok = allowed(p, force);
    let best: Decision = { coding: -1, cost: Number.POSITIVE_INFINITY };
    if (ok.includes(CODING.raw)) best = { coding: CODING.raw, cost: p.data.length * p.bits };
    if (ok.includes(CODING.static)) {
      const cost = p.data.length ? staticBits(p) : 0;
      if (cost < best.cost) best = { coding: CODING.static, cost };
    }
    if (ok.includes(CODING.adaptive)) {
      const trial = model.clone();
      const cost = adaptiveBits(trial, p);
      if (cost < best.cost) {
        best = { coding: CODING.adaptive, cost };
        model = trial;
      }
    }
    decisions.push(best);
    total += best.cost;
  }
  return { decisions, total };
}

/** Context candidates for integer symbols of this width (the first has no context). */
function intCandidates(bits: number): IntModelSpec[] {
  const out: IntModelSpec[] = [{ bits, classes: 1, shift: 0 }];
  for (const classes of [3, 5])
    for (const s of new Set([bits - 4, bits - 3, bits - 2].map((v) => Math.max(0, v))))
      out.push({ bits, classes, shift: s });
  return out;
}

/** Symbols a group's context candidates are priced on (a share of every part); the winner then codes all. */
const SAMPLE = 1 << 18;

/** The group itself when small, else the same share of each of its parts (their starts). */
function sample(list: Part[]): Part[] {
  const total = list.reduce((a, p) => a + p.data.length, 0);
  if (total <= SAMPLE) return list;
  return list.map((p) => ({ ...p, data: p.data.subarray(0, Math.ceil((p.data.length * SAMPLE) / total)) }));
}

/**
 * Set `coding`, `model` and `cost` of every part (`force`: one coding for all, to compare codings);
 * returns the model table (only models some part uses adaptively, in order of first use).
 */
export function chooseCodings(parts: Part[], force?: Forced): ModelSpec[] {
  const groups = new Map<string, Part[]>();
  for (const p of parts) (groups.get(p.group) ?? groups.set(p.group, []).get(p.group)!).push(p);
  const chosen = new Map<string, ModelSpec>();
  for (const [key, list] of groups) {
    const specs: ModelSpec[] = list[0]!.float
      ? [{ kind: 'float' }]
      : intCandidates(list[0]!.bits).map((s) => ({ kind: 'int', ...s }));
    const priced = sample(list);
    let best: { spec: ModelSpec; decisions: Decision[]; total: number } | undefined;
    for (const spec of specs) {
      const r = decideGroup(priced, spec, force);
      if (!best || r.total < best.total) best = { spec, ...r };
    }
    if (priced !== list) best = { spec: best!.spec, ...decideGroup(list, best!.spec, force) };
    // choosing part by part is myopic: a part left raw is one the model does not learn from, so
    // coding the whole group adaptively can be cheaper in total
    if (!force) {
      const all = decideGroup(list, best!.spec, 'adaptive');
      if (all.total < best!.total) best = { spec: best!.spec, ...all };
    }
    list.forEach((p, i) => {
      p.coding = best!.decisions[i]!.coding;
      p.cost = best!.decisions[i]!.cost;
    });
    chosen.set(key, best!.spec);
  }
  const table: ModelSpec[] = [];
  const index = new Map<string, number>();
  for (const p of parts) {
    if (p.coding !== CODING.adaptive) continue;
    if (!index.has(p.group)) {
      index.set(p.group, table.length);
      table.push(chosen.get(p.group)!);
    }
    p.model = index.get(p.group)!;
  }
  return table;
}
