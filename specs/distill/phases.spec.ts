// Deep Compression's schedule (compiler/plan/phases.ts): a training statement over a layer that is
// both weight-pruned and clustered trains in two phases, half its steps before clustering (each
// surviving weight, pruned zeros masked) and the rest after (the shared centroids). Checked on cls
// against the same recipe without training: the pruned positions are still zero, the layer still
// holds at most `clusters` values besides zero, its codebook was fitted to retrained weights, and the
// report has both runs. A statement whose layers are not both pruned and clustered trains once.
// Tiny settings: 8 transfer lines, 4 steps of batch 2.

import { describe, expect, it } from 'vitest';
import { lowerStaged } from '../../compiler/plan/lower.ts';
import { planModel } from '../../compiler/plan/model-plan.ts';
import { loadRecipe } from '../../compiler/plan/recipe.ts';
import { planJson, planText } from '../../compiler/plan/render.ts';
import { clsBytes, clsHeader, compileCls, floats, RECIPE_FILE, readModel, weightValue } from './support.ts';

const LOSSY = `
prune weights of "p2o.Conv.45" { sparsity 50% }
cluster weights of "p2o.Conv.45" { clusters 8 }
`;
const DISTILL =
  'distill of conv where params > 1k { teacher original  loss kl  steps 4  batch 2  lr 5e-2  seed 3 }';

/** The layer's weight as stored (codebook[index] for a clustered layer). */
function weights(bytes: Uint8Array, layer: string): Float32Array {
  const g = readModel(bytes).graph;
  const gather = g.producer(weightValue(g, layer))!;
  expect(gather.opType).toBe('Gather');
  const book = floats(g.constant(gather.inputs[0]!));
  const idx = g.constant(g.producer(gather.inputs[1]!)?.inputs[0] ?? gather.inputs[1]!)!;
  return Float32Array.from(idx.data as ArrayLike<number>, (k) => book[Number(k)]!);
}

describe('training over pruned + clustered layers runs in two phases', () => {
  it('plans a training pass before clustering only where a trained layer is pruned and clustered', () => {
    const names = (recipe: string) => {
      const r = loadRecipe(clsHeader(8) + recipe, RECIPE_FILE);
      const plan = planModel(readModel(clsBytes()), r);
      return lowerStaged(plan)
        .map((p) => p.pass.name)
        .filter((n) => /distill|cluster/.test(n));
    };
    expect(names(LOSSY + DISTILL)).toEqual([
      'distill:prepare',
      'distill:before-clustering',
      'cluster',
      'distill',
    ]);
    // clustered but not pruned, pruned but not clustered: one run at the end
    expect(names(`cluster weights of "p2o.Conv.45" { clusters 8 }\n${DISTILL}`)).toEqual([
      'distill:prepare',
      'cluster',
      'distill',
    ]);
    expect(names(`prune weights of "p2o.Conv.45" { sparsity 50% }\n${DISTILL}`)).toEqual([
      'distill:prepare',
      'distill',
    ]);
    // one step does not split: no early pass, and the plan does not say two phases
    expect(names(LOSSY + DISTILL.replace('steps 4', 'steps 1'))).toEqual([
      'distill:prepare',
      'cluster',
      'distill',
    ]);
    // squish plan says so
    const plan = planModel(readModel(clsBytes()), loadRecipe(clsHeader(8) + LOSSY + DISTILL, RECIPE_FILE));
    expect(planText(plan)).toMatch(
      /distill \(\S*inline\.squish:\d+\) trains in two phases: half its steps before clustering/,
    );
    expect(planJson(plan).two_phase_training?.map((t) => t.action)).toEqual(['distill']);
  });

  it('retrains the pruned weights, clusters them, trains the centroids; zeros and sharing hold', {
    timeout: 600_000,
  }, async () => {
    const plain = await compileCls(clsHeader(8) + LOSSY);
    const trained = await compileCls(`${clsHeader(8) + LOSSY}\n${DISTILL}\n`);
    const a = weights(plain.model, 'p2o.Conv.45');
    const b = weights(trained.model, 'p2o.Conv.45');
    const zeros = a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    expect(zeros).toBeGreaterThanOrEqual(Math.floor(0.5 * a.length));
    a.forEach((v, i) => {
      if (v === 0) expect(b[i]).toBe(0);
    });
    expect(b.filter((v) => v === 0).length).toBe(zeros);
    expect(new Set(b).size).toBeLessThanOrEqual(8 + 1);
    // phase 1 moved the surviving weights, so the codebook clustering found differs from the plain one
    expect([...new Set(b)].sort()).not.toEqual([...new Set(a)].sort());

    const s = trained.report.training!;
    expect(s.runs?.map((r) => [r.phase, r.steps, r.steps_planned])).toEqual([
      ['before clustering', 2, 2],
      ['after clustering', 2, 2],
    ]);
    expect(s.phase).toBe('after clustering');
    const [before, after] = s.runs!;
    expect(before!.weights.codebook).toBe(0);
    expect(before!.weights.masked).toBeGreaterThanOrEqual(zeros);
    expect(after!.weights.codebook).toBeGreaterThan(0);
    console.log(
      `phases: before clustering ${before!.weights.trained} weights (${before!.weights.masked} masked), after ${after!.weights.trained} (${after!.weights.codebook} centroids); loss ${before!.loss_curve.map((p) => p.loss.toFixed(3)).join(' → ')} | ${after!.loss_curve.map((p) => p.loss.toFixed(3)).join(' → ')}`,
    );
  });
});
