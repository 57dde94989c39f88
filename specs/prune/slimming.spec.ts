// prune channels { criterion bn-gamma  slimming λ } on PP-OCR cls, trained on transfer lines
// (fixtures/ocr-transfer) in onnxruntime-node, a few steps: the L1 penalty drives the selected
// BatchNormalization scales toward zero (Σ|γ| after training with λ = 1 against λ = 0, same data,
// steps and seed); the compile prunes the channels with the smallest trained |γ| (read from the same
// compile at sparsity 0%, BN kept by `cleanup none`); with the default cleanups BN is folded only
// after training (same outputs as cleanup none) and the model runs with its shrunk shapes; without
// slimming nothing trains (the kept γ are the original's, bit for bit).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { emptyStats } from '../../compiler/engine/driver.ts';
import type { PassContext } from '../../compiler/engine/pass.ts';
import { keptCount } from '../../compiler/passes/prune/channel-options.ts';
import { channelGroups } from '../../compiler/passes/prune/groups.ts';
import { selectedBnScales, slimBn, slimPlan } from '../../compiler/passes/prune/slimming.ts';
import { planModel } from '../../compiler/plan/model-plan.ts';
import { loadRecipe } from '../../compiler/plan/recipe.ts';
import { samplesData } from '../../compiler/train/loop/data.ts';
import { type OrtLike, ortRunner } from '../../compiler/train/runner.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { inferShapes } from '../../runtime/ir/shape/index.ts';
import { cloneModel } from '../../runtime/onnx/clone.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { maxAbsDiff, ortRun } from '../compiler/graphs.ts';
import { clsBytes, clsHeader, compileCls, TRANSFER } from '../distill/support.ts';
import { clsInput } from '../support/ocr.ts';

const runner = ortRunner(ort as unknown as OrtLike, { threads: 1 });
const SHAPE = { x: [1, 3, 48, 192] };
/** Expansion convs with a BN (and their SE partners, coupled with them, without one). */
const LAYERS = ['p2o.Conv.6', 'p2o.Conv.9', 'p2o.Conv.12', 'p2o.Conv.15', 'p2o.Conv.17', 'p2o.Conv.20'];
const SELECT = '/p2o\\.Conv\\.(6|9|12|15|17|20)/';
const STEPS = 5;

const floats = (g: Graph, name: string) => g.constant(name)!.data as Float32Array;
const l1 = (g: Graph, names: readonly string[]) =>
  names.reduce((s, n) => s + floats(g, n).reduce((a, v) => a + Math.abs(v), 0), 0);

/** Each selected leader's BN γ name, and per channel group the channel scores bn-gamma sums (Σ|γ| over its BNs). */
function groupScores(g: Graph): { leader: string; gamma: string; scores: Float64Array }[] {
  const types = inferShapes(g, { opset: 17, inputShapes: SHAPE }).types;
  const out: { leader: string; gamma: string; scores: Float64Array }[] = [];
  for (const group of channelGroups(g, (v) => types.get(v) ?? g.declaredType(v))) {
    const leaders = group.leaders.filter((l) => LAYERS.includes(l.name));
    if (!leaders.length) continue;
    expect(leaders.length).toBe(group.leaders.length);
    for (const leader of leaders) {
      const bn = g.consumers(leader.outputs[0]!).find((n) => n.opType === 'BatchNormalization');
      if (!bn) continue;
      const scores = new Float64Array(group.units.length);
      for (const u of group.units) {
        let at = -1;
        let sum = 0;
        for (const a of u.actions)
          if (a.kind === 'bn' && a.node.opType === 'BatchNormalization') {
            if (a.node === bn) at = a.c;
            sum += Math.abs(floats(g, a.node.inputs[1]!)[a.c]!);
          }
        expect(at).toBeGreaterThanOrEqual(0);
        scores[at] = sum;
      }
      out.push({ leader: leader.name, gamma: bn.inputs[1]!, scores });
    }
  }
  return out;
}

/** The channels a 30% bn-gamma prune keeps: the largest scores, in channel order. */
function keptChannels(scores: Float64Array): number[] {
  const k = keptCount(scores.length, { p: 0.3, round: 1, min: 1 });
  return Array.from(scores.keys())
    .sort((a, b) => scores[b]! - scores[a]!)
    .slice(0, k)
    .sort((a, b) => a - b);
}

const recipe = (options: string, head = '') =>
  `${clsHeader(8)}${head}prune channels of ${SELECT} { criterion bn-gamma  ${options} }\n`;

