// Code storage: ternary/binary/2-bit/4-bit codes go into int4 (opset 21; int2 is avoided because
// onnxruntime 1.30 computes DequantizeLinear(int2) → MatMul wrongly at optimization level all). A
// pinned `output { opset 13 }` cannot hold int4: the codes are stored int8 and the report warns;
// `group N` there is a UserError. Every emitted model runs in onnxruntime, optimized and not, alike.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/index.ts';
import { buildModel, bytesOf } from '../compiler/graphs.ts';

function randn(n: number, seed: number): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r());
}

const src = buildModel({
  inputs: [{ name: 'x', dims: [2, 8] }],
  outputs: ['y'],
  nodes: [
    { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attrs: { transB: 1 } },
    { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['z'] },
    { op: 'MatMul', name: 'fc2', inputs: ['z', 'w2'], outputs: ['y'] },
  ],
  initializers: {
    w1: float32([16, 8], randn(128, 1)),
    b1: float32([16], randn(16, 2)),
    w2: float32([16, 3], randn(48, 3)),
  },
});
const x = float32([2, 8], randn(16, 4));

async function run(bytes: Uint8Array, level: 'disabled' | 'all'): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: level });
  const r = await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, [2, 8]) });
  await s.release();
  return r.y!.data as Float32Array;
}

async function compiled(options: string, output = '') {
  const warnings: string[] = [];
  const r = await compileModel(bytesOf(src), `recipe "t"\n${output}quantize weights of * { ${options} }\n`, {
    recipeFile: 's.squish',
    warn: (l) => warnings.push(l),
  });
  const m = importModel(r.model);
  const codes = m.graph.nodes
    .filter((n) => n.opType === 'DequantizeLinear')
    .map((d) => m.graph.constant(d.inputs[0]!)!);
  const a = await run(r.model, 'disabled');
  const b = await run(r.model, 'all');
  // level all swaps in onnxruntime's own low-bit kernels (MatMulNBits), close but not bit-equal
  const amax = Math.max(...a.map(Math.abs));
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(0.05 * amax);
  return { m, codes, warnings };
}

describe('quantize weights: code storage by output opset', () => {
  for (const options of ['ternary', 'binary', 'bits 2  per-channel', 'bits 4  per-channel']) {
    it(`${options}: int4 at opset 21 by default; int8 with a warning under output { opset 13 }`, async () => {
      const narrow = await compiled(options);
      expect(narrow.m.opset('')).toBe(21);
      expect(narrow.codes.map((c) => c.dtype)).toEqual(['int4', 'int4']);
      expect(narrow.warnings.join('\n')).not.toMatch(/cannot hold int4/);
      const wide = await compiled(options, 'output { opset 13 }\n');
      expect(wide.m.opset('')).toBe(13);
      expect(wide.codes.map((c) => c.dtype)).toEqual(['int8', 'int8']);
      expect(wide.warnings.join('\n')).toMatch(
        /s\.squish:\d: quantize weights fc1: .* stored as int8: output \{ opset 13 \} cannot hold int4/,
      );
      // same codes either way
      expect(wide.codes.map((c) => Array.from(c.data as Int8Array))).toEqual(
        narrow.codes.map((c) => Array.from(c.data as Int8Array)),
      );
      if (options === 'ternary')
        for (const c of narrow.codes) expect(new Set(c.data as Int8Array).size).toBeLessThanOrEqual(3);
    });
  }

  it('group N under a pinned opset below 21 is a recipe error (SQ324)', async () => {
    await expect(
      compileModel(bytesOf(src), 'output { opset 13 }\nquantize weights of * { bits 4  group 4 }\n', {
        recipeFile: 's.squish',
      }),
    ).rejects.toThrow(
      /s\.squish:2:\d+: error\[SQ324\]: grouped scales \(blocked DequantizeLinear\) need opset 21/,
    );
  });
});
