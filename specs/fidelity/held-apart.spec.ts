// Held-apart samples never reach a fitting step. The data source is instrumented: an in-memory host
// serves 8 calibration tensors, each marked with its id, and records what is read; the fidelity
// runner records which samples it measures. A compile with data-driven fits (GPTQ with bias
// correction, clustering by OBS on the input Hessian, activation ranges) then gives the same bytes
// when the held-apart samples are replaced by wildly different data, and other bytes when a
// fitting sample is — so the fits read exactly the others.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileModel, runtimeRunner } from '../../compiler/compile.ts';
import type { Host } from '../../compiler/data/host.ts';
import { heldApartCount, holdApart, MIN_HELD_APART } from '../../compiler/data/split.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { serializeNpy } from '../../runtime/npy.ts';
import { buildModel, bytesOf } from '../compiler/graphs.ts';

const W = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 11 - 0.5);
const model = bytesOf(
  buildModel({
    inputs: [{ name: 'x', dims: [1, 4, 6, 6] }],
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: 'c1', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['b'] },
      { op: 'Conv', name: 'c2', inputs: ['b', 'w2'], outputs: ['y'] },
    ],
    initializers: {
      w1: float32([8, 4, 3, 3], W(288)),
      b1: float32([8], W(8)),
      w2: float32([8, 8, 1, 1], W(64)),
    },
  }),
);

const N = 8;
const SIZE = 4 * 6 * 6;
/** Sample `id`: seeded values times `scale`, its id in the last element (kept through every change). */
function sample(id: number, scale = 1): Uint8Array {
  const d = new Float32Array(SIZE);
  for (let i = 0; i < SIZE - 1; i++) d[i] = Math.sin(id * 97 + i * 1.3) * scale;
  d[SIZE - 1] = id / 100;
  return serializeNpy(float32([1, 4, 6, 6], d));
}
const idOf = (t: Tensor) => Math.round((t.data as Float32Array)[SIZE - 1]! * 100);

function host(files: Map<string, Uint8Array>, reads: string[]): Host {
  return {
    readFile: async (p) => {
      reads.push(p);
      const b = files.get(p);
      if (!b) throw new Error(`no file ${p}`);
      return b;
    },
    resolve: (_from, rel) => `/data/${rel}`,
    glob: async () => [...files.keys()].sort(),
    readText: () => undefined,
  };
}

const RECIPE = `model { input x: float32[1, 4, 6, 6] }
calibrate { tensors "cal/*.npy"  seed 5 }
quantize weights of conv[0] { bits 4  per-channel  method gptq }
cluster weights of conv[1] { clusters 4 }
quantize activations { bits 8 }
`;

async function compileWith(files: Map<string, Uint8Array>) {
  const reads: string[] = [];
  const measured: number[] = [];
  const runner = async (m: Parameters<ReturnType<typeof runtimeRunner>>[0]) => {
    const run = await runtimeRunner()(m);
    return (feeds: Record<string, Tensor>) => {
      measured.push(idOf(feeds.x!));
      return run(feeds);
    };
  };
  const r = await compileModel(model, RECIPE, {
    recipeFile: '/data/r.squish',
    host: host(files, reads),
    runner,
  });
  return { bytes: r.model, report: r.report, reads, measured };
}

const original = () => new Map(Array.from({ length: N }, (_, i) => [`/data/cal/s${i}.npy`, sample(i)]));

describe('held-apart samples', () => {
  it('never reach a fitting step, and are the only ones fidelity measures', async () => {
    const base = await compileWith(original());
    // every file was read once (loading), nothing more: passes have no other way to data
    expect(base.reads.sort()).toEqual([...original().keys()].sort());
    const held = [...new Set(base.measured)].sort();
    expect(held.length).toBe(3); // 25% of 8 is 2; at least 3 are held apart
    expect(base.measured.length).toBe(2 * held.length); // original and compressed, once each
    const f = base.report.fidelity!;
    expect(f.measured_on).toEqual({ samples: 3, of: 8, held_apart: true, source: 'tensors' });
    expect(f.samples).toBe(3);

    // the held-apart samples replaced by data 40× larger: the fits (and so the bytes) are unchanged
    const swapped = original();
    for (const id of held) swapped.set(`/data/cal/s${id}.npy`, sample(id, 40));
    const again = await compileWith(swapped);
    expect([...new Set(again.measured)].sort()).toEqual(held);
    expect(Buffer.from(again.bytes).equals(Buffer.from(base.bytes))).toBe(true);

    // one fitting sample replaced the same way: the fits see it, so the bytes change
    const fitId = [...Array(N).keys()].find((i) => !held.includes(i))!;
    const touched = original();
    touched.set(`/data/cal/s${fitId}.npy`, sample(fitId, 40));
    const third = await compileWith(touched);
    expect(Buffer.from(third.bytes).equals(Buffer.from(base.bytes))).toBe(false);
  });

  it('the split: disjoint, complete, deterministic for the seed, at least a few held apart', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 100 }),
        fc.nat(),
        (n, pct, seed) => {
          const items = Array.from({ length: n }, (_, i) => i);
          const s = holdApart(items, pct / 100, seed);
          expect(holdApart(items, pct / 100, seed)).toEqual(s);
          expect([...s.fit, ...s.heldApart].sort((a, b) => a - b)).toEqual(items);
          expect(s.heldApart).toEqual(s.heldIndices);
          const count = heldApartCount(n, pct / 100);
          expect(s.heldApart.length).toBe(count);
          if (pct > 0 && n >= 2 * MIN_HELD_APART) expect(count).toBeGreaterThanOrEqual(MIN_HELD_APART);
          if (n > 0) expect(s.fit.length).toBeGreaterThan(0);
          if (pct === 0) expect(count).toBe(0);
        },
      ),
      { numRuns: 300, verbose: true },
    );
  });
});
