// criterion taylor: the channel importance |mean over samples and positions of a·∂L/∂a| and the
// weight importance |w·∂L/∂w| (L: cross-entropy against the model's own top class) agree with
// central finite differences computed in onnxruntime-node on a tiny model (a gate m on the conv's
// output: ∂L/∂m_c = Σ a·∂L/∂a; a weight scaled by 1 + h: ∂L/∂h = w·∂L/∂w); PP-OCR cls pruned 30% by
// taylor (channels, and weights) on transfer lines runs in onnxruntime-node with its shrunk shapes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { keptCount } from '../../compiler/passes/prune/channel-options.ts';
import { channelTaylor, weightTaylor } from '../../compiler/passes/prune/taylor.ts';
import { type OrtLike, ortRunner } from '../../compiler/train/runner.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, ortRun } from '../compiler/graphs.ts';
import { agreementWithOriginal, clsHeader, compileCls, TRANSFER } from '../distill/support.ts';

const runner = ortRunner(ort as unknown as OrtLike, { threads: 1 });

/** Seeded values in [−1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const C = 6;
const W1 = values(C * 27, 1);

/** x[1,3,5,5] → Conv 3→6 3×3 (+ bias) [→ Mul gate m] → Relu → GlobalAveragePool → Gemm 6→4 → Softmax. */
function tiny(w1: Float32Array = W1, gated = false): Model {
  const conv = gated ? 'h0' : 'h';
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 5, 5] }, ...(gated ? [{ name: 'm', dims: [1, C, 1, 1] }] : [])],
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: 'c1', inputs: ['x', 'w1', 'b1'], outputs: [conv], attrs: { pads: [1, 1, 1, 1] } },
      ...(gated ? [{ op: 'Mul', name: 'gate', inputs: ['h0', 'm'], outputs: ['h'] }] : []),
      { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['a'] },
      { op: 'GlobalAveragePool', name: 'p', inputs: ['a'], outputs: ['q'] },
      { op: 'Flatten', name: 'f', inputs: ['q'], outputs: ['fl'] },
      { op: 'Gemm', name: 'fc', inputs: ['fl', 'w2', 'b2'], outputs: ['z'], attrs: { transB: 1 } },
      { op: 'Softmax', name: 'sm', inputs: ['z'], outputs: ['y'], attrs: { axis: -1 } },
    ],
    initializers: {
      w1: float32([C, 3, 3, 3], w1),
      b1: float32([C], values(C, 2)),
      w2: float32(
        [4, C],
        Float32Array.from(values(4 * C, 3), (v) => 3 * v),
      ),
      b2: float32([4], values(4, 4)),
    },
  });
}

const samples = [5, 6, 7].map((s) => ({
  x: float32(
    [1, 3, 5, 5],
    Float32Array.from(values(75, s), (v) => 2 * v),
  ),
}));

const argmax = (p: Float32Array) => p.indexOf(Math.max(...p));

/**
 * Σ over the samples of the central difference of L: the cross-entropy against `labels`, or against
 * the top class at h = 0.
 */
async function centralDifference(
  model: (h: number) => Model,
  gate?: (h: number) => Tensor,
  labels?: number[],
): Promise<number> {
  const h = 1e-2;
  const [plus, minus] = [bytesOf(model(h)), bytesOf(model(-h))];
  const base = bytesOf(model(0));
  let total = 0;
  for (const [i, s] of samples.entries()) {
    const feeds = (d: number): Record<string, Tensor> => (gate ? { ...s, m: gate(d) } : s);
    const label = labels?.[i] ?? argmax((await ortRun(base, feeds(0))).y!);
    const loss = async (bytes: Uint8Array, d: number) =>
      -Math.log((await ortRun(bytes, feeds(d))).y![label]!);
    total += ((await loss(plus, h)) - (await loss(minus, -h))) / (2 * h);
  }
  return total;
}

