// Huffman specs: code lengths optimal (equal cost to an independent merge-cost computation, within
// [H, H+1) of the entropy), prefix-free canonical codes, encode∘decode identity, length limits,
// corrupted streams rejected with a UserError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalCodes,
  huffmanDecode,
  huffmanEncode,
  huffmanLengths,
} from '../../compiler/codec/huffman.ts';
import { isUserError } from '../../runtime/errors.ts';

/** Optimal prefix-code cost Σ f·len, computed independently as the sum of all Huffman merges. */
function mergeCost(freqs: number[]): number {
  const q = freqs.filter((f) => f > 0);
  if (q.length === 1) return q[0]!;
  let cost = 0;
  while (q.length > 1) {
    q.sort((a, b) => a - b);
    const s = q.shift()! + q.shift()!;
    cost += s;
    q.push(s);
  }
  return cost;
}

const freqArb = fc.array(
  fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1e6 })),
  {
    minLength: 1,
    maxLength: 80,
  },
);

const cost = (f: number[], l: Uint8Array): number => f.reduce((s, x, i) => s + x * l[i]!, 0);

describe('huffmanLengths', () => {
  it('are optimal: cost equals the merge cost, average length in [H, H+1), Kraft sum 1', () => {
    fc.assert(
      fc.property(freqArb, (freqs) => {
        const total = freqs.reduce((a, b) => a + b, 0);
        const lens = huffmanLengths(freqs);
        expect(Array.from(lens, (l) => l > 0)).toEqual(freqs.map((f) => f > 0));
        if (total === 0) return;
        expect(cost(freqs, lens)).toBe(mergeCost(freqs));
        const used = freqs.filter((f) => f > 0);
        const H = -used.reduce((s, f) => s + (f / total) * Math.log2(f / total), 0);
        const avg = cost(freqs, lens) / total;
        expect(avg).toBeGreaterThanOrEqual(H - 1e-9);
        // A lone symbol still needs one bit (H = 0); from two symbols on, avg < H + 1.
        if (used.length > 1) expect(avg).toBeLessThan(H + 1);
        else expect(avg).toBe(1);
        const kraft = Array.from(lens).reduce((s, l) => s + (l > 0 ? 2 ** -l : 0), 0);
        expect(kraft).toBeCloseTo(used.length === 1 ? 0.5 : 1, 12);
      }),
      { numRuns: 200 },
    );
  });

  it('length-limited codes respect the limit, satisfy Kraft, and match a brute-force optimum', () => {
    // Brute force over non-increasing frequencies ↔ non-decreasing lengths ≤ L.
    function bruteForce(f: number[], L: number): number {
      const w = f.filter((x) => x > 0).sort((a, b) => b - a);
      let best = Number.POSITIVE_INFINITY;
      const lens: number[] = [];
      const go = (i: number, min: number, kraft: number): void => {
        if (kraft > 1 + 1e-12) return;
        if (i === w.length) {
          best = Math.min(
            best,
            w.reduce((s, x, k) => s + x * lens[k]!, 0),
          );
          return;
        }
        for (let l = min; l <= L; l++) {
          lens[i] = l;
          go(i + 1, l, kraft + 2 ** -l);
        }
      };
      go(0, 1, 0);
      return best;
    }
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 2, maxLength: 7 }),
        fc.integer({ min: 3, max: 5 }),
        (freqs, L) => {
          fc.pre(2 ** L >= freqs.length);
          const lens = huffmanLengths(freqs, L);
          expect(Math.max(...lens)).toBeLessThanOrEqual(L);
          expect(Array.from(lens).reduce((s, l) => s + 2 ** -l, 0)).toBeLessThanOrEqual(1 + 1e-12);
          expect(cost(freqs, lens)).toBe(bruteForce(freqs, L));
        },
      ),
      { numRuns: 100 },
    );
    // Fibonacci weights force depth n−1 unlimited; a limit of 8 must hold.
    const fib = [1, 1];
    while (fib.length < 30) fib.push(fib.at(-1)! + fib.at(-2)!);
    expect(Math.max(...huffmanLengths(fib))).toBe(24);
    expect(Math.max(...huffmanLengths(fib, 8))).toBe(8);
  });
});

describe('canonical encode/decode', () => {
  it('codes are prefix-free and decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 40 }), { minLength: 0, maxLength: 300 }), (symbols) => {
        const freqs = new Array(41).fill(0);
        for (const s of symbols) freqs[s]++;
        const lens = huffmanLengths(freqs);
        const codes = canonicalCodes(lens);
        const words = freqs.flatMap((f, s) => (f > 0 ? [codes[s]!.toString(2).padStart(lens[s]!, '0')] : []));
        for (const a of words) for (const b of words) if (a !== b) expect(b.startsWith(a)).toBe(false);
        const { bytes, bitLength } = huffmanEncode(symbols, lens);
        expect(bitLength).toBe(cost(freqs, lens));
        expect(Array.from(huffmanDecode(bytes, lens, symbols.length, bitLength))).toEqual(symbols);
      }),
      { numRuns: 150 },
    );
  });

  it('a truncated stream is a UserError, not garbage', () => {
    const symbols = Array.from({ length: 200 }, (_, i) => (i * 7) % 13);
    const freqs = new Array(13).fill(0);
    for (const s of symbols) freqs[s]++;
    const lens = huffmanLengths(freqs);
    const { bytes, bitLength } = huffmanEncode(symbols, lens);
    let err: unknown;
    try {
      huffmanDecode(bytes.subarray(0, bytes.length >> 1), lens, symbols.length, bitLength);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/ends after \d+ of 200 symbols/);
    // An absurd symbol count (a corrupted header) is refused before any allocation.
    expect(() => huffmanDecode(bytes, lens, 2 ** 31, bitLength)).toThrow(/cannot hold/);
  });
});