describe('prune channels { criterion bn-gamma  slimming λ } on PP-OCR cls', () => {
  it(`λ = 1 lowers Σ|γ| of the selected BN scales against λ = 0 (${STEPS} steps, 8 transfer lines)`, async () => {
    const files = readdirSync(join(TRANSFER, 'lines')).sort().slice(0, 8);
    const samples = await Promise.all(
      files.map(async (f) => ({ x: await clsInput(join(TRANSFER, 'lines', f)) })),
    );
    const original = importModel(clsBytes());
    const scales = selectedBnScales(original, LAYERS, SHAPE);
    // the BN after each selected conv and after its depthwise partner: 4 groups, 2 BNs each
    expect(scales.length).toBe(8);
    const run = async (lambda: number) => {
      const m: Model = cloneModel(original);
      const settings = { lambda, steps: STEPS, batch: 4, lr: 1e-3, seed: 0, from: 'spec' };
      const r = await slimBn(m, scales, settings, { data: samplesData(samples), teacher: original, runner });
      return { m, r };
    };
    const [zero, one] = [await run(0), await run(1)];
    const before = l1(original.graph, scales);
    console.log(
      `slimming ${STEPS} steps, batch 4, 8 lines: Σ|γ| of ${scales.length} BN scales ${before.toFixed(4)} → λ=0 ${zero.r.l1After.toFixed(4)}, λ=1 ${one.r.l1After.toFixed(4)}`,
    );
    expect(zero.r.l1Before).toBeCloseTo(before, 3);
    expect(one.r.l1After).toBeCloseTo(l1(one.m.graph, scales), 3);
    expect(one.r.l1After).toBeLessThan(before);
    // measurably: by more than λ = 0 moved it either way, and by 0.1% of Σ|γ| at least
    expect(zero.r.l1After - one.r.l1After).toBeGreaterThan(
      Math.max(Math.abs(zero.r.l1After - before), 1e-3 * before),
    );
    // nearly every penalized γ shrank in magnitude with λ = 1
    let shrank = 0;
    let count = 0;
    for (const n of scales) {
      const [a, b] = [floats(original.graph, n), floats(one.m.graph, n)];
      for (let i = 0; i < a.length; i++, count++) if (Math.abs(b[i]!) < Math.abs(a[i]!)) shrank++;
    }
    console.log(`λ=1: ${shrank} of ${count} γ smaller in magnitude`);
    expect(shrank / count).toBeGreaterThan(0.9);
  }, 60_000);

  it('prunes the channels with the smallest trained |γ|; BN folded only after training; runs in onnxruntime', async () => {
    const slim = `slimming 1  slimming-steps ${STEPS}`;
    const all = importModel((await compileCls(recipe(`sparsity 0%  ${slim}`, 'cleanup none\n'))).model).graph;
    const kept30 = await compileCls(recipe(`sparsity 30%  ${slim}`, 'cleanup none\n'));
    const pruned = importModel(kept30.model).graph;
    const groups = groupScores(all);
    expect(groups.length).toBe(4);
    for (const { leader, gamma, scores } of groups) {
      const want = keptChannels(scores).map((c) => floats(all, gamma)[c]!);
      const bn = pruned.consumers(pruned.nodes.find((n) => n.name === leader)!.outputs[0]!)[0]!;
      expect(Array.from(floats(pruned, bn.inputs[1]!)), leader).toEqual(want);
    }
    const folded = await compileCls(recipe(`sparsity 30%  ${slim}`));
    const fg = importModel(folded.model).graph;
    expect(fg.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    const conv17 = fg.constant(fg.nodes.find((n) => n.name === 'p2o.Conv.17')!.inputs[1]!)!;
    expect(conv17.dims).toEqual([keptCount(88, { p: 0.3, round: 1, min: 1 }), 16, 1, 1]);
    const x = await clsInput(join(TRANSFER, 'lines', readdirSync(join(TRANSFER, 'lines')).sort()[0]!));
    const [a, b] = [await ortRun(folded.model, { x }), await ortRun(kept30.model, { x })];
    const [ya, yb] = [Object.values(a)[0]!, Object.values(b)[0]!];
    expect(ya.length).toBe(2);
    expect(maxAbsDiff(ya, yb)).toBeLessThanOrEqual(1e-4);
  }, 60_000);

  it('without slimming nothing trains: the kept γ are the original’s largest, bit for bit', async () => {
    const original = importModel(clsBytes()).graph;
    const pruned = importModel((await compileCls(recipe('sparsity 30%', 'cleanup none\n'))).model).graph;
    for (const { leader, gamma, scores } of groupScores(original)) {
      const want = keptChannels(scores).map((c) => floats(original, gamma)[c]!);
      const bn = pruned.consumers(pruned.nodes.find((n) => n.name === leader)!.outputs[0]!)[0]!;
      expect(Array.from(floats(pruned, bn.inputs[1]!)), leader).toEqual(want);
    }
  }, 60_000);

  it('trains once per compile: a second pipeline run on the same samples (a search candidate) reuses the weights', async () => {
    const files = readdirSync(join(TRANSFER, 'lines')).sort().slice(0, 4);
    const samples = await Promise.all(
      files.map(async (f) => ({ x: await clsInput(join(TRANSFER, 'lines', f)) })),
    );
    const text = `calibrate { random  samples 2 }\nprune channels of ${SELECT} { criterion bn-gamma  slimming 1  slimming-steps 2 }\n`;
    const plan = planModel(importModel(clsBytes()), loadRecipe(text, 'spec.squish'), SHAPE);
    const logs: string[] = [];
    const ctx: PassContext = {
      stats: emptyStats(),
      layerError: {},
      samples,
      trainRunner: runner,
      log: (l) => logs.push(l),
    };
    const [a, b] = [importModel(clsBytes()), importModel(clsBytes())];
    expect(await slimPlan(plan, a, ctx)).toBe(true);
    expect(await slimPlan(plan, b, ctx)).toBe(true);
    expect(logs.filter((l) => /^slimming \(spec\.squish:2\): 2 steps in /.test(l)).length).toBe(1);
    expect(logs).toContain('slimming (spec.squish:2): the weights trained earlier in this compile');
    const scales = selectedBnScales(a, LAYERS, SHAPE);
    const original = importModel(clsBytes()).graph;
    for (const n of scales) {
      expect(floats(b.graph, n)).toEqual(floats(a.graph, n));
      expect(floats(a.graph, n)).not.toEqual(floats(original, n));
    }
  }, 60_000);
});
