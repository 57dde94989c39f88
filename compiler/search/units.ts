// Units of a search: the layers that take one value together. A layer with a ranged option is a
// unit of its own, except that layers ranked together share one: every layer of a `scope global`
// statement (one ranking across them), and the coupled layers of one channel group (they lose the
// same channels). A unit's options are the product of its knobs' candidates.

import { wordOf } from '../../dsl/table/index.ts';
import type { LayerPlan } from '../plan/plan.ts';
import type { Candidate, Knob } from './space.ts';

export interface SearchUnit {
  /** Its layer's name, or its layers joined with ' + '. */
  id: string;
  layers: string[];
  knobs: Knob[];
  /** Every combination of the knobs' candidates, as candidate indices per knob (0: least lossy). */
  options: number[][];
}

/** Union-find over layer names. */
class Joined {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  join(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

function product(sizes: number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of sizes) out = out.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i]));
  return out;
}

/**
 * Units of the plan's ranged layers. `coupled`: groups of layers that must move together for a knob
 * (channel groups of a `prune channels` range), from the model.
 */
export function searchUnits(layers: LayerPlan[], knobs: Knob[], coupled: string[][] = []): SearchUnit[] {
  const knobsOf = new Map<string, Knob[]>();
  for (const l of layers)
    for (const a of l.actions) {
      const mine = knobs.filter((k) => k.statement === a.statement);
      if (mine.length) knobsOf.set(l.name, [...(knobsOf.get(l.name) ?? []), ...mine]);
    }
  const joined = new Joined();
  for (const k of knobs) {
    if (wordOf(k.statement.options?.find((o) => o.name === 'scope')?.values[0]) !== 'global') continue;
    const mine = [...knobsOf].filter(([, ks]) => ks.includes(k)).map(([l]) => l);
    for (const l of mine.slice(1)) joined.join(mine[0]!, l);
  }
  for (const group of coupled) {
    const mine = group.filter((l) => knobsOf.has(l));
    for (const l of mine.slice(1)) joined.join(mine[0]!, l);
  }
  const byRoot = new Map<string, string[]>();
  for (const l of layers) {
    if (!knobsOf.has(l.name)) continue;
    const r = joined.find(l.name);
    byRoot.set(r, [...(byRoot.get(r) ?? []), l.name]);
  }
  return [...byRoot.values()].map((names) => {
    const ks = [...new Set(names.flatMap((n) => knobsOf.get(n)!))];
    return {
      id: names.join(' + '),
      layers: names,
      knobs: ks,
      options: product(ks.map((k) => k.candidates.length)),
    };
  });
}

/** The candidate each knob of `unit` takes in option `o`. */
export function optionValues(unit: SearchUnit, o: readonly number[]): Map<Knob, Candidate> {
  return new Map(unit.knobs.map((k, i) => [k, k.candidates[o[i]!]!]));
}
