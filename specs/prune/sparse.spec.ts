// Fine-grained pruning on random weights: N:M keeps exactly N nonzeros in every M consecutive inputs
// (l1, random, sparsegpt); weights, kernels and blocks zero exactly round(p·units) units per layer
// (local) or across layers (global) and leave the other units untouched; sparsegpt with H = I is
// magnitude pruning, and with correlated inputs its output error is below magnitude's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import {
  lowest,
  type MagnitudeCriterion,
  pruneNM,
  pruneUnits,
  removedCount,
  type SparseUnit,
  unitScores,
  unitsOf,
} from '../../compiler/passes/prune/masks.ts';
import { outputError, sparseGpt } from '../../compiler/passes/prune/sparsegpt.ts';
import { convView, matrixView, type WeightView } from '../../compiler/passes/weight-view.ts';
import { float32 } from '../../runtime/ir/tensor.ts';

/** Nonzero Gaussian values. */
function randn(n: number, seed: number): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => {
    const x = r();
    return x === 0 ? 1 : x;
  });
}

const convArb = fc.record({
  groups: fc.integer({ min: 1, max: 3 }),
  rowsPerGroup: fc.integer({ min: 1, max: 5 }),
  cinG: fc.integer({ min: 1, max: 6 }),
  k: fc.constantFrom([1, 1], [3, 3], [1, 3], [2, 2]),
  seed: fc.nat(),
});

function conv(
  c: { groups: number; rowsPerGroup: number; cinG: number; k: readonly number[]; seed: number },
  cinMul = 1,
): WeightView {
  const dims = [c.groups * c.rowsPerGroup, c.cinG * cinMul, c.k[0]!, c.k[1]!];
  return convView(
    float32(
      dims,
      randn(
        dims.reduce((a, b) => a * b),
        c.seed,
      ),
    ),
    c.groups,
  );
}

function randomSpd(n: number, seed: number, rank = n): Float64Array {
  const r = normalSampler(seed);
  const samples = rank + 2;
  const h = new Float64Array(n * n);
  const basis = Array.from({ length: rank }, () => Array.from({ length: n }, () => r()));
  for (let s = 0; s < samples * 4; s++) {
    const x = new Float64Array(n);
    for (const b of basis) {
      const z = r();
      for (let i = 0; i < n; i++) x[i]! += z * b[i]!;
    }
    for (let i = 0; i < n; i++) x[i]! += 0.05 * r() + 0.5;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j]! += x[i]! * x[j]!;
  }
  return h;
}

/** Nonzeros in each run of m consecutive columns (input axis) of every row of every group. */
function nmCounts(v: WeightView, m: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < v.groups; g++)
    for (let r = 0; r < v.rows; r++)
      for (let c0 = 0; c0 < v.cols; c0 += m) {
        let nz = 0;
        for (let j = 0; j < m; j++) if (v.data[v.idx(g, r, c0 + j)] !== 0) nz++;
        out.push(nz);
      }
  return out;
}

