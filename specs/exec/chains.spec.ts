// Property: random op chains (random shapes, attributes, constants) give the same outputs as onnxruntime-node
// (rtol 1e-4, atol 1e-5) on every available backend. fast-check prints the seed and the shrunk chain on failure.

import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { availableBackends } from '../../runtime/exec/backends.ts';
import { createSession } from '../../runtime/exec/index.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/index.ts';
import { mismatch } from '../ops/tensors.ts';
import { buildChain, CHAIN_OPS } from './chains.ts';

const BACKENDS = await availableBackends();

async function oracle(bytes: Uint8Array, x: Tensor): Promise<Tensor> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const res = await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
    const t = res[s.outputNames[0]!]!;
    return { dtype: 'float32', dims: [...t.dims], data: t.data as Float32Array };
  } finally {
    await s.release();
  }
}

const chainArb = fc.record({
  dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 4 }),
  steps: fc.array(
    fc.record({
      op: fc.integer({ min: 0, max: CHAIN_OPS - 1 }),
      r: fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 8, maxLength: 8 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

describe('random op chains equal onnxruntime-node', () => {
  for (const backend of BACKENDS)
    it(`on ${backend}`, async () => {
      await fc.assert(
        fc.asyncProperty(chainArb, async ({ dims, steps, seed }) => {
          const { model, input } = buildChain(dims, steps, seed);
          const want = await oracle(exportModel(model), input);
          const session = await createSession(model, { backend });
          const got = Object.values(await session.run({ x: input }))[0]!;
          session.dispose();
          const ops = model.graph.nodes.map((n) => n.opType).join(' → ');
          expect(mismatch(got, want, { rtol: 1e-4, atol: 1e-5 }), ops).toBeUndefined();
        }),
        { numRuns: backend === 'cpu' ? 200 : 60 },
      );
    });
});
