// prune-structure through compile(): `prune layers` turns the residual branch that contributes
// nothing (activation criterion) into identity, exactly (onnxruntime-node); `prune channels` keeps a
// multiple of `round` and at least `min` channels; misuse is a UserError naming the statement.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { globalCounts, keptCount } from '../../compiler/passes/prune/channel-options.ts';
import { isUserError } from '../../runtime/errors.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from '../compiler/graphs.ts';

function randn(n: number, seed: number, s = 0.3): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r() * s);
}

/** stem conv → 3 residual blocks x + conv(relu(conv(x))) → head conv; block `dead` adds zeros. */
function resNet(dead: number, C = 8): Uint8Array {
  const nodes: NodeInit[] = [];
  const inits: Record<string, Tensor> = {};
  const conv = (name: string, x: string, cin: number, cout: number, zero = false) => {
    inits[`${name}.w`] = float32(
      [cout, cin, 3, 3],
      zero ? new Float32Array(cout * cin * 9) : randn(cout * cin * 9, name.length * 7 + cout),
    );
    inits[`${name}.b`] = float32([cout], zero ? new Float32Array(cout) : randn(cout, name.length));
    nodes.push({
      op: 'Conv',
      name,
      inputs: [x, `${name}.w`, `${name}.b`],
      outputs: [name],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    });
    return name;
  };
  let cur = conv('stem', 'x', 3, C);
  for (let i = 0; i < 3; i++) {
    nodes.push({ op: 'Relu', name: `r${i}`, inputs: [conv(`blk${i}a`, cur, C, C)], outputs: [`r${i}`] });
    const f = conv(`blk${i}b`, `r${i}`, C, C, i === dead);
    nodes.push({ op: 'Add', name: `add${i}`, inputs: [cur, f], outputs: [`add${i}`] });
    cur = `add${i}`;
  }
  conv('head', cur, C, 2);
  nodes.at(-1)!.outputs = ['y'];
  return bytesOf(
    buildModel({ inputs: [{ name: 'x', dims: [1, 3, 8, 8] }], outputs: ['y'], nodes, initializers: inits }),
  );
}

const HEAD = 'model {\n  input x: float32[1, 3, 8, 8]\n}\ncalibrate {\n  random\n  samples 3\n}\n';

describe('prune layers', () => {
  for (const dead of [0, 1, 2]) {
    it(`the branch adding zeros (block ${dead}) becomes identity; outputs unchanged in onnxruntime`, async () => {
      const src = resNet(dead);
      const r = await compileModel(
        src,
        `${HEAD}prune layers of conv { sparsity 34%  criterion activation }\n`,
        {
          recipeFile: 'spec.squish',
        },
      );
      const g = importModel(r.model).graph;
      expect(g.nodes.filter((n) => n.opType === 'Add').length).toBe(2);
      expect(g.nodes.some((n) => n.name === `blk${dead}a` || n.name === `blk${dead}b`)).toBe(false);
      const x = float32([1, 3, 8, 8], randn(192, 5, 1));
      const a = (await ortRun(src, { x })).y!;
      const b = (await ortRun(r.model, { x })).y!;
      expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5 * Math.max(1, ...Array.from(a, Math.abs)));
    });
  }
});