describe('prune N:M', () => {
  it('keeps exactly N nonzeros in every M consecutive inputs (conv, l1/random)', () => {
    fc.assert(
      fc.property(
        convArb,
        fc.constantFrom([2, 4], [1, 4], [4, 8], [1, 2], [3, 4]),
        fc.constantFrom<MagnitudeCriterion>('l1', 'random'),
        (c, [n, m], crit) => {
          const v = conv(c, m!);
          const before = v.data.slice();
          pruneNM(v, n!, m!, crit, c.seed);
          expect(nmCounts(v, m!).every((x) => x === n)).toBe(true);
          // kept weights are untouched; l1 keeps the largest |w| of each run
          for (let i = 0; i < before.length; i++) if (v.data[i] !== 0) expect(v.data[i]).toBe(before[i]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sparsegpt keeps exactly N nonzeros in every M consecutive inputs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom([2, 4], [1, 4], [4, 8]),
        fc.nat(),
        (rows, groupsOfM, [n, m], seed) => {
          const cols = groupsOfM * m!;
          const v = matrixView(float32([cols, rows], randn(rows * cols, seed)), false);
          const w = Float64Array.from(
            { length: rows * cols },
            (_, k) => v.data[v.idx(0, Math.floor(k / cols), k % cols)]!,
          );
          sparseGpt(
            w,
            rows,
            cols,
            randomSpd(cols, seed + 1, Math.min(cols, 6)),
            { kind: 'nm', n: n!, m: m! },
            { blockSize: 8 },
          );
          for (let r = 0; r < rows; r++)
            for (let c0 = 0; c0 < cols; c0 += m!) {
              let nz = 0;
              for (let j = 0; j < m!; j++) if (w[r * cols + c0 + j] !== 0) nz++;
              expect(nz).toBe(n);
            }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('prune weights, kernels, blocks', () => {
  const unitArb = fc.constantFrom<SparseUnit>(
    { kind: 'weights' },
    { kind: 'kernels' },
    { kind: 'blocks', r: 2, c: 2 },
    { kind: 'blocks', r: 1, c: 4 },
    { kind: 'blocks', r: 3, c: 2 },
  );
  const pArb = fc.constantFrom(0, 0.1, 0.25, 0.5, 0.8, 0.95);

  it('scope local: exactly round(p·units) units zero per layer, the others untouched', () => {
    fc.assert(
      fc.property(
        fc.array(convArb, { minLength: 1, maxLength: 3 }),
        unitArb,
        pArb,
        fc.constantFrom<MagnitudeCriterion>('l1', 'l2', 'random'),
        (convs, unit, p, crit) => {
          const views = convs.map((c) => conv(c));
          const before = views.map((v) => v.data.slice());
          const layers = views.map((v, i) => {
            const units = unitsOf(v, unit);
            return { data: v.data, units, scores: unitScores(v.data, units, crit, i) };
          });
          const removed = pruneUnits(layers, p, 'local');
          layers.forEach((l, li) => {
            const n = l.units.start.length - 1;
            expect(removed[li]).toBe(removedCount(p, n));
            let zeroUnits = 0;
            for (let k = 0; k < n; k++) {
              const ix = Array.from(l.units.idx.subarray(l.units.start[k]!, l.units.start[k + 1]!));
              const zero = ix.every((i) => l.data[i] === 0);
              if (zero) zeroUnits++;
              else for (const i of ix) expect(l.data[i]).toBe(before[li]![i]);
            }
            expect(zeroUnits).toBe(removedCount(p, n));
            // every weight belongs to exactly one unit
            expect(new Set(l.units.idx).size).toBe(l.data.length);
            expect(l.units.idx.length).toBe(l.data.length);
          });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('scope global: round(p·all units) removed across the layers, lowest scores first', () => {
    fc.assert(
      fc.property(fc.array(convArb, { minLength: 2, maxLength: 4 }), unitArb, pArb, (convs, unit, p) => {
        const views = convs.map((c) => conv(c));
        const layers = views.map((v) => {
          const units = unitsOf(v, unit);
          return { data: v.data, units, scores: unitScores(v.data, units, 'l1') };
        });
        const all = layers.flatMap((l) => Array.from(l.scores));
        const removed = pruneUnits(layers, p, 'global');
        expect(removed.reduce((a, b) => a + b, 0)).toBe(removedCount(p, all.length));
        const cut = all.slice().sort((a, b) => a - b)[removedCount(p, all.length) - 1];
        for (const l of layers)
          for (let k = 0; k < l.scores.length; k++) {
            const zero = l.units.idx
              .subarray(l.units.start[k]!, l.units.start[k + 1]!)
              .every((i) => l.data[i] === 0);
            if (zero && cut !== undefined) expect(l.scores[k]).toBeLessThanOrEqual(cut);
          }
      }),
      { numRuns: 60 },
    );
  });

  it('sparsegpt unstructured: exactly round(p·weights) zeros; with H = I it is magnitude pruning', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 70 }),
        pArb,
        fc.nat(),
        (rows, cols, p, seed) => {
          const w0 = Float64Array.from(randn(rows * cols, seed));
          const w = w0.slice();
          sparseGpt(
            w,
            rows,
            cols,
            randomSpd(cols, seed + 1, Math.min(cols, 5)),
            { kind: 'unstructured', p },
            { blockSize: 16 },
          );
          expect(w.filter((x) => x === 0).length).toBe(removedCount(p, rows * cols));
          const eye = new Float64Array(cols * cols);
          for (let i = 0; i < cols; i++) eye[i * cols + i] = 1;
          const a = w0.slice();
          sparseGpt(a, rows, cols, eye, { kind: 'unstructured', p });
          const b = w0.slice();
          for (const k of lowest(b.map(Math.abs), removedCount(p, rows * cols))) b[k] = 0;
          expect(Array.from(a, (x) => x === 0)).toEqual(Array.from(b, (x) => x === 0));
          for (let i = 0; i < a.length; i++) if (a[i] !== 0) expect(a[i]).toBeCloseTo(w0[i]!, 12);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('sparsegpt error on correlated inputs is below magnitude pruning (50% and 2:4)', () => {
    for (const seed of [1, 2, 3]) {
      const rows = 12;
      const cols = 48;
      const h = randomSpd(cols, seed, 8);
      const w0 = Float64Array.from(randn(rows * cols, seed + 10));
      const sg = w0.slice();
      const eSg = sparseGpt(sg, rows, cols, h, { kind: 'unstructured', p: 0.5 });
      const mg = w0.slice();
      for (const k of lowest(mg.map(Math.abs), (rows * cols) / 2)) mg[k] = 0;
      expect(eSg).toBeLessThan(outputError(w0, mg, rows, cols, h));
      const nm = w0.slice();
      const eNm = sparseGpt(nm, rows, cols, h, { kind: 'nm', n: 2, m: 4 });
      const v = matrixView(float32([rows, cols], Float32Array.from(w0)), true);
      pruneNM(v, 2, 4, 'l1');
      expect(eNm).toBeLessThan(outputError(w0, Float64Array.from(v.data), rows, cols, h));
    }
  });
});

describe('sparsegpt fixedTail (bias as the weight of a constant-1 input)', () => {
  it('never prunes the tail, hits the count on the rest, and lowers the error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 40 }),
        fc.nat(),
        (rows, n, seed) => {
          const cols = n + 1;
          // inputs with a large common mean plus a constant-1 column
          const h = randomSpd(cols, seed, Math.min(n, 4));
          const w0 = Float64Array.from(randn(rows * cols, seed + 3));
          const w = w0.slice();
          const e = sparseGpt(w, rows, cols, h, { kind: 'unstructured', p: 0.5 }, { fixedTail: 1 });
          let zeros = 0;
          for (let r = 0; r < rows; r++) {
            expect(w[r * cols + n]).not.toBe(0);
            for (let c = 0; c < n; c++) if (w[r * cols + c] === 0) zeros++;
          }
          expect(zeros).toBe(removedCount(0.5, rows * n));
          expect(Number.isFinite(e)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});
