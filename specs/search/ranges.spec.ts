// Ranges in recipes: they parse and format back, the plan turns each into a knob whose candidates
// run least lossy first, and a chosen candidate reaches the pass as a plain value.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sparsityOf } from '../../compiler/passes/prune/options.ts';
import { planModel } from '../../compiler/plan/model-plan.ts';
import { loadRecipe } from '../../compiler/plan/recipe.ts';
import { choosePlan } from '../../compiler/search/choose.ts';
import { hasRanges } from '../../compiler/search/setup.ts';
import { knobsOf, Specializer } from '../../compiler/search/space.ts';
import { searchUnits } from '../../compiler/search/units.ts';
import { formatRecipe, parseRecipe, stripSpans } from '../../dsl/index.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { MODELS } from '../support/paths.ts';

const TEXT = `recipe "ranges"
model { input x: float32[1, 3, 48, 192] }
calibrate { random  samples 2 }
prune weights of conv[0..3] { sparsity 30%..90% }
quantize weights of conv[4..7] { bits 2..8  per-channel  method gptq }
cluster weights of conv[8..9] { clusters 4..64 }
`;

describe('ranges', () => {
  it('parse and format back to the same recipe', () => {
    const parsed = parseRecipe(TEXT);
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const formatted = formatRecipe(TEXT);
    expect(formatted.ok).toBe(true);
    for (const r of ['sparsity 30%..90%', 'bits 2..8', 'clusters 4..64']) expect(formatted.text).toContain(r);
    expect(stripSpans(parseRecipe(formatted.text).ast)).toEqual(stripSpans(parsed.ast));
  });

  it('plan as knobs, least lossy candidate first, and a choice reaches the pass as a value', () => {
    const model = importModel(new Uint8Array(readFileSync(MODELS.cls)));
    const plan = planModel(model, loadRecipe(TEXT, 'ranges.squish'));
    expect(hasRanges(plan)).toBe(true);
    const knobs = knobsOf(plan.layers, 4);
    expect(knobs.map((k) => [k.option, k.candidates.map((c) => c.text)])).toEqual([
      ['sparsity', ['30%', '50%', '70%', '90%']],
      // in pipeline order (clustering runs before quantization); counts over a wide span geometric
      ['clusters', ['64', '25', '10', '4']],
      // gptq codes are uniform: the ladder's ternary and binary are not candidates
      ['bits', ['8', '4', '2']],
    ]);
    const units = searchUnits(plan.layers, knobs);
    expect(units.map((u) => u.layers.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    // the first pruned layer takes 70%, every other unit its least lossy candidate
    const choice = units.map((u, i) => u.knobs.map(() => (i === 0 ? 2 : 0)));
    const chosen = choosePlan(plan, units, choice, new Specializer());
    expect(hasRanges(chosen)).toBe(false);
    const prune = (i: number) => chosen.layers.find((l) => l.name === units[i]!.layers[0])!.actions[0]!;
    expect(sparsityOf(prune(0), 0)).toBeCloseTo(0.7, 12);
    expect(sparsityOf(prune(1), 0)).toBeCloseTo(0.3, 12);
  });

  it("are checked at both ends by the families' model checks (a gptq bits range plans)", () => {
    const model = importModel(new Uint8Array(readFileSync(MODELS.cls)));
    const head =
      'recipe "ends"\nmodel { input x: float32[1, 3, 48, 192] }\ncalibrate { random  samples 2 }\n';
    const ok = planModel(
      model,
      loadRecipe(`${head}quantize weights of matmul { bits 2..8  group 32  method gptq }\n`, 'ok.squish'),
    );
    expect(hasRanges(ok)).toBe(true);
  });
});
