// Plan: selectors resolved on the cls model, the cascade (last statement wins per layer and
// action kind), keep wins, incompatible actions name both statements, no-match fails with a
// suggestion; `squish plan` text/JSON/--explain.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { nodeHost } from '../../compiler/io/host.ts';
import { type ModelPlan, planModel } from '../../compiler/plan/model-plan.ts';
import { loadRecipe } from '../../compiler/plan/recipe.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { runCli } from '../support/cli.ts';
import { MODELS } from '../support/paths.ts';

let model: Model;
beforeAll(() => {
  model = importModel(new Uint8Array(readFileSync(MODELS.cls)));
});

const planOf = (text: string): ModelPlan => planModel(model, loadRecipe(text, 'r.squish'));
const layer = (p: ModelPlan, name: string) => p.layers.find((l) => l.name === name)!;

describe('plan cascade', () => {
  it('the last statement wins per layer and action kind; other kinds stack in pipeline order', () => {
    const p = planOf(
      [
        'quantize weights of conv { bits 8 }', // line 1: every conv
        'quantize weights of conv[0], conv[1] { bits 4 }', // line 2: overrides on two convs
        'prune 2:4 of conv[1]', // line 3: another kind, stacks
      ].join('\n'),
    );
    const c0 = layer(p, 'p2o.Conv.0');
    expect(c0.actions.map((a) => [a.action, a.from, a.options.bits])).toEqual([
      ['quantize weights', 'r.squish:2', '4'],
    ]);
    expect(c0.overridden).toEqual([{ action: 'quantize weights', from: 'r.squish:1', by: 'r.squish:2' }]);
    const c1 = layer(p, 'p2o.Conv.1');
    expect(c1.actions.map((a) => [a.kind, a.from])).toEqual([
      ['prune-sparse', 'r.squish:3'],
      ['quantize-weights', 'r.squish:2'],
    ]);
    const c2 = layer(p, 'p2o.Conv.2');
    expect(c2.actions.map((a) => [a.action, a.from, a.options.bits])).toEqual([
      ['quantize weights', 'r.squish:1', '8'],
    ]);
    const convs = p.layers.filter((l) => l.op === 'Conv').length;
    expect(p.statements).toEqual([
      { statement: 'quantize weights', from: 'r.squish:1', selected: convs, applied: convs - 2 },
      { statement: 'quantize weights', from: 'r.squish:2', selected: 2, applied: 2 },
      { statement: 'prune 2:4', from: 'r.squish:3', selected: 1, applied: 1 },
    ]);
  });

  it('keep wins over every lossy statement, wherever it is written', () => {
    const p = planOf(
      [
        'keep conv[0], "p2o.MatMul.0"',
        'quantize weights of * { bits 8 }',
        'prune weights of conv[0] { sparsity 50% }',
      ].join('\n'),
    );
    for (const name of ['p2o.Conv.0', 'p2o.MatMul.0']) {
      const l = layer(p, name);
      expect(l.actions).toEqual([]);
      expect(l.keptBy).toBe('r.squish:1');
      expect(l.overridden.every((o) => o.by === 'keep at r.squish:1')).toBe(true);
    }
    expect(layer(p, 'p2o.Conv.1').actions.map((a) => a.from)).toEqual(['r.squish:2']);
    expect(p.statements.find((s) => s.from === 'r.squish:3')).toMatchObject({ selected: 1, applied: 0 });
  });

  it('actions that cannot compose on one layer are an error naming both statements', () => {
    expect(() =>
      planOf('cluster weights of conv[3] { clusters 16 }\nquantize weights of conv { bits 8 }\n'),
    ).toThrow(
      /r\.squish:2:1: error\[SQ406\]: quantize weights and cluster \(r\.squish:1\) cannot both apply to layer p2o\.Conv\.3/,
    );
  });

  it('a selector that matches nothing fails with a suggestion', () => {
    expect(() => planOf('quantize weights of convv { bits 8 }\n')).toThrow(/did you mean.*conv/i);
    expect(() => planOf('quantize weights of "p2o.Conv.999" { bits 8 }\n')).toThrow(/matches no|nothing/i);
  });

  it('where clauses filter, and --explain lists the near-misses', () => {
    const p = planOf('quantize weights of conv where out_channels >= 16 { bits 8 }\n');
    const selected = p.layers.filter((l) => l.actions.length);
    expect(selected.length).toBeGreaterThan(0);
    for (const l of selected)
      expect(p.layerInfo.find((i) => i.name === l.name)!.out_channels).toBeGreaterThanOrEqual(16);
    const miss = p.nearMisses.find((n) => n.layer === 'p2o.Conv.0')!;
    expect(miss.reason).toMatch(/where out_channels >= 16 is false/);
  });
});

describe('plan with include', () => {
  it('statements from an included file take part in the cascade with their own file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'squish-include-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'base.squish'), '# shared settings\nquantize weights of conv { bits 8 }\n');
    const main = join(dir, 'main.squish');
    const text = 'include "base.squish"\nquantize weights of conv[0] { bits 4 }\n';
    writeFileSync(main, text);
    const p = planModel(model, loadRecipe(text, main, nodeHost()));
    expect(layer(p, 'p2o.Conv.0').actions.map((a) => a.from)).toEqual([`${main}:2`]);
    expect(layer(p, 'p2o.Conv.1').actions.map((a) => a.from)).toEqual([`${join(dir, 'base.squish')}:2`]);
  });
});

describe('squish plan CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'squish-plan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const r = join(dir, 'p.squish');
  writeFileSync(
    r,
    'recipe "p"\nquantize weights of conv where out_channels >= 16 { bits 8 }\nkeep conv[-1]\n',
  );

  it('prints per layer each action and the file:line it came from', async () => {
    const res = await runCli(['plan', MODELS.cls, '--recipe', r]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/p2o\.Conv\.52 +Conv .*keep \(.*p\.squish:3\)/);
    expect(res.stdout).toMatch(/quantize weights \{bits 8\} \(.*p\.squish:2\)/);
  });

  it('--json and --explain', async () => {
    const res = await runCli(['plan', MODELS.cls, '--recipe', r, '--json', '--explain']);
    expect(res.code, res.stderr).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(j.recipe).toBe('p');
    expect(j.layers.find((l: { name: string }) => l.name === 'p2o.Conv.52').kept_by).toMatch(/p\.squish:3$/);
    expect(j.near_misses.some((n: { reason: string }) => /out_channels >= 16 is false/.test(n.reason))).toBe(
      true,
    );
  });

  it('a misspelled selector exits 1 with a suggestion', async () => {
    const bad = join(dir, 'bad.squish');
    writeFileSync(bad, 'quantize weights of comv { bits 8 }\n');
    const res = await runCli(['plan', MODELS.cls, '--recipe', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/bad\.squish:1:\d+: error\[SQ\d+\]/);
    expect(res.stderr).toMatch(/did you mean/i);
  });
});
