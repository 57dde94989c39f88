// Deep Compression's schedule for training statements that cover weight-pruned, clustered layers:
// prune → retrain → cluster → retrain (Han et al. 2016). Training only the centroids after a one-shot
// prune cannot repair the pruning (every surviving weight is tied to a centroid fitted to weights
// that had not yet adapted), so such a statement trains in two phases: the first half of its steps
// before clustering, each surviving weight on its own (pruned zeros masked), the rest after, the
// shared centroids. Pure plan logic: lowering, `squish plan` and the training pass read it alike.

import type { Plan } from './plan.ts';

/** Whether a training statement over `layers` trains before clustering too. */
export function trainsBeforeClustering(plan: Plan, layers: readonly string[]): boolean {
  const byName = new Map(plan.layers.map((l) => [l.name, l]));
  return layers.some((name) => {
    const kinds = new Set(byName.get(name)?.actions.map((a) => a.kind));
    return kinds.has('prune-sparse') && kinds.has('cluster');
  });
}

/** The statement's first phase, before clustering: this many steps (0: it trains once, at the end). */
export function stepsBeforeClustering(plan: Plan, layers: readonly string[], steps: number): number {
  return trainsBeforeClustering(plan, layers) ? Math.floor(steps / 2) : 0;
}

/** `file:line` of each training statement that trains in two phases, with its layers. */
export function twoPhaseStatements(plan: Plan): { from: string; action: string; layers: string[] }[] {
  const out = new Map<string, { from: string; action: string; layers: string[] }>();
  // `steps 1` does not split (stepsBeforeClustering gives the first phase floor(steps/2))
  for (const l of plan.layers)
    for (const a of l.actions)
      if ((a.kind === 'distill' || a.kind === 'finetune') && Number(a.options.steps ?? 2) >= 2) {
        const s = out.get(a.from) ?? { from: a.from, action: a.kind, layers: [] };
        s.layers.push(l.name);
        out.set(a.from, s);
      }
  return [...out.values()].filter((s) => trainsBeforeClustering(plan, s.layers));
}