describe('criterion taylor', () => {
  for (const labels of [undefined, [3, 0, 2]]) {
    const against = labels ? `labels ${labels.join(', ')}` : 'the top class';
    it(`channel importance = |Σ a·∂L/∂a| / (samples·positions), as central differences of a gate give it (${against})`, async () => {
      const model = tiny();
      const conv = model.graph.nodes.find((n) => n.name === 'c1')!;
      const data = { samples, ...(labels ? { labels } : {}) };
      const got = (await channelTaylor(model, [conv], data, runner)).get(conv)!;
      const want: number[] = [];
      for (let c = 0; c < C; c++) {
        const gate = (d: number) =>
          float32(
            [1, C, 1, 1],
            Float32Array.from({ length: C }, (_, i) => (i === c ? 1 + d : 1)),
          );
        const sum = await centralDifference(() => tiny(W1, true), gate, labels);
        want.push(Math.abs(sum) / (samples.length * 25));
      }
      const scale = Math.max(...want);
      console.log(`taylor channels (${against}): ${Array.from(got, (v) => v.toExponential(3)).join(' ')}`);
      console.log(`finite differences: ${want.map((v) => v.toExponential(3)).join(' ')}`);
      expect(scale).toBeGreaterThan(0);
      for (let c = 0; c < C; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThanOrEqual(2e-3 * scale);
    }, 30_000);
  }

  it('weight importance = |w·mean ∂L/∂w|, as central differences of scaling that weight give it', async () => {
    const got = (await weightTaylor(tiny(), ['w1'], { samples }, runner)).get('w1')!;
    const picks = [0, 13, 40, 77, 101, 150];
    const want: number[] = [];
    for (const i of picks) {
      const scaled = (h: number) => tiny(Float32Array.from(W1, (v, j) => (j === i ? v * (1 + h) : v)));
      want.push(Math.abs(await centralDifference(scaled)) / samples.length);
    }
    const scale = Math.max(...want);
    console.log(`taylor weights ${picks.map((i) => got[i]!.toExponential(3)).join(' ')}`);
    console.log(`finite diffs   ${want.map((v) => v.toExponential(3)).join(' ')}`);
    expect(scale).toBeGreaterThan(0);
    picks.forEach((i, k) => {
      expect(Math.abs(got[i]! - want[k]!)).toBeLessThanOrEqual(2e-3 * scale);
    });
  }, 30_000);

  it('PP-OCR cls: prune channels 30% by taylor (and weights 30%) runs in onnxruntime with the shrunk shapes', async () => {
    const recipe = (what: string) =>
      `${clsHeader(8)}prune ${what} of conv { sparsity 30%  criterion taylor }\n`;
    const channels = await compileCls(recipe('channels'));
    const g = importModel(channels.model).graph;
    const out = (name: string) => g.constant(g.nodes.find((n) => n.name === name)!.inputs[1]!)!.dims[0];
    // the expansion conv p2o.Conv.17 (88 channels, with its SE partner Conv.20) is one group
    expect(out('p2o.Conv.17')).toBe(keptCount(88, { p: 0.3, round: 1, min: 1 }));
    expect(out('p2o.Conv.20')).toBe(out('p2o.Conv.17'));
    const x = float32([1, 3, 48, 192], values(3 * 48 * 192, 9));
    const first = async (bytes: Uint8Array) => Object.values(await ortRun(bytes, { x }))[0]!;
    expect((await first(channels.model)).length).toBe(2);
    const weights = await compileCls(recipe('weights'));
    expect((await first(weights.model)).length).toBe(2);
    const wg = importModel(weights.model).graph;
    const w = wg.constant(wg.nodes.find((n) => n.name === 'p2o.Conv.17')!.inputs[1]!)!.data as Float32Array;
    expect(w.filter((v) => v === 0).length).toBe(Math.round(0.3 * w.length));
    const l1 = (what: string) => compileCls(recipe(what).replace('criterion taylor', 'criterion l1'));
    const figures = [
      channels.model,
      weights.model,
      (await l1('channels')).model,
      (await l1('weights')).model,
    ];
    const [a, b, c, d] = await Promise.all(figures.map((m) => agreementWithOriginal(m)));
    const pct = (r: { share: number }) => `${(r.share * 100).toFixed(1)}%`;
    console.log(
      `cls 30%, top-1 agreement with the original on ${a!.count} fixture lines: taylor ${pct(a!)} (channels), ${pct(b!)} (weights); l1 ${pct(c!)}, ${pct(d!)}`,
    );
  }, 60_000);

  it('with a finetune statement that has class labels, the loss is against them (its data)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squish-taylor-'));
    try {
      const tsv = join(dir, 'labels.tsv');
      const rows = Array.from({ length: 1200 }, (_, i) => `line${String(i).padStart(4, '0')}.png`);
      writeFileSync(
        tsv,
        rows.flatMap((r) => [`${TRANSFER}/lines/${r}\t0`, `${TRANSFER}/flipped/${r}\t1`]).join('\n'),
      );
      const logs: string[] = [];
      const stmt = 'prune channels of conv { sparsity 30%  criterion taylor }';
      const ft = `finetune { labels "${tsv}"  loss cross-entropy  steps 1  batch 2 }`;
      await compileCls(`${clsHeader(4)}${stmt}\n${ft}\n`, { log: (l) => logs.push(l) });
      // of the 4 calibration files, the 2 held apart for fidelity train nothing (not even taylor's loss)
      expect(logs).toContain('taylor: the cross-entropy against the finetune labels of 2 samples');
      const plain: string[] = [];
      await compileCls(`${clsHeader(4)}${stmt}\n`, { log: (l) => plain.push(l) });
      // the calibration samples the passes fit on (the rest are held apart for the fidelity figure)
      expect(
        plain.filter((l) =>
          /^taylor: the cross-entropy against the model's own top class on \d+ samples$/.test(l),
        ).length,
      ).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
