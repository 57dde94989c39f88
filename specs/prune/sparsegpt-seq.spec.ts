// The pieces of sequential sparsegpt and of reconstruct least-squares: GramBuffer equals Σ v·vᵀ and
// Σ v̄·vᵀ; refitRow never raises the masked row's calibration error and keeps its zeros; a SampleCursor walking
// layer inputs one step at a time returns exactly what a full run observes, and sees weights edited
// between steps; the refit towards the original outputs solves its normal equations (and is the
// identity when the inputs did not change); grouped sparsegpt removes exactly round(p·all) weights
// across the groups and picks them jointly (a group with larger weights loses fewer).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { SampleCursor } from '../../compiler/passes/prune/cursor.ts';
import { GramBuffer } from '../../compiler/passes/prune/gram.ts';
import { removedCount } from '../../compiler/passes/prune/masks.ts';
import { refitRow } from '../../compiler/passes/prune/refit-masked.ts';
import { sparseGptGroups } from '../../compiler/passes/prune/sparsegpt.ts';
import { refitToTarget } from '../../compiler/passes/prune/sparsegpt-layers.ts';
import { createSession } from '../../runtime/exec/index.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel } from '../compiler/graphs.ts';

const randn = (n: number, seed: number) => Float64Array.from({ length: n }, normalSampler(seed));

function spd(n: number, seed: number): Float64Array {
  const a = randn(n * (n + 3), seed);
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n + 3; k++) s += a[i * (n + 3) + k]! * a[j * (n + 3) + k]!;
      h[i * n + j] = s;
    }
  return h;
}

