// Long graphs compile in work proportional to their length: a chain of 5,000 Relu nodes, and one
// whose every other node is an Identity the cleanups remove (2,500 rewrites). The rule passes try
// each node a bounded number of times (stats.visits), the output runs in onnxruntime with the same
// result, and the whole compile stays well inside the test's time limit (a quadratic pass took
// minutes at this size).
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { runPasses } from '../../compiler/engine/pass.ts';
import { cleanupPasses } from '../../compiler/passes/cleanup.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, ortRun } from './graphs.ts';

const N = 5000;

function chain(identities: boolean) {
  const nodes: NodeInit[] = [];
  for (let i = 1; i <= N; i++) {
    const op = identities && i % 2 === 0 ? 'Identity' : 'Relu';
    nodes.push({ op, name: `n${i}`, inputs: [i === 1 ? 'x' : `v${i - 1}`], outputs: [`v${i}`] });
  }
  return buildModel({ inputs: [{ name: 'x', dims: [1, 4] }], outputs: [`v${N}`], nodes });
}

describe(`chains of ${N} nodes`, () => {
  for (const identities of [false, true]) {
    it(`${identities ? 'Relu/Identity' : 'Relu'}: the cleanups visit each node a few times, compile keeps the output`, {
      timeout: 240_000,
    }, async () => {
      const model = chain(identities);
      const bytes = bytesOf(model);
      const { ctx } = await runPasses(importModel(bytes), cleanupPasses());
      const removed = Object.values(ctx.stats.matches).reduce((a, b) => a + b, 0);
      expect(removed).toBe(identities ? N / 2 : 0);
      // five rule passes; each tries a node with rules at its op once, plus the few a rewrite touched
      expect(ctx.stats.visits).toBeLessThanOrEqual(5 * N + 6 * removed);
      const r = await compileModel(bytes, 'recipe "chain"\n');
      const out = importModel(r.model);
      expect(out.graph.nodes.length).toBe(identities ? N / 2 : N);
      const x = float32([1, 4], [-1, 0.5, -0.25, 2]);
      expect(await ortRun(r.model, { x })).toEqual(await ortRun(bytes, { x }));
    });
  }
});
