// The task metrics against independent implementations on the shared fixtures: onnxruntime runs
// the real PP-OCR models, the candidate's outputs are the reference's with seeded noise that grows
// sample by sample (so some answers agree and some do not), and the spec recomputes top-1, the
// decoded text (as characters, through the model's key list) and the text-map IoU its own way.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ctcGreedy, mapIoU, top1 } from '../../compiler/fidelity/answers.ts';
import { boundedMeanInterval, FEW_SCORES, meanInterval, wilson } from '../../compiler/fidelity/interval.ts';
import { FidelityMeter } from '../../compiler/fidelity/metrics.ts';
import { taskOf } from '../../compiler/fidelity/task.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { clsInput, ctcDecode, detInput, fixtures, recInput, runOrt } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

/** Seeded uniform noise in [-scale, scale) added to a copy of `t` (mulberry32, independent of squish's). */
function noisy(t: Tensor, scale: number, seed: number): Tensor {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const src = t.data as Float32Array;
  return { dtype: 'float32', dims: [...t.dims], data: src.map((v) => v + (next() * 2 - 1) * scale) };
}

/** Top-1 of a [1, K] row, written as "the index of the maximum" (first on ties). */
function topClass(t: Tensor): number {
  const d = Array.from(t.data as Float32Array);
  return d.indexOf(Math.max(...d));
}

/** Pixels above the threshold as a set of indices; IoU as |A ∩ B| / |A ∪ B| (1 when both are empty). */
function setIoU(a: Tensor, b: Tensor, threshold: number): number {
  const on = (t: Tensor) => {
    const s = new Set<number>();
    (t.data as Float32Array).forEach((v, i) => {
      if (v > threshold) s.add(i);
    });
    return s;
  };
  const A = on(a);
  const B = on(b);
  let inter = 0;
  for (const i of A) if (B.has(i)) inter++;
  const union = A.size + B.size - inter;
  return union === 0 ? 1 : inter / union;
}

interface Pair {
  ref: Tensor;
  cand: Tensor;
}

async function pairs(model: string, files: string[], input: (f: string) => Promise<Tensor>, scale: number) {
  const out: Pair[] = [];
  for (const [i, f] of files.entries()) {
    const res = await runOrt(model, { x: await input(f) });
    const ref = Object.values(res)[0]!;
    out.push({ ref, cand: noisy(ref, (scale * i) / files.length, 1000 + i) });
  }
  return out;
}

function meter(ps: Pair[], threshold?: number) {
  const m = new FidelityMeter(threshold === undefined ? {} : { threshold });
  for (const p of ps) m.add({ y: p.ref }, { y: p.cand });
  return m.result();
}

describe('task metrics equal independent implementations on the OCR fixtures', () => {
  let cls: Pair[];
  let rec: Pair[];
  let det: Pair[];
  beforeAll(async () => {
    const lines = fixtures('lines').slice(0, 12);
    const mixed = [...lines.slice(0, 8), ...fixtures('flipped').slice(0, 8)].map((f) => f.file);
    cls = await pairs(MODELS.cls, mixed, clsInput, 3);
    rec = await pairs(
      MODELS.rec,
      lines.map((f) => f.file),
      (f) => recInput(f),
      0.6,
    );
    det = await pairs(
      MODELS.det,
      fixtures('pages').map((f) => f.file),
      detInput,
      0.5,
    );
  }, 300_000);

  it('top-1 (the cls model, [1, 2] softmax): the task, each answer and the agreement', () => {
    expect(taskOf(cls[0]!.ref)).toBe('classify');
    for (const p of cls) expect(top1(p.ref)).toEqual([topClass(p.ref)]);
    const agree = cls.filter((p) => topClass(p.ref) === topClass(p.cand)).length;
    expect(agree).toBeGreaterThan(0);
    expect(agree).toBeLessThan(cls.length);
    const f = meter(cls);
    expect([f.metric, f.answers, f.samples]).toEqual(['top1', cls.length, cls.length]);
    expect(f.agreement).toBe(agree / cls.length);
  });

  it('decoded text (the rec model, greedy CTC): equal label sequences are equal texts', () => {
    expect(taskOf(rec[0]!.ref)).toBe('ctc-text');
    // the greedy decoding reads the fixtures' texts (most lines; the model is not perfect)
    const truth = fixtures('lines').slice(0, 12);
    const read = rec.filter((p, i) => ctcDecode(p.ref) === truth[i]!.text).length;
    expect(read).toBeGreaterThanOrEqual(9);
    for (const p of rec) {
      const [labels] = ctcGreedy(p.ref);
      expect(ctcGreedy(p.cand)[0]!.length > 0).toBe(ctcDecode(p.cand).length > 0);
      expect(labels!.length).toBe([...ctcDecode(p.ref)].length);
    }
    const agree = rec.filter((p) => ctcDecode(p.ref) === ctcDecode(p.cand)).length;
    expect(agree).toBeGreaterThan(0);
    expect(agree).toBeLessThan(rec.length);
    const f = meter(rec);
    expect([f.metric, f.answers]).toEqual(['text', rec.length]);
    expect(f.agreement).toBe(agree / rec.length);
    expect(f.interval).toEqual(wilson(agree, rec.length));
  });

  it('text-map IoU (the det model, binarized at 0.3 and at a set threshold)', () => {
    expect(taskOf(det[0]!.ref)).toBe('segment-map');
    for (const threshold of [0.3, 0.6]) {
      const ious = det.map((p) => setIoU(p.ref, p.cand, threshold));
      for (const [i, p] of det.entries())
        expect(mapIoU(p.ref, p.cand, threshold)[0]).toBeCloseTo(ious[i]!, 12);
      expect(Math.min(...ious)).toBeLessThan(1);
      const f = meter(det, threshold);
      expect([f.metric, f.threshold, f.answers]).toEqual(['iou', threshold, det.length]);
      expect(f.value).toBeCloseTo(ious.reduce((s, x) => s + x, 0) / ious.length, 12);
      expect(f.agreement).toBe(f.value);
    }
  });
});

