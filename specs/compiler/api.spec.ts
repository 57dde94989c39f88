// The public API for build tools: compile → {model, report}; a missed target throws with the
// report attached; plan/checkRecipe/loadModel/run; no selector match → suggestion.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRecipe, compile, loadModel, plan, run, TargetsMissedError } from '../../compiler/index.ts';
import { isUserError } from '../../runtime/errors.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { MODELS } from '../support/paths.ts';

let bytes: Uint8Array;
beforeAll(() => {
  bytes = new Uint8Array(readFileSync(MODELS.cls));
});

describe('public API', () => {
  it('compile(modelBytes, recipeText) → {model, report}, deterministic, no host needed', async () => {
    const a = await compile(bytes, 'recipe "api"\n');
    const b = await compile(bytes, 'recipe "api"\n');
    expect(a.model).toEqual(b.model);
    expect(a.report.before.bytes).toBe(bytes.length);
    expect(a.report.after.bytes).toBe(a.model.length);
    const m = loadModel(a.model);
    expect(m.metadata('squish.recipe')).toBe('recipe "api"\n');
    expect(m.graph.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
  });

  it('the output does not depend on where the recipe file lives (plan metadata names sources by file name)', async () => {
    const text = 'recipe "api"\nprune weights of conv where kernel == 1x1 { sparsity 10% }\n';
    const near = await compile(bytes, text, { recipeFile: '/r/cls.squish' });
    const far = await compile(bytes, text, { recipeFile: '/a/much/longer/directory/for/recipes/cls.squish' });
    expect(far.model).toEqual(near.model);
    expect(loadModel(far.model).metadata('squish.plan')).toContain('cls.squish:2');
  });

  it('a missed target throws a UserError carrying the full report', async () => {
    const err = await compile(bytes, 'target params <= 10%\n').catch((e) => e);
    expect(err).toBeInstanceOf(TargetsMissedError);
    expect(isUserError(err)).toBe(true);
    expect(err.message).toMatch(
      /recipe\.squish:1:8: error\[SQ502\]: target params <= 10% missed: achieved [\d.]+%, [\d.]+% over/,
    );
    expect(err.report.targets[0].met).toBe(false);
  });

  it('a selector that matches nothing fails compile with a suggestion', async () => {
    const err = await compile(bytes, 'keep comv[0]\n', { recipeFile: 'x.squish' }).catch((e) => e);
    expect(isUserError(err)).toBe(true);
    expect(err.message).toMatch(/x\.squish:1:\d+: error\[SQ\d+\]/);
    expect(err.message).toMatch(/did you mean/i);
  });

  it('plan, checkRecipe, run', async () => {
    const p = plan(bytes, 'keep conv[0]\n');
    expect(p.layers.find((l) => l.name === 'p2o.Conv.0')?.kept_by).toBe('recipe.squish:1');
    expect(checkRecipe('prune channels of conv { sparsity 25% }\n').ok).toBe(true);
    const bad = checkRecipe('prnue channels of conv\n');
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0].span.line).toBe(1);
    const x = float32([1, 3, 48, 192], new Float32Array(3 * 48 * 192).fill(0.25));
    const out = await run(bytes, { x }, { backend: 'cpu' });
    const y = Object.values(out)[0];
    expect(y.dims).toEqual([1, 2]);
    const s = (y.data as Float32Array)[0] + (y.data as Float32Array)[1];
    expect(s).toBeCloseTo(1, 5);
  });
});
