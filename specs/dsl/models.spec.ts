// The shared recipes' selectors resolve against the real OCR models (IR → LayerInfo adapter), with suggestions for typos.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFile } from '../../compiler/io/model-file.ts';
import { buildLayers, layersForRecipe, modelInputs } from '../../compiler/select/layers.ts';
import { checkRecipe, type LayerInfo, resolveRecipe } from '../../dsl/index.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { modelStats } from '../../runtime/ir/shape/index.ts';
import { MODELS, RECIPES } from '../support/paths.ts';

const cache = new Map<string, { model: Model; layers: LayerInfo[] }>();
function load(which: 'cls' | 'det' | 'rec') {
  let got = cache.get(which);
  if (!got) {
    const model = loadModelFile(MODELS[which]);
    got = { model, layers: buildLayers(model) };
    cache.set(which, got);
  }
  return got;
}

const PAIRS = [
  ['cls-int8', 'cls'],
  ['det-slim', 'det'],
  ['rec-int4', 'rec'],
  ['deep-compression', 'cls'],
] as const;

describe('shared recipes against their OCR models', () => {
  for (const [recipe, which] of PAIRS) {
    it(`${recipe} → ${which}: every selector resolves, no diagnostics`, () => {
      const text = readFileSync(join(RECIPES, `${recipe}.squish`), 'utf8');
      const { model, layers } = load(which);
      const checked = checkRecipe(text, { file: recipe });
      const r = resolveRecipe(checked.ast, layers, modelInputs(model));
      expect([...checked.diagnostics, ...r.diagnostics]).toEqual([]);
      expect(r.statements.length).toBeGreaterThan(0);
      for (const s of r.statements) expect(s.matches.length).toBeGreaterThan(0);
    });
  }

  it('counts agree with the raw graph: conv = every Conv node, keep conv[0], conv[-1] = first and last', () => {
    const { model, layers } = load('det');
    const convs = model.graph.topoOrder().filter((n) => n.opType === 'Conv');
    const text = 'quantize weights of conv { bits 8 }\nkeep conv[0], conv[-1]\nfactorize linear';
    const r = resolveRecipe(checkRecipe(text).ast, layers);
    expect(r.statements[0]!.matches.length).toBe(convs.length);
    expect(r.statements[1]!.matches.map((l) => l.name)).toEqual([
      convs[0]!.name,
      convs[convs.length - 1]!.name,
    ]);
    // det has no Gemm/MatMul: linear matches nothing and says what the model has
    expect(r.diagnostics.map((d) => d.code)).toEqual(['SQ401']);
  });

  it('layer facts come from the weights: conv channels, kernel, group, depthwise', () => {
    const { model, layers } = load('cls');
    const g = model.graph;
    for (const l of layers.filter((x) => x.op === 'Conv')) {
      const node = g.topoOrder().find((n) => (n.name || n.outputs[0]) === l.name)!;
      const w = g.constant(node.inputs[1]!)!;
      const group = typeof node.attrs.group === 'number' ? node.attrs.group : 1;
      expect([l.out_channels, l.in_channels, l.kernel, l.group]).toEqual([
        w.dims[0],
        w.dims[1]! * group,
        [w.dims[2], w.dims[3]],
        group,
      ]);
      expect(l.depthwise).toBe(group > 1 && group === w.dims[1]! * group);
      expect(l.params).toBe(
        node.inputs.slice(1).reduce((s, n) => s + (n ? g.constant(n)!.data.length : 0), 0),
      );
    }
    expect(layers.some((l) => l.depthwise)).toBe(true);
  });

  it('a misspelled op type or layer name gets a suggestion from the model', () => {
    const { model, layers } = load('rec');
    const weight = layers.find((l) => l.op === 'MatMul' && l.weightNames.length)!.weightNames[0]!;
    const typo = `${weight.slice(0, -1)}${weight.endsWith('x') ? 'y' : 'x'}`;
    const text = `quantize weights of matmull\nkeep "${typo}"\nmodel { input X: float32[1, 3, 48, 320] }`;
    const r = resolveRecipe(checkRecipe(text).ast, layers, modelInputs(model));
    const by = (code: string) => r.diagnostics.filter((d) => d.code === code);
    expect(by('SQ401')[0]!.help).toBe("did you mean 'matmul'?");
    expect(by('SQ401')[1]!.help).toContain(`"${weight}"`);
    expect(by('SQ404')[0]!.help).toBe("did you mean 'x'?");
  });

  it('at the shapes a recipe pins, flops agree with squish inspect statistics and where flops works', () => {
    const { model } = load('cls');
    const { ast } = checkRecipe('model { input x: float32[1, 3, 48, 192] }\nkeep conv where flops > 500k');
    const layers = layersForRecipe(model, ast);
    const stats = modelStats(model, { x: [1, 3, 48, 192] });
    const byName = new Map(stats.layers.map((l) => [l.name, l.flops]));
    const convs = layers.filter((l) => l.op === 'Conv');
    for (const l of convs) expect(l.flops).toBe(byName.get(l.name));
    expect(convs.every((l) => l.flops > 0)).toBe(true);
    const r = resolveRecipe(ast, layers, modelInputs(model));
    expect(r.statements[0]!.matches.map((l) => l.name)).toEqual(
      convs.filter((l) => l.flops > 500_000).map((l) => l.name),
    );
    expect(r.statements[0]!.matches.length).toBeGreaterThan(0);
  });
});