describe('prune channels options', () => {
  it('keptCount: a multiple of round (when n allows), at least min, never 0, never above n', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 64 }),
        (n, p, round, min) => {
          const k = keptCount(n, { p, round, min });
          expect(k).toBeGreaterThanOrEqual(1);
          expect(k).toBeLessThanOrEqual(n);
          expect(k).toBeGreaterThanOrEqual(Math.min(n, min));
          if (round > 1 && n >= round && k > min) expect(k % round).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('prune channels { round 4 } on the residual net: coupled stem + residual channels shrink together', async () => {
    const r = await compileModel(
      resNet(-1),
      `${HEAD}prune channels of conv { sparsity 50%  round 4  criterion l1 }\nkeep conv[-1]\n`,
      {
        recipeFile: 'spec.squish',
      },
    );
    const g = importModel(r.model).graph;
    const out = (name: string) => g.constant(g.nodes.find((n) => n.name === name)!.inputs[1]!)!.dims[0];
    // stem, blk*b and the Adds form one group: all keep the same 4 channels; blk*a each keep 4
    for (const n of ['stem', 'blk0b', 'blk1b', 'blk2b', 'blk0a', 'blk1a', 'blk2a']) expect(out(n)).toBe(4);
    expect(g.constant(g.nodes.find((n) => n.name === 'head')!.inputs[1]!)!.dims[1]).toBe(4);
    const y = (await ortRun(r.model, { x: float32([1, 3, 8, 8], randn(192, 5, 1)) })).y!;
    expect(y.length).toBe(2 * 64);
  });

  it("globalCounts: round(p·Σn) removed across groups (unless a group is held at 1), ≤ each group's prunable units", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.nat(),
        (sizes, p, seed) => {
          const r = normalSampler(seed);
          const scores = sizes.map((n) =>
            Float64Array.from({ length: n }, () => Math.abs(r()) * (1 + (seed % 7))),
          );
          const k = globalCounts(scores, sizes, { p, round: 1, min: 1 });
          const want = Math.round(p * sizes.reduce((a, b) => a + b, 0));
          k.forEach((c, g) => {
            expect(c).toBeGreaterThanOrEqual(0);
            expect(c).toBeLessThanOrEqual(sizes[g]! - 1);
          });
          const sum = k.reduce((a, b) => a + b, 0);
          if (k.every((c, g) => c < sizes[g]! - 1)) expect(sum).toBe(want);
          else expect(sum).toBeLessThanOrEqual(want);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('prune channels { scope global }: round(p·all channels) removed across the groups; onnxruntime runs it', async () => {
    const r = await compileModel(
      resNet(-1),
      `${HEAD}prune channels of conv { sparsity 40%  scope global  criterion l1 }\nkeep conv[-1]\n`,
      { recipeFile: 'spec.squish' },
    );
    const g = importModel(r.model).graph;
    const out = (name: string) => g.constant(g.nodes.find((n) => n.name === name)!.inputs[1]!)!.dims[0]!;
    // groups: stem + blk*b + the Adds (8 channels), blk0a, blk1a, blk2a (8 each): 32 → 32 − 13
    const kept = out('stem') + out('blk0a') + out('blk1a') + out('blk2a');
    expect(kept).toBe(32 - Math.round(0.4 * 32));
    for (const n of ['blk0b', 'blk1b', 'blk2b']) expect(out(n)).toBe(out('stem'));
    const y = (await ortRun(r.model, { x: float32([1, 3, 8, 8], randn(192, 5, 1)) })).y!;
    expect(y.length).toBe(2 * 64);
  });

  const errors: [string, RegExp][] = [
    ['prune channels of conv { criterion taylor }', /SQ413\]: criterion taylor .* not class scores/],
    [
      'prune channels of conv { criterion sparsegpt }',
      /SQ324\]: criterion sparsegpt does not apply to prune channels/,
    ],
    [
      'prune channels of conv { criterion bn-gamma }',
      /SQ405\]: criterion bn-gamma: .* is not followed by a BatchNormalization/,
    ],
    [
      'prune layers of conv { reconstruct least-squares }',
      /SQ324\]: 'reconstruct least-squares' does not apply to prune layers/,
    ],
    ['prune layers of conv { criterion apoz }', /SQ324\]: criterion apoz does not apply to prune layers/],
  ];
  for (const [stmt, re] of errors) {
    it(`${stmt} → a recipe error at file:line:col`, async () => {
      const e = await compileModel(resNet(-1), `${HEAD}${stmt}\nkeep conv[-1]\n`, {
        recipeFile: 'spec.squish',
      }).catch((x: unknown) => x);
      expect(isUserError(e)).toBe(true);
      expect((e as Error).message).toMatch(/spec\.squish:\d+:\d+: error\[SQ\d+\]/);
      expect((e as Error).message).toMatch(re);
    });
  }

  it('round, min and scope on prune layers do nothing: warnings, and the compile goes on', async () => {
    const warnings: string[] = [];
    await compileModel(resNet(-1), `${HEAD}prune layers of conv { scope global  round 8 }\nkeep conv[-1]\n`, {
      recipeFile: 'spec.squish',
      warn: (l) => warnings.push(l),
    });
    expect(warnings.join('\n')).toMatch(/warning\[SQ317\]: 'scope global' has no effect on prune layers/);
    expect(warnings.join('\n')).toMatch(/warning\[SQ317\]: 'round' only applies to channel pruning/);
  });
});

describe('explainChannelGroups', () => {
  it('names the op that blocks a group and the unselected coupled layer', async () => {
    const { loadRecipe } = await import('../../compiler/plan/recipe.ts');
    const { planModel } = await import('../../compiler/plan/model-plan.ts');
    const { explainChannelGroups } = await import('../../compiler/passes/prune/index.ts');
    const model = importModel(resNet(-1));
    const recipe = loadRecipe('prune channels of conv where name != "blk1b"\n', 'spec.squish');
    const plan = planModel(model, recipe);
    const ex = explainChannelGroups(model, plan, { x: [1, 3, 8, 8] });
    const stem = ex.find((e) => e.leaders.includes('stem'))!;
    expect(stem.reason).toMatch(/coupled with Conv blk1b/);
    expect(ex.find((e) => e.leaders.includes('head'))!.reason).toMatch(/graph output y/);
    expect(ex.find((e) => e.leaders.includes('blk0a'))!.reason).toBeUndefined();
  });
});

describe('squish plan near-misses for prune channels', () => {
  it('planModel lists the groups that will not be pruned and why', async () => {
    const { loadRecipe } = await import('../../compiler/plan/recipe.ts');
    const { planModel } = await import('../../compiler/plan/model-plan.ts');
    await import('../../compiler/passes/lossy.ts');
    const model = importModel(resNet(-1));
    const plan = planModel(
      model,
      loadRecipe('prune channels of conv where name != "blk1b"\n', 'spec.squish'),
    );
    const misses = plan.nearMisses.filter((m) => m.statement === 'prune channels');
    expect(misses.some((m) => m.layer.includes('stem') && /coupled with Conv blk1b/.test(m.reason))).toBe(
      true,
    );
    expect(misses.some((m) => m.layer === 'head' && /graph output y/.test(m.reason))).toBe(true);
    expect(misses.every((m) => m.from === 'spec.squish:1')).toBe(true);
  });
});
