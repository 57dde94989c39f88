// A factorized layer becomes two nodes (x·P, then ·Q); the actions of later passes on that layer —
// quantize weights, sparse pruning, clustering — apply to both factors, not only the first.
import { describe, expect, it } from 'vitest';
import { compile, loadModel } from '../../compiler/index.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf } from './graphs.ts';

function mlp(): Uint8Array {
  const r = normalSampler(7);
  const w = Array.from({ length: 64 * 48 }, () => r());
  return bytesOf(
    buildModel({
      inputs: [{ name: 'x', dims: [1, 64] }],
      outputs: ['y'],
      initializers: { w: float32([64, 48], w) },
      nodes: [{ op: 'MatMul', name: 'fc', inputs: ['x', 'w'], outputs: ['y'] }],
    }),
  );
}

/** Op type of the producer of each MatMul's weight input, in graph order. */
function weightProducers(bytes: Uint8Array): string[] {
  const g = loadModel(bytes).graph;
  return g.nodes
    .filter((n) => n.opType === 'MatMul')
    .map((n) => g.producer(n.inputs[1]!)?.opType ?? (g.constant(n.inputs[1]!) ? 'constant' : 'input'));
}

describe('actions on a factorized layer reach both factors', () => {
  it('quantize weights: both MatMuls read DequantizeLinear', async () => {
    const r = await compile(
      mlp(),
      'factorize matmul { rank 8 }\nquantize weights of matmul { bits 8  per-channel  symmetric }\n',
    );
    expect(weightProducers(r.model)).toEqual(['DequantizeLinear', 'DequantizeLinear']);
    // the report names the second factor as part of the layer, with the layer's actions
    const part = r.report.layers.find((l) => l.part_of === 'fc');
    expect(part?.actions.map((a) => a.split(' (')[0])).toEqual(['factorize', 'quantize weights']);
  });

  it('prune weights: both factors hold the requested share of zeros', async () => {
    const r = await compile(mlp(), 'factorize matmul { rank 8 }\nprune weights of matmul { sparsity 50% }\n');
    const g = loadModel(r.model).graph;
    const ws = g.nodes.filter((n) => n.opType === 'MatMul').map((n) => g.constant(n.inputs[1]!)!);
    expect(ws).toHaveLength(2);
    for (const w of ws) {
      const zeros = (w.data as Float32Array).filter((v) => v === 0).length;
      expect(zeros / w.data.length).toBeCloseTo(0.5, 2);
    }
  });

  it('cluster weights: both factors read shared values (Gather from a codebook)', async () => {
    const r = await compile(
      mlp(),
      'factorize matmul { rank 8 }\ncluster weights of matmul { clusters 16 }\n',
    );
    expect(weightProducers(r.model)).toEqual(['Gather', 'Gather']);
  });
});