/** The Wilson interval as the set of p whose score test accepts p̂: |p̂ − p| ≤ z·√(p(1−p)/n), by bisection. */
function wilsonByBisection(k: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p0 = k / n;
  const accepts = (p: number) => Math.abs(p0 - p) <= z * Math.sqrt((p * (1 - p)) / n);
  const edge = (inside: number, outside: number) => {
    for (let i = 0; i < 200; i++) {
      const mid = (inside + outside) / 2;
      if (accepts(mid)) inside = mid;
      else outside = mid;
    }
    return inside;
  };
  return [k === 0 ? 0 : edge(p0, 0), k === n ? 1 : edge(p0, 1)];
}

describe('95% intervals', () => {
  it('Wilson equals the score test inverted by bisection (property; prints the seed on failure)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 500 })
          .chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))),
        ([k, n]) => {
          const w = wilson(k, n);
          const [lo, hi] = wilsonByBisection(k, n);
          expect(w.low).toBeCloseTo(lo, 9);
          expect(w.high).toBeCloseTo(hi, 9);
          expect(w.low).toBeLessThanOrEqual(k / n);
          expect(w.high).toBeGreaterThanOrEqual(k / n);
        },
      ),
      { numRuns: 200, verbose: true },
    );
  });

  it('few samples make the interval wide: 3 of 3 agreeing still admits 44%', () => {
    expect(wilson(3, 3).low).toBeCloseTo(wilsonByBisection(3, 3)[0], 9);
    expect(wilson(3, 3).low).toBeLessThan(0.5);
    expect(wilson(300, 300).low).toBeGreaterThan(0.98);
  });

  it('the mean interval holds the mean and narrows as scores agree', () => {
    const i = meanInterval([0.9, 0.8, 0.95, 0.85], 0, 1)!;
    expect(i.low).toBeLessThan(0.875);
    expect(i.high).toBeGreaterThan(0.875);
    expect(meanInterval([0.9])).toBeUndefined();
  });

  it('IoU from few pages: the interval holds both the t and the worst-case Wilson interval', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (s) => {
          const b = boundedMeanInterval(s)!;
          const t = meanInterval(s, 0, 1);
          const mean = s.reduce((a, x) => a + x, 0) / s.length;
          expect(b.low).toBeLessThanOrEqual(mean + 1e-12);
          expect(b.high).toBeGreaterThanOrEqual(mean - 1e-12);
          if (t) expect(b.low <= t.low + 1e-12 && b.high >= t.high - 1e-12).toBe(true);
          if (s.length < FEW_SCORES) {
            const w = wilson(
              s.reduce((a, x) => a + x, 0),
              s.length,
            );
            expect(b.low <= w.low + 1e-12 && b.high >= w.high - 1e-12).toBe(true);
          } else expect(b).toEqual(t);
        },
      ),
      { numRuns: 300, verbose: true },
    );
    // det-slim's held-apart pages (IoU 0.960 and 0.985 on the fixtures): the t interval alone said
    // [84–100%]-ish while 48 transfer pages averaged 0.726 against the same compile
    expect(boundedMeanInterval([0.9595, 0.9854])!.low).toBeLessThan(0.726);
  });

  it('on pages that vary (dense and sparse text), few-page intervals cover the mean ≥ 95% of draws', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const page = () => (rnd() < 0.3 ? 0.96 + 0.02 * rnd() : 0.5 + 0.45 * rnd());
    const mean = 0.3 * 0.97 + 0.7 * 0.725;
    for (const n of [2, 4, 6, 12]) {
      let t = 0;
      let b = 0;
      for (let k = 0; k < 2000; k++) {
        const s = Array.from({ length: n }, page);
        const ti = meanInterval(s, 0, 1)!;
        const bi = boundedMeanInterval(s)!;
        t += ti.low <= mean && mean <= ti.high ? 1 : 0;
        b += bi.low <= mean && mean <= bi.high ? 1 : 0;
      }
      console.log(`${n} pages: t covers ${t / 20}%, bounded ${b / 20}%`);
      expect(b / 2000).toBeGreaterThanOrEqual(n < FEW_SCORES ? 0.95 : 0.93);
    }
  });
});
