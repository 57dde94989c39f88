// Training keeps the recipe's structure, checked exactly on the trained model against the same
// recipe compiled without its distill statement: pruned zeros stay zero, clustered weights keep their
// indices and train their codebook (the pruned entry stays 0), 4-bit and ternary weights keep their
// scales and stay codes in range, and `keep` layers and layers outside `distill of …` are unchanged.
// The report gains its training section. Tiny settings: 8 transfer lines, 4 steps of batch 2.

import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLDOUT, heldApartCount } from '../../compiler/data/split.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import { clsHeader, compileCls, floats, readModel, weightValue } from './support.ts';

const LOSSY = `
prune weights of "p2o.Conv.44" { sparsity 60% }
prune weights of "p2o.Conv.46" { sparsity 50% }
cluster weights of "p2o.Conv.45" { clusters 8 }
quantize weights of "p2o.Conv.49" { bits 4  per-channel  symmetric }
quantize weights of "p2o.Conv.50" { ternary }
keep "p2o.Conv.51"
`;
// a large learning rate, so that 4 steps move 4-bit codes across rounding boundaries
const DISTILL =
  'distill of conv where params > 1k { teacher original  loss kl  steps 4  batch 2  lr 5e-2  seed 3 }';

/** The producer chain of a layer's weight: its Gather codebook + indices, or DQ codes + scale. */
function storage(g: Graph, layer: string) {
  const w = weightValue(g, layer);
  const p = g.producer(w);
  if (p?.opType === 'Gather') {
    const cast = g.producer(p.inputs[1]!);
    return {
      codebook: floats(g.constant(p.inputs[0]!)),
      indices: g.constant(cast?.inputs[0] ?? p.inputs[1]!)!,
    };
  }
  if (p?.opType === 'DequantizeLinear')
    return { codes: g.constant(p.inputs[0]!)!, scale: floats(g.constant(p.inputs[1]!)) };
  return { weight: floats(g.constant(w)) };
}

describe('distill keeps the structure of the compressed model', () => {
  it('masks, sharing, fake quantization and frozen layers hold exactly after training', {
    timeout: 600_000,
  }, async () => {
    const plain = await compileCls(clsHeader(8) + LOSSY);
    const trained = await compileCls(`${clsHeader(8) + LOSSY}\n${DISTILL}\n`);
    const a = readModel(plain.model).graph;
    const b = readModel(trained.model).graph;

    const pa = storage(a, 'p2o.Conv.44').weight!;
    const pb = storage(b, 'p2o.Conv.44').weight!;
    const zeros = pa.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    expect(zeros).toBeGreaterThanOrEqual(Math.floor(0.6 * pa.length));
    for (let i = 0; i < pa.length; i++) if (pa[i] === 0) expect(pb[i]).toBe(0);
    const moved = pa.filter((v, i) => v !== pb[i]).length;
    expect(moved).toBeGreaterThan(0);

    const ca = storage(a, 'p2o.Conv.45');
    const cb = storage(b, 'p2o.Conv.45');
    expect([...cb.indices!.data]).toEqual([...ca.indices!.data]);
    expect(cb.codebook!.length).toBe(ca.codebook!.length);
    expect([...cb.codebook!]).not.toEqual([...ca.codebook!]);
    ca.codebook!.forEach((v, k) => {
      if (v === 0) expect(cb.codebook![k]).toBe(0);
    });

    for (const [layer, lo, hi] of [
      ['p2o.Conv.49', -8, 7],
      ['p2o.Conv.50', -1, 1],
    ] as const) {
      const qa = storage(a, layer);
      const qb = storage(b, layer);
      expect(qb.codes!.dtype).toBe(qa.codes!.dtype);
      expect([...qb.scale!]).toEqual([...qa.scale!]);
      const codes = [...(qb.codes!.data as Int8Array)];
      expect(Math.min(...codes)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...codes)).toBeLessThanOrEqual(hi);
      const changed = codes.filter((c, i) => c !== Number(qa.codes!.data[i])).length;
      console.log(`${layer}: ${changed} of ${codes.length} codes changed by training`);
      if (lo === -8) expect(changed).toBeGreaterThan(0);
    }

    for (const frozen of ['p2o.Conv.51', 'p2o.Conv.0', 'p2o.Conv.16'])
      expect([...storage(b, frozen).weight!]).toEqual([...storage(a, frozen).weight!]);

    const s = trained.report.training!;
    expect(s.runs).toBeUndefined();
    expect(s.kind).toBe('distill');
    expect(s.steps).toBe(4);
    expect(s.loss_curve.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(s.trained_layers).not.toContain('p2o.Conv.51');
    expect(s.trained_layers).not.toContain('p2o.Conv.0');
    expect(s.trained_layers).toContain('p2o.Conv.44');
    expect(s.weights.codebook).toBe(ca.codebook!.length);
    expect(s.weights.masked).toBeGreaterThan(0);
    // training sees the fitting share only: 8 calibration samples minus those held apart for fidelity
    expect(s.agreement.samples).toBe(8 - heldApartCount(8, DEFAULT_HOLDOUT));
    expect(plain.report.training).toBeUndefined();
    console.log(
      `trained ${s.trained_layers.length} layers (${s.weights.trained} weights, ${s.weights.masked} masked, ${s.weights.fake_quantized} fake-quantized, ${s.weights.codebook} centroids), ${s.frozen_layers} frozen; ${s.steps} steps in ${s.time_ms} ms; loss ${s.loss_curve.map((p) => p.loss.toFixed(3)).join(' → ')}`,
    );
  });
});
