// Scales of quantized weights in a .sqz keep only the mantissa bits they need: on random
// DequantizeLinear weights (int8/uint8/int4/uint4; per-tensor, per-axis and blocked scales; zero
// points) every dequantized weight moves by at most 1/16 of its quantization step — checked on the
// decoded tensors and, as onnxruntime-node computes it, on the layer's output — and one bit fewer
// would break that somewhere. Scales something else reads, activation scales and `exactScales`
// stay exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundMantissa, SCALE_STEP_FRACTION } from '../../compiler/pack/scales.ts';
import { packSqz } from '../../compiler/pack/write.ts';
import type { DType } from '../../runtime/ir/dtype.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { readSqz } from '../../runtime/sqz/read.ts';
import { buildModel, bytesOf, ortRun } from '../compiler/graphs.ts';

const RANGE: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int4: [-8, 7],
  uint4: [0, 15],
};

const caseArb = fc
  .record({
    dtype: fc.constantFrom('int8', 'uint8', 'int4', 'uint4'),
    layout: fc.constantFrom('tensor', 'axis0', 'axis1', 'blocked'),
    rows: fc.integer({ min: 1, max: 6 }),
    blocks: fc.integer({ min: 1, max: 4 }),
    block: fc.constantFrom(2, 4, 8, 16),
    zeros: fc.boolean(),
    seed: fc.integer(),
  })
  .map((c) => {
    let s = c.seed >>> 0;
    const rnd = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const cols = c.blocks * c.block;
    const [lo, hi] = RANGE[c.dtype]!;
    const q = Array.from({ length: c.rows * cols }, () => lo + Math.floor(rnd() * (hi - lo + 1)));
    const sDims = { tensor: [1], axis0: [c.rows], axis1: [cols], blocked: [c.rows, c.blocks] }[c.layout];
    const ns = sDims.reduce((a, b) => a * b, 1);
    // scales over many magnitudes, some exactly representable in few bits
    const scales = Float32Array.from({ length: ns }, () =>
      rnd() < 0.2 ? 2 ** -Math.floor(rnd() * 20) : (0.5 + rnd()) * 2 ** (Math.floor(rnd() * 36) - 30),
    );
    const z = Array.from({ length: ns }, () => (c.zeros ? lo + Math.floor(rnd() * (hi - lo + 1)) : 0));
    return { ...c, cols, q, sDims, scales, z };
  });

type Case = ReturnType<(typeof caseArb)['generate']>['value'];

function dqModel(c: Case): Model {
  const attrs =
    c.layout === 'axis0'
      ? { axis: 0 }
      : c.layout === 'axis1'
        ? { axis: 1 }
        : c.layout === 'blocked'
          ? { axis: 1, block_size: c.block }
          : {};
  const intTensor = (dims: number[], v: number[]): Tensor => ({
    dtype: c.dtype as DType,
    dims,
    data: c.dtype.startsWith('u') ? Uint8Array.from(v) : Int8Array.from(v),
  });
  const m = buildModel({
    inputs: [{ name: 'x', dims: [1] }],
    outputs: ['y'],
    nodes: [
      {
        op: 'DequantizeLinear',
        name: 'dq',
        inputs: ['q', 's', ...(c.zeros ? ['z'] : [])],
        outputs: ['w'],
        attrs,
      },
      { op: 'Mul', name: 'mul', inputs: ['w', 'x'], outputs: ['y'] },
    ],
    initializers: {
      q: intTensor([c.rows, c.cols], c.q),
      s: float32(c.sDims, c.scales),
      ...(c.zeros ? { z: intTensor(c.sDims, c.z) } : {}),
    },
    opset: 21,
  });
  m.irVersion = 10;
  return m;
}

/** Scale index of element (r, k) of q. */
function scaleAt(c: Case, r: number, k: number): number {
  return { tensor: 0, axis0: r, axis1: k, blocked: r * c.blocks + Math.floor(k / c.block) }[c.layout];
}