describe('GramBuffer', () => {
  it('H += Σ v·vᵀ (lower triangle) and X += Σ v̄·vᵀ for any count and buffer size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.nat(),
        (n, count, cap, seed) => {
          const vs = randn(n * count, seed);
          const vos = randn(n * count, seed + 1);
          const h = new Float64Array(n * n);
          const x = new Float64Array(n * n);
          const buf = new GramBuffer(n, h, x, cap);
          for (let k = 0; k < count; k++)
            buf.push(vs.subarray(k * n, (k + 1) * n), vos.subarray(k * n, (k + 1) * n));
          buf.flush();
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
              let sh = 0;
              let sx = 0;
              for (let k = 0; k < count; k++) {
                sh += vs[k * n + i]! * vs[k * n + j]!;
                sx += vos[k * n + i]! * vs[k * n + j]!;
              }
              expect(h[i * n + j]).toBeCloseTo(j <= i ? sh : 0, 9);
              expect(x[i * n + j]).toBeCloseTo(sx, 9);
            }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('SampleCursor', () => {
  const r = normalSampler(5);
  const rand = (n: number) => Float32Array.from({ length: n }, () => r() * 0.5);
  const model = () =>
    buildModel({
      inputs: [{ name: 'x', dims: [1, 3, 5, 5] }],
      outputs: ['y'],
      nodes: [
        {
          op: 'Conv',
          name: 'c1',
          inputs: ['x', 'w1'],
          outputs: ['a'],
          attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        },
        { op: 'Relu', name: 'r1', inputs: ['a'], outputs: ['b'] },
        { op: 'Conv', name: 'c2', inputs: ['b', 'w2'], outputs: ['c'], attrs: { kernel_shape: [1, 1] } },
        { op: 'Add', name: 'add', inputs: ['c', 'b'], outputs: ['d'] },
        { op: 'Conv', name: 'c3', inputs: ['d', 'w3'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } },
      ],
      initializers: {
        w1: float32([4, 3, 3, 3], rand(108)),
        w2: float32([4, 4, 1, 1], rand(16)),
        w3: float32([2, 4, 1, 1], rand(8)),
      },
    });
  const samples = [0, 1, 2].map((s) => ({ x: float32([1, 3, 5, 5], Float32Array.from(randn(75, 40 + s))) }));

  it('step by step equals a full run, and later steps see weights edited in between', async () => {
    const m = model();
    const full = await createSession(m, { backend: 'cpu' });
    const want = await Promise.all(samples.map((s) => full.run(s, { observe: ['b', 'd'] })));
    full.dispose();
    const cur = new SampleCursor(m, samples);
    const bs = await cur.walk(['b']);
    for (const [i, v] of bs.entries())
      expect(Array.from(v[0]!.data as Float32Array)).toEqual(Array.from(want[i]!.b!.data as Float32Array));
    // edit c2 (downstream of b, upstream of d): d must reflect it; b is reused, not recomputed
    const w2 = m.graph.constant('w2')!.data as Float32Array;
    w2.fill(0);
    const ds = await cur.walk(['d']);
    for (const [i, v] of ds.entries())
      expect(Array.from(v[0]!.data as Float32Array)).toEqual(Array.from(want[i]!.b!.data as Float32Array));
  });
});

describe('refitToTarget', () => {
  it('solves W′(H + λI) = W(X + λI); with unchanged inputs (X = H) it keeps W', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        (rows, n, seed) => {
          const h = spd(n, seed);
          const x = randn(n * n, seed + 2);
          const w = randn(rows * n, seed + 3);
          const same = w.slice();
          refitToTarget(same, rows, n, h, h, 0.01);
          for (let i = 0; i < w.length; i++) expect(same[i]).toBeCloseTo(w[i]!, 8);
          const w2 = w.slice();
          refitToTarget(w2, rows, n, h, x, 0.01);
          let mean = 0;
          for (let i = 0; i < n; i++) mean += h[i * n + i]! / n;
          const lam = 0.01 * mean;
          for (let rr = 0; rr < rows; rr++)
            for (let j = 0; j < n; j++) {
              let lhs = lam * w2[rr * n + j]!;
              let rhs = lam * w[rr * n + j]!;
              for (let k = 0; k < n; k++) {
                lhs += w2[rr * n + k]! * h[k * n + j]!;
                rhs += w[rr * n + k]! * x[k * n + j]!;
              }
              expect(lhs).toBeCloseTo(rhs, 6);
            }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('refitRow (reconstruct least-squares after a mask)', () => {
  it('keeps the zeros and never raises Σ(w′·x − w·x̄)² on the calibration rows above the masked row', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        (n, m, noise, seed) => {
          const r = normalSampler(seed);
          // correlated inputs x (shared factor), originals x̄ = x + noise
          const xs = Array.from({ length: m }, () => {
            const f = r();
            return Float64Array.from({ length: n }, () => f + 0.3 * r());
          });
          const xos = xs.map((x) => x.map((v) => v + noise * r()));
          const h = new Float64Array(n * n);
          const x = new Float64Array(n * n);
          for (let k = 0; k < m; k++)
            for (let i = 0; i < n; i++)
              for (let j = 0; j < n; j++) {
                h[i * n + j]! += xs[k]![i]! * xs[k]![j]!;
                x[i * n + j]! += xos[k]![i]! * xs[k]![j]!;
              }
          const w = randn(n, seed + 1);
          const keep = Array.from({ length: n }, (_, i) => i).filter((i) => (i + seed) % 2 === 0);
          const masked = w.map((v, i) => (keep.includes(i) ? v : 0));
          const refit = masked.slice();
          refitRow(refit, w, n, h, x, keep);
          const obj = (u: Float64Array) =>
            xs.reduce((s, xk, k) => {
              let e = 0;
              for (let i = 0; i < n; i++) e += u[i]! * xk[i]! - w[i]! * xos[k]![i]!;
              return s + e * e;
            }, 0);
          for (let i = 0; i < n; i++) if (!keep.includes(i)) expect(refit[i]).toBe(0);
          expect(obj(refit)).toBeLessThanOrEqual(obj(masked) * (1 + 1e-9) + 1e-9);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('sparseGptGroups', () => {
  it('removes exactly round(p·all) weights across the groups, the fixed tail never', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 12 }),
        fc.constantFrom(0.1, 0.3, 0.5, 0.7),
        fc.nat(),
        (groups, n, p, seed) => {
          const cols = n + 1;
          const ws = Array.from({ length: groups }, (_, g) =>
            randn(cols, seed + g).map((v) => (v === 0 ? 1 : v)),
          );
          const hs = ws.map((_, g) => spd(cols, seed + 50 + g));
          sparseGptGroups(ws, 1, cols, hs, { kind: 'unstructured', p }, { fixedTail: 1, blockSize: 4 });
          let zeros = 0;
          for (const w of ws) {
            expect(w[n]).not.toBe(0);
            for (let c = 0; c < n; c++) if (w[c] === 0) zeros++;
          }
          expect(zeros).toBe(removedCount(p, groups * n));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('chooses jointly: a group whose weights are 100× larger loses fewer', () => {
    const n = 9;
    const eye = new Float64Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 1;
    const small = randn(n, 1).map((v) => v * 0.01);
    const big = randn(n, 2).map((v) => v * 1);
    sparseGptGroups([small, big], 1, n, [eye, eye], { kind: 'unstructured', p: 0.5 });
    const z = (w: Float64Array) => w.filter((v) => v === 0).length;
    expect(z(small) + z(big)).toBe(removedCount(0.5, 2 * n));
    expect(z(small)).toBeGreaterThan(z(big));
  });
});
