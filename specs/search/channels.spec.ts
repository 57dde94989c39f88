// A `prune channels` range under the search on a tiny synthetic conv net built here (stem, two
// residual blocks x + conv(relu(conv(x))), a conv → depthwise conv pair, a head): the leaders of one
// channel group (stem and the blocks' second convs, coupled by the Adds) form one search unit and
// take one sparsity, the compiled model runs in onnxruntime-node, the choice is the same every run,
// and a params target no choice reaches fails with the closest figure.
import { describe, expect, it } from 'vitest';
import { compileModel, searchChoices } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, ortRun } from '../compiler/graphs.ts';

function randn(n: number, seed: number, s = 0.3): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r() * s);
}

const C = 16;
function net(): Uint8Array {
  const nodes: NodeInit[] = [];
  const inits: Record<string, Tensor> = {};
  let seed = 1;
  const conv = (name: string, x: string, cin: number, cout: number, group = 1) => {
    const k = cin / group;
    inits[`${name}.w`] = float32([cout, k, 3, 3], randn(cout * k * 9, seed++));
    inits[`${name}.b`] = float32([cout], randn(cout, seed++));
    nodes.push({
      op: 'Conv',
      name,
      inputs: [x, `${name}.w`, `${name}.b`],
      outputs: [name],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group },
    });
    return name;
  };
  let cur = conv('stem', 'x', 3, C);
  for (let i = 0; i < 2; i++) {
    nodes.push({ op: 'Relu', name: `r${i}`, inputs: [conv(`blk${i}a`, cur, C, C)], outputs: [`r${i}`] });
    const f = conv(`blk${i}b`, `r${i}`, C, C);
    nodes.push({ op: 'Add', name: `add${i}`, inputs: [cur, f], outputs: [`add${i}`] });
    cur = `add${i}`;
  }
  const p = conv('pw', cur, C, C);
  nodes.push({ op: 'Relu', name: 'rp', inputs: [conv('dw', p, C, C, C)], outputs: ['rp'] });
  conv('head', 'rp', C, 2);
  nodes.at(-1)!.outputs = ['y'];
  return bytesOf(
    buildModel({ inputs: [{ name: 'x', dims: [1, 3, 8, 8] }], outputs: ['y'], nodes, initializers: inits }),
  );
}

const recipe = (target: string) => `model {
  input x: float32[1, 3, 8, 8]
}
calibrate {
  random
  samples 3
}
prune channels of conv where out_channels >= ${C} and not depthwise { sparsity 0%..50%  criterion activation  round 4 }
search { candidates 3 }
${target}
`;
const COUPLED = ['stem', 'blk0b', 'blk1b'];

describe('search over prune channels ranges (synthetic residual + depthwise net, 3 samples)', () => {
  const src = net();
  it('one unit per channel group: coupled layers take one value; the model runs in onnxruntime', async () => {
    const r = await compileModel(src, recipe('target params <= 70%'), { recipeFile: 'spec.squish' });
    expect(r.missed).toBeUndefined();
    expect(r.report.targets[0]!.met).toBe(true);
    const chosen = new Map(r.report.layers.filter((l) => l.chosen).map((l) => [l.name, l.chosen!.sparsity]));
    for (const l of [...COUPLED, 'blk0a', 'blk1a', 'pw']) expect(chosen.has(l)).toBe(true);
    expect(new Set(COUPLED.map((l) => chosen.get(l))).size).toBe(1);
    const y = (await ortRun(r.model, { x: float32([1, 3, 8, 8], randn(192, 99, 1)) })).y!;
    expect(y.length).toBe(2 * 64);
    expect(y.every(Number.isFinite)).toBe(true);
  }, 300_000);

  it('chooses the same values on every run (deterministic)', async () => {
    const text = recipe('target params <= 70%');
    const a = await searchChoices(src, text, { recipeFile: 'spec.squish' });
    const b = await searchChoices(src, text, { recipeFile: 'spec.squish' });
    const chosen = (x: typeof a) => Object.fromEntries([...x!.layers].map(([k, v]) => [k, v.chosen]));
    expect(chosen(b)).toEqual(chosen(a));
    expect(new Set(COUPLED.map((l) => a!.layers.get(l)?.chosen?.sparsity)).size).toBe(1);
  }, 300_000);

  it('a params target no choice reaches fails with the closest figure', async () => {
    const r = await compileModel(src, recipe('target params <= 1%'), { recipeFile: 'spec.squish' }).then(
      (x) => x,
      (e: unknown) => ({ error: e }),
    );
    const text = 'error' in r ? String((r.error as Error).message) : JSON.stringify(r.missed);
    expect(text).toMatch(/params/);
    expect(text).toMatch(/least any choice reaches/);
  }, 300_000);
});
