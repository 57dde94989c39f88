// Optimizers, schedules and constraints against their defining formulas.

import { describe, expect, it } from 'vitest';
import { clipGradients, l1Penalty, tieGradients } from '../../compiler/train/optim/constraints.ts';
import { createOptimizer } from '../../compiler/train/optim/optimizers.ts';
import { learningRate } from '../../compiler/train/optim/schedule.ts';

const one = (v: number) => new Map([['w', Float32Array.of(v)]]);

describe('optimizers', () => {
  it('SGD with momentum and Nesterov follows v ← μv + g, w ← w − lr·(g + μv)', () => {
    const opt = createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true });
    const w = one(1);
    let v = 0;
    let ref = 1;
    for (const g of [0.5, -0.2, 0.3]) {
      opt.step(w, one(g), 0.1);
      v = 0.9 * v + g;
      ref -= 0.1 * (g + 0.9 * v);
      expect(w.get('w')![0]).toBeCloseTo(ref, 6);
    }
  });

  it('AdamW: the first step moves each weight by lr·sign(g) plus decoupled decay', () => {
    const opt = createOptimizer({ kind: 'adamw', lr: 0.01, weightDecay: 0.1 });
    const w = one(2);
    opt.step(w, one(-3), 0.01);
    expect(w.get('w')![0]).toBeCloseTo(2 + 0.01 - 0.01 * 0.1 * 2, 6);
  });

  it('schedules: warm-up, cosine, step and linear', () => {
    expect(learningRate(1, { warmup: 4 }, 0, 100)).toBeCloseTo(0.25);
    expect(learningRate(1, { kind: 'cosine' }, 0, 11)).toBeCloseTo(1);
    expect(learningRate(1, { kind: 'cosine' }, 5, 11)).toBeCloseTo(0.5);
    expect(learningRate(1, { kind: 'cosine', minLr: 0.1 }, 10, 11)).toBeCloseTo(0.1);
    expect(learningRate(1, { kind: 'step', stepSize: 10, gamma: 0.5 }, 25, 100)).toBeCloseTo(0.25);
    expect(learningRate(1, { kind: 'linear' }, 5, 11)).toBeCloseTo(0.5);
  });

  it('constraints: tied gradients are summed per group, L1 adds λ·sign(w), clipping bounds the global norm', () => {
    const g = new Map([['w', Float32Array.of(1, 2, 3, 4)]]);
    tieGradients(g, new Map([['w', Int32Array.of(0, 1, 0, -1)]]));
    expect([...g.get('w')!]).toEqual([4, 2, 4, 4]);
    const w = new Map([['w', Float32Array.of(-1, 0.5, 0, 2)]]);
    const grads = new Map([['w', new Float32Array(4)]]);
    expect(l1Penalty(w, grads, new Map([['w', 0.1]]))).toBeCloseTo(0.35);
    expect([...grads.get('w')!].map((v) => Math.round(v * 10) / 10)).toEqual([-0.1, 0.1, 0, 0.1]);
    const c = new Map([
      ['a', Float32Array.of(3)],
      ['b', Float32Array.of(4)],
    ]);
    expect(clipGradients(c, 1)).toBeCloseTo(5);
    expect(c.get('a')![0]).toBeCloseTo(0.6);
    expect(c.get('b')![0]).toBeCloseTo(0.8);
  });
});