/** Largest |q − z|·|s' − s| / |s| over the weights. */
function worstMove(c: Case, rounded: ArrayLike<number>): number {
  let worst = 0;
  for (let r = 0; r < c.rows; r++)
    for (let k = 0; k < c.cols; k++) {
      const i = scaleAt(c, r, k);
      const s = c.scales[i]!;
      worst = Math.max(
        worst,
        (Math.abs(c.q[r * c.cols + k]! - c.z[i]!) * Math.abs(rounded[i]! - s)) / Math.abs(s),
      );
    }
  return worst;
}

const f32 = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0]!;

describe('.sqz scales', () => {
  it('move every dequantized weight by ≤ 1/16 of its step, with the fewest mantissa bits that do (onnxruntime agrees)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const m = dqModel(c);
        const packed = packSqz(m);
        const back = readSqz(packed.bytes);
        const got = back.graph.initializers.get('s')!.data as Float32Array;
        expect(worstMove(c, got)).toBeLessThanOrEqual(SCALE_STEP_FRACTION);
        const mantissa = packed.records.find((r) => r.label === 's')!.part.mantissa;
        const bits = new Uint32Array(c.scales.buffer);
        for (let i = 0; i < got.length; i++) expect(got[i]).toBe(f32(roundMantissa(bits[i]!, mantissa)));
        if (mantissa > 0) {
          const coarser = Array.from(bits, (b) => f32(roundMantissa(b, mantissa - 1)));
          expect(worstMove(c, coarser)).toBeGreaterThan(SCALE_STEP_FRACTION);
        }
        // everything but the scale comes back bit for bit
        expect(back.graph.initializers.get('q')!.data).toEqual(m.graph.initializers.get('q')!.data);
        const x = float32([1], [1]);
        const [want, have] = [(await ortRun(bytesOf(m), { x })).y!, (await ortRun(bytesOf(back), { x })).y!];
        for (let r = 0; r < c.rows; r++)
          for (let k = 0; k < c.cols; k++) {
            const i = r * c.cols + k;
            const step = Math.abs(c.scales[scaleAt(c, r, k)]!);
            expect(Math.abs(have[i]! - want[i]!)).toBeLessThanOrEqual(
              step * SCALE_STEP_FRACTION + 2 ** -22 * Math.abs(want[i]!),
            );
          }
      }),
      { numRuns: 60 },
    );
  });

  it('stay exact when something else reads them, for activations, and with exactScales', () => {
    const q = {
      dtype: 'int8' as const,
      dims: [4, 8],
      data: Int8Array.from({ length: 32 }, (_, i) => ((i * 37) % 255) - 127),
    };
    const s = float32([4], [0.0123456789, 0.000987654321, 1.23456789, 3.3333333]);
    const shared = buildModel({
      inputs: [{ name: 'x', dims: [4, 1] }],
      outputs: ['y', 'z', 'a'],
      nodes: [
        { op: 'DequantizeLinear', name: 'dq', inputs: ['q', 's'], outputs: ['w'], attrs: { axis: 0 } },
        { op: 'Mul', name: 'mul', inputs: ['s', 's'], outputs: ['y'] },
        { op: 'Add', name: 'add', inputs: ['w', 'x'], outputs: ['z'] },
        { op: 'QuantizeLinear', name: 'qa', inputs: ['x', 'sa'], outputs: ['xq'] },
        { op: 'DequantizeLinear', name: 'dqa', inputs: ['xq', 'sa'], outputs: ['a'] },
      ],
      initializers: { q, s, sa: float32([], [0.0123456789]) },
    });
    const exactBits = (m: Model, name: string) =>
      new Uint32Array((m.graph.initializers.get(name)!.data as Float32Array).slice().buffer);
    const back = readSqz(packSqz(shared).bytes);
    expect(exactBits(back, 's')).toEqual(exactBits(shared, 's'));
    expect(exactBits(back, 'sa')).toEqual(exactBits(shared, 'sa'));
    // the same scale read by DequantizeLinear alone is rounded, unless exactScales
    shared.graph.nodes.splice(1, 1);
    shared.graph.outputs = shared.graph.outputs.filter((o) => o.name !== 'y');
    shared.graph.touch();
    expect(exactBits(readSqz(packSqz(shared).bytes), 's')).not.toEqual(exactBits(shared, 's'));
    expect(exactBits(readSqz(packSqz(shared, { exactScales: true }).bytes), 's')).toEqual(
      exactBits(shared, 's'),
    );
  });
});
