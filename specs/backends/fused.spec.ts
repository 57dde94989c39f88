// Fused epilogues (static QDQ activations among them), ConvTranspose, MatMul/Gemm and binary elementwise kernels (wasm and gpu.js)
// agree with onnxruntime-node; the fusion pass folds what it should and keeps what escapes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../../runtime/backends/backend.ts';
import { FUSED_DOMAIN, fuseEpilogues } from '../../runtime/backends/fusion/fusion.ts';
import { takesProducer } from '../../runtime/backends/gpujs/index.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { compareWithOrt, KERNEL_SETS, rand, t32 } from './support.ts';

// Conv → BatchNormalization → HardSwish as PaddleOCR exports it (Add 3, Clip 0..6, Mul, Div 6)
// → per-channel affine → Relu
function chain(c: number): { nodes: NodeInit[]; inits: Record<string, ReturnType<typeof t32>> } {
  const ch = (seed: number, scale = 1, off = 0) =>
    t32(
      [c],
      rand(c, seed, scale).map((v) => v + off),
    );
  return {
    nodes: [
      {
        op: 'Conv',
        inputs: ['x', 'W', 'B'],
        outputs: ['c'],
        attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      {
        op: 'BatchNormalization',
        inputs: ['c', 'g', 'b', 'm', 'v'],
        outputs: ['bn'],
        attrs: { epsilon: 1e-5 },
      },
      { op: 'Add', inputs: ['bn', 'three'], outputs: ['a3'] },
      { op: 'Clip', inputs: ['a3', 'zero', 'six'], outputs: ['cl'] },
      { op: 'Mul', inputs: ['bn', 'cl'], outputs: ['mu'] },
      { op: 'Div', inputs: ['mu', 'six'], outputs: ['hs'] },
      { op: 'Mul', inputs: ['s', 'hs'], outputs: ['sc'] },
      { op: 'Add', inputs: ['sc', 'sh'], outputs: ['af'] },
      { op: 'Relu', inputs: ['af'], outputs: ['y'] },
    ],
    inits: {
      W: t32([c, 3, 3, 3], rand(c * 27, 11, 0.5)),
      B: ch(12),
      g: ch(13, 0.5, 1),
      b: ch(14),
      m: ch(15),
      v: ch(16, 0.5, 1),
      three: t32([], new Float32Array([3])),
      zero: t32([], new Float32Array([0])),
      six: t32([], new Float32Array([6])),
      s: t32([1, c, 1, 1], rand(c, 17)),
      sh: t32([1, c, 1, 1], rand(c, 18)),
    },
  };
}

function graphNodes(nodes: NodeInit[], inits: Record<string, ReturnType<typeof t32>>): GraphNode[] {
  return nodes.map((n) => ({
    op: n.op,
    domain: '',
    name: (n.outputs as string[])[0] as string,
    attrs: (n.attrs ?? {}) as GraphNode['attrs'],
    inputs: n.inputs as string[],
    outputs: n.outputs as string[],
    inputTypes: (n.inputs as string[]).map((i) =>
      inits[i] ? { dtype: 'float32', shape: [...(inits[i]?.dims ?? [])] } : undefined,
    ),
    constInputs: (n.inputs as string[]).map((i) => inits[i]),
    outputTypes: [undefined],
  }));
}

describe.each(KERNEL_SETS)('%s: fusion', (_, backend) => {
  it('folds Conv + BN + HardSwish decomposition + affine + Relu into one node', () => {
    const { nodes, inits } = chain(8);
    const fused = fuseEpilogues(graphNodes(nodes, inits), new Set(['y']), takesProducer);
    expect(fused.map((n) => `${n.domain}:${n.op}`)).toEqual([`${FUSED_DOMAIN}:FusedConv`]);
    expect(fused[0]?.outputs).toEqual(['y']);
  });

  it('stops before a value used outside the chain or kept for observation', () => {
    const { nodes, inits } = chain(8);
    const fused = fuseEpilogues(graphNodes(nodes, inits), new Set(['y', 'hs']), takesProducer);
    expect(fused.map((n) => n.op)).toEqual(['FusedConv', 'Mul', 'Add', 'Relu']);
    expect(fused[0]?.outputs).toEqual(['hs']);
  });

  it('the fused chain agrees with onnxruntime-node', async () => {
    const { nodes, inits } = chain(8);
    const x = t32([1, 3, 11, 16], rand(3 * 11 * 16, 3, 4));
    const r = await compareWithOrt(backend(), { x }, nodes, inits);
    expect(r.accelerated).toBe(1);
    expect(r.excess).toBeLessThanOrEqual(1e-5);
  });
});

describe.each(KERNEL_SETS)('%s: fused elementwise anchors (SE / residual blocks)', (_, backend) => {
  // a = c + c · s (s per channel), then a per-channel affine and a HardSwish decomposition
  const nodes: NodeInit[] = [
    { op: 'Mul', inputs: ['c', 's'], outputs: ['m'] },
    { op: 'Add', inputs: ['c', 'm'], outputs: ['a'] },
    { op: 'Mul', inputs: ['a', 'g'], outputs: ['ag'] },
    { op: 'Add', inputs: ['ag', 'three'], outputs: ['a3'] },
    { op: 'Clip', inputs: ['a3', 'zero', 'six'], outputs: ['cl'] },
    { op: 'Mul', inputs: ['ag', 'cl'], outputs: ['y'] },
  ];
  const inits = {
    g: t32([1, 6, 1, 1], rand(6, 31)),
    three: t32([], new Float32Array([3])),
    zero: t32([], new Float32Array([0])),
    six: t32([], new Float32Array([6])),
  };

  it('folds the chain into the Mul with its inputs readable by the epilogue', () => {
    const gn = graphNodes(nodes, inits).map((n) =>
      n.op === 'Mul' && n.inputs[0] === 'c'
        ? {
            ...n,
            inputTypes: [
              { dtype: 'float32' as const, shape: [1, 6, 20, 30] },
              { dtype: 'float32' as const, shape: [1, 6, 1, 1] },
            ],
          }
        : n,
    );
    const fused = fuseEpilogues(gn, new Set(['y']), takesProducer);
    expect(fused.map((n) => n.op)).toEqual(['FusedMul']);
    expect(fused[0]?.inputs).toEqual(['c', 's']);
  });

  for (const [h, w] of [
    [20, 30],
    [3, 5],
  ]) {
    it(`agrees with onnxruntime-node on [1,6,${h},${w}] (${h * w * 6 < 4096 ? 'plain-TS path' : 'kernel'})`, async () => {
      const c = t32([1, 6, h, w], rand(6 * h * w, h + w, 4));
      const sv = t32([1, 6, 1, 1], rand(6, 7));
      const r = await compareWithOrt(backend(), { c, s: sv }, nodes, inits);
      expect(r.accelerated).toBe(1);
      expect(r.excess).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe.each(KERNEL_SETS)(
  '%s: ConvTranspose, MatMul, Gemm, elementwise vs onnxruntime-node',
  (_, backend) => {
    it('upsampling ConvTranspose with bias and fused Sigmoid', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 10 }),
          async (c, oc, k, hw) => {
            const x = t32([1, c, hw, hw + 3], rand(c * hw * (hw + 3), c * 7 + hw));
            const W = t32([c, oc, k, k], rand(c * oc * k * k, 5, 0.5));
            const B = t32([oc], rand(oc, 6));
            const attrs = { strides: [k, k], kernel_shape: [k, k] };
            const r = await compareWithOrt(
              backend(),
              { x },
              [
                { op: 'ConvTranspose', inputs: ['x', 'W', 'B'], outputs: ['t'], attrs },
                { op: 'Sigmoid', inputs: ['t'], outputs: ['y'] },
              ],
              { W, B },
            );
            expect(r.accelerated).toBe(1);
            expect(r.excess).toBeLessThanOrEqual(1e-5);
          },
        ),
        { numRuns: 10 },
      );
    });

    it('2×2 and 4×2 upsampling ConvTranspose write NCHW rows directly (batch of 2)', async () => {
      for (const [kh, kw] of [
        [2, 2],
        [4, 2],
      ] as const) {
        const x = t32([2, 5, 6, 7], rand(2 * 5 * 42, kh * 10 + kw));
        const W = t32([5, 3, kh, kw], rand(5 * 3 * kh * kw, 3, 0.5));
        const B = t32([3], rand(3, 4));
        const r = await compareWithOrt(
          backend(),
          { x },
          [
            {
              op: 'ConvTranspose',
              inputs: ['x', 'W', 'B'],
              outputs: ['y'],
              attrs: { strides: [kh, kw], kernel_shape: [kh, kw] },
            },
          ],
          { W, B },
        );
        expect(r.dims).toEqual([2, 3, 6 * kh, 7 * kw]);
        expect(r.accelerated).toBe(1);
        expect(r.excess).toBeLessThanOrEqual(1e-5);
      }
    });

    it('MatMul (batched A × constant B) and Gemm (transB, alpha, beta, bias row)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 19 }),
          fc.integer({ min: 1, max: 9 }),
          fc.boolean(),
          async (b, m, k, n, fullC) => {
            const a = t32([b, m, k], rand(b * m * k, k * 31 + n));
            const B = t32([k, n], rand(k * n, 9));
            const r1 = await compareWithOrt(
              backend(),
              { a },
              [{ op: 'MatMul', inputs: ['a', 'B'], outputs: ['y'] }],
              {
                B,
              },
            );
            expect(r1.accelerated).toBe(1);
            expect(r1.excess).toBeLessThanOrEqual(1e-5);
            const a2 = t32([m, k], rand(m * k, 4));
            const Bt = t32([n, k], rand(n * k, 10));
            // bias as a row [n] or a full [m, n] matrix
            const C = fullC ? t32([m, n], rand(m * n, 13)) : t32([n], rand(n, 12));
            const r2 = await compareWithOrt(
              backend(),
              { a: a2 },
              [
                {
                  op: 'Gemm',
                  inputs: ['a', 'Bt', 'C'],
                  outputs: ['y'],
                  attrs: { transB: 1, alpha: 0.5, beta: 1.5 },
                },
              ],
              { Bt, C },
            );
            expect(r2.accelerated).toBe(1);
            expect(r2.excess).toBeLessThanOrEqual(1e-5);
          },
        ),
        { numRuns: 14 },
      );
    });

    it('4 rows per cell (rows a multiple of 4): MatMul [2,6,13]×[13,5] and Gemm 8×11 with a full bias', async () => {
      const a = t32([2, 6, 13], rand(156, 41));
      const B = t32([13, 5], rand(65, 42));
      const r1 = await compareWithOrt(
        backend(),
        { a },
        [{ op: 'MatMul', inputs: ['a', 'B'], outputs: ['y'] }],
        { B },
      );
      expect(r1.dims).toEqual([2, 6, 5]);
      expect(r1.excess).toBeLessThanOrEqual(1e-5);
      const a2 = t32([8, 11], rand(88, 43));
      const B2 = t32([11, 7], rand(77, 44));
      const C = t32([8, 7], rand(56, 45));
      const r2 = await compareWithOrt(
        backend(),
        { a: a2 },
        [{ op: 'Gemm', inputs: ['a', 'B2', 'C'], outputs: ['y'], attrs: { alpha: 0.75, beta: 0.5 } }],
        { B2, C },
      );
      expect(r2.accelerated).toBe(1);
      expect(r2.excess).toBeLessThanOrEqual(1e-5);
    });

    it('binary elementwise: same shape, per-channel (SE) and general broadcasts', async () => {
      const a = t32([1, 6, 40, 36], rand(6 * 40 * 36, 1));
      const b = t32([1, 6, 40, 36], rand(6 * 40 * 36, 2));
      const s = t32([1, 6, 1, 1], rand(6, 3));
      const row = t32(
        [36],
        rand(36, 4, 2).map((v) => v + 3),
      );
      for (const [op, inputs, feeds] of [
        ['Add', ['a', 'b'], { a, b }],
        ['Mul', ['a', 's'], { a, s }],
        ['Sub', ['s', 'a'], { a, s }],
        ['Div', ['a', 'row'], { a, row }],
      ] as const) {
        const r = await compareWithOrt(
          backend(),
          { ...feeds },
          [{ op, inputs: [...inputs], outputs: ['y'] }],
          {},
        );
        expect(r.accelerated).toBe(1);
        expect(r.excess).toBeLessThanOrEqual(1e-5);
      }
    });
  },
);

