// Loss terms: each block's value equals the formula computed here, its gradient equals finite
// differences (through both runtimes), and CTC (computed in TypeScript) equals brute-force
// enumeration of alignments, with a gradient equal to finite differences.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rng } from '../../compiler/data/random.ts';
import { buildTrainingGraph } from '../../compiler/train/graph/training-graph.ts';
import { ctcLoss } from '../../compiler/train/loss/ctc.ts';
import type { LossTerm } from '../../compiler/train/loss/terms.ts';
import { weightValues } from '../../compiler/train/weights.ts';
import { type Case, caseModel } from './cases.ts';
import { checkCase, ORT } from './fd.ts';

const softmaxCase = (loss: LossTerm[]): Case => ({
  label: loss.map((t) => t.kind).join('+'),
  nodes: [{ op: 'Softmax', inputs: ['z'], outputs: ['p'], attrs: { axis: -1 } }],
  operands: { z: { dims: [3, 4], lo: -2, hi: 2 } },
  outputs: ['p'],
  loss,
});

function softmax(row: number[], T = 1): number[] {
  const m = Math.max(...row.map((v) => v / T));
  const e = row.map((v) => Math.exp(v / T - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('loss terms', () => {
  it('each block has the textbook value', async () => {
    const model = caseModel(softmaxCase([]), 11);
    const z = Array.from(model.graph.constant('z')!.data as Float32Array);
    const rows = [0, 1, 2].map((r) => z.slice(r * 4, r * 4 + 4));
    const p = rows.map((r) => softmax(r));
    const teacher = [0, 1, 2].map((r) => softmax(rows[r]!.map((v, j) => v * 0.5 + j * 0.3)));
    const labels = [2, 0, 3];
    const T = 3;
    const expected: Record<string, number> = {
      mse: p.flat().reduce((s, v, i) => s + (v - teacher.flat()[i]!) ** 2, 0) / 12,
      l1: p.flat().reduce((s, v, i) => s + Math.abs(v - teacher.flat()[i]!), 0) / 12,
      cosine:
        p.reduce((s, row, r) => {
          const t = teacher[r]!;
          const dot = row.reduce((a, v, j) => a + v * t[j]!, 0);
          const n = Math.hypot(...row) * Math.hypot(...t);
          return s + 1 - dot / n;
        }, 0) / 3,
      kl:
        (T *
          T *
          rows.reduce((s, row, r) => {
            const q = softmax(teacher[r]!.map(Math.log), T);
            const pt = softmax(row, T);
            return s + q.reduce((a, v, j) => a + v * (Math.log(v) - Math.log(pt[j]!)), 0);
          }, 0)) /
        3,
      'cross-entropy': -rows.reduce((s, row, r) => s + Math.log(softmax(row)[labels[r]!]!), 0) / 3,
    };
    for (const kind of Object.keys(expected) as LossTerm['kind'][]) {
      const term: LossTerm = {
        kind,
        value: 'p',
        temperature: kind === 'kl' ? T : undefined,
        target: kind === 'cross-entropy' ? 'label' : 'teacher',
      };
      const tg = buildTrainingGraph(model, {
        inputShapes: {},
        loss: [term],
        weights: 'all',
        gradients: false,
      });
      const feeds = { ...weightValues(model, tg.weights) };
      for (const t of tg.targets) {
        const data =
          t.source === 'teacher'
            ? teacher.flat()
            : labels.flatMap((k) => [0, 1, 2, 3].map((j) => (j === k ? 1 : 0)));
        feeds[t.input] = { dtype: 'float32', dims: t.shape, data: Float32Array.from(data) };
      }
      const r = await ORT(tg.model);
      const out = await r.run(feeds);
      await r.release();
      expect((out[tg.loss!]!.data as Float32Array)[0]).toBeCloseTo(expected[kind]!, 5);
    }
  });

  it('gradients through every block (and a weighted sum) equal finite differences', async () => {
    const sets: LossTerm[][] = [
      [{ kind: 'mse', value: 'p', target: 'label' }],
      [{ kind: 'l1', value: 'p', target: 'label' }],
      [{ kind: 'cosine', value: 'p', target: 'label' }],
      [{ kind: 'kl', value: 'p', temperature: 4, target: 'label' }],
      [{ kind: 'cross-entropy', value: 'p', target: 'label' }],
      [
        { kind: 'kl', value: 'p', temperature: 2, weight: 0.7 },
        { kind: 'mse', value: 'p', weight: 0.3, target: 'label' },
      ],
    ];
    for (const loss of sets) expect(await checkCase(softmaxCase(loss), 5)).toBe('');
  });

  it('ctc equals the sum over every alignment, and its gradient equals finite differences', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        (T, C, raw, seed) => {
          const label = raw.map((k) => 1 + ((k - 1) % (C - 1)));
          const next = rng(seed);
          const logits = Float32Array.from({ length: T * C }, () => next() * 4 - 2);
          const { loss, grad, infeasible } = ctcLoss(logits, [1, T, C], [label]);
          // brute force: every path of T classes that collapses (repeats merged, blanks dropped) to the label
          const lp = Array.from({ length: T }, (_, t) => softmax(Array.from(logits.slice(t * C, t * C + C))));
          let total = 0;
          for (let code = 0; code < C ** T; code++) {
            const path = Array.from({ length: T }, (_, t) => Math.floor(code / C ** t) % C);
            const collapsed = path.filter((k, t) => k !== 0 && (t === 0 || k !== path[t - 1]));
            if (collapsed.join() === label.join()) total += path.reduce((p, k, t) => p * lp[t]![k]!, 1);
          }
          if (total === 0) {
            expect(infeasible).toBe(1);
            return;
          }
          expect(loss).toBeCloseTo(-Math.log(total), 5);
          for (let i = 0; i < logits.length; i++) {
            const h = 1e-3;
            const up = Float32Array.from(logits);
            const dn = Float32Array.from(logits);
            up[i]! += h;
            dn[i]! -= h;
            const fd =
              (ctcLoss(up, [1, T, C], [label]).loss - ctcLoss(dn, [1, T, C], [label]).loss) / (2 * h);
            expect(Math.abs(grad[i]! - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