describe.each(KERNEL_SETS)('%s: static QDQ activations (QuantizeLinear → DequantizeLinear)', (_, backend) => {
  const u8 = (v: number): Tensor => ({ dtype: 'uint8', dims: [], data: new Uint8Array([v]) });
  const i8 = (v: number): Tensor => ({ dtype: 'int8', dims: [], data: new Int8Array([v]) });
  const conv = (c: number) => ({
    nodes: [
      {
        op: 'Conv',
        inputs: ['x', 'W', 'B'],
        outputs: ['c'],
        attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'QuantizeLinear', inputs: ['r', 's', 'z'], outputs: ['q'] },
      { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] },
    ] as NodeInit[],
    inits: {
      W: t32([c, 3, 3, 3], rand(c * 27, 41, 0.5)),
      B: t32([c], rand(c, 42)),
      s: t32([], new Float32Array([0.037])),
      z: u8(3),
    } as Record<string, Tensor>,
  });

  it('folds into the producer as fake quantization; an integer value that escapes stays outside', () => {
    const { nodes, inits } = conv(8);
    const typed = graphNodes(nodes, inits as never);
    expect(fuseEpilogues(typed, new Set(['y']), takesProducer).map((n) => n.op)).toEqual(['FusedConv']);
    const parted = fuseEpilogues(typed, new Set(['y', 'q']), takesProducer);
    expect(parted.map((n) => n.op)).toEqual(['FusedConv', 'QuantizeLinear', 'DequantizeLinear']);
    expect(parted[0]?.outputs).toEqual(['r']);
  });

  it('Conv → Relu → Q(uint8, zero point 3) → DQ agrees with onnxruntime-node', async () => {
    const { nodes, inits } = conv(8);
    const x = t32([1, 3, 20, 30], rand(3 * 20 * 30, 43, 2));
    const r = await compareWithOrt(backend(), { x }, nodes, inits);
    expect(r.accelerated).toBe(1);
    expect(r.excess).toBeLessThanOrEqual(1e-5);
  });

  it('a pair after no fusible producer (the graph input) runs as one fused pointwise node', async () => {
    const nodes: NodeInit[] = [
      { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] },
      { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['d'] },
      { op: 'Relu', inputs: ['d'], outputs: ['y'] },
    ];
    const x = t32([1, 4, 30, 40], rand(4 * 30 * 40, 46, 3));
    const r = await compareWithOrt(backend(), { x }, nodes, {
      s: t32([], new Float32Array([0.02])),
      z: u8(128),
    });
    if (backend() === 'webasm') expect(r.accelerated).toBe(1);
    expect(r.excess).toBeLessThanOrEqual(1e-5);
  });

  it('rounds halves to even and saturates: Add of quarter steps → Q(int8, −3, scale 0.5) → DQ → Sigmoid', async () => {
    const nodes: NodeInit[] = [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['s0'] },
      { op: 'QuantizeLinear', inputs: ['s0', 'sc', 'z'], outputs: ['q'] },
      { op: 'DequantizeLinear', inputs: ['q', 'sc', 'z'], outputs: ['d'] },
      { op: 'Sigmoid', inputs: ['d'], outputs: ['y'] },
    ];
    const n = 6 * 20 * 30;
    // multiples of 0.25 in ±80: a / 0.5 hits every .5 tie, and beyond ±64 the int8 range clips
    const quarter = (seed: number) =>
      t32(
        [1, 6, 20, 30],
        rand(n, seed, 80).map((v) => Math.round(v * 4) / 4),
      );
    const r = await compareWithOrt(backend(), { a: quarter(44), b: quarter(45) }, nodes, {
      sc: t32([], new Float32Array([0.5])),
      z: i8(-3),
    });
    expect(r.accelerated).toBe(1);
    expect(r.excess).toBeLessThanOrEqual(1e-5);
  });
});
