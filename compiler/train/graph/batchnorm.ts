// BatchNormalization in training mode: each BN node becomes batch statistics in standard ops
// (μ = mean over N and space, σ² likewise, y = (x − μ)/√(σ² + ε)·γ + β), so gradients flow through
// the statistics too (Network Slimming trains γ this way). The batch μ and σ² become outputs so
// the loop can update the running statistics.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Emitter } from './emitter.ts';

export interface BatchStats {
  /** The running-mean and running-variance initializers of the BN node. */
  runningMean: string;
  runningVar: string;
  /** Training-graph values holding this batch's mean and (biased) variance, shape [C]. */
  batchMean: string;
  batchVar: string;
  momentum: number;
  /** Elements per channel in a batch (for the unbiased running variance). */
  count: number;
}

export function lowerBatchNorm(graph: Graph, e: Emitter): BatchStats[] {
  const out: BatchStats[] = [];
  for (const n of [...graph.nodes]) {
    if (n.opType !== 'BatchNormalization' || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    const [x, scale, bias, mean, variance] = n.inputs as [string, string, string, string, string];
    const y = n.outputs[0]!;
    const xs = e.shape(x);
    const C = xs[1]!;
    const axes = [0, ...xs.slice(2).map((_, i) => i + 2)];
    const count = axes.reduce((p, a) => p * xs[a]!, 1);
    const eps = Number(n.attrs.epsilon ?? 1e-5);
    const bshape = [C, ...xs.slice(2).map(() => 1)];
    graph.removeNode(n);
    const mu = e.scale(e.sum(x, axes), 1 / count);
    const d = e.sub(x, mu);
    const v = e.scale(e.sum(e.mul(d, d), axes), 1 / count);
    const inv = e.unary('Reciprocal', e.unary('Sqrt', e.add(v, e.scalar(eps))));
    const scaled = e.mul(e.mul(d, inv), e.reshape(scale, bshape));
    e.ops('Add', [scaled, e.reshape(bias, bshape)], undefined, [{ shape: xs, name: y }]);
    out.push({
      runningMean: mean,
      runningVar: variance,
      batchMean: e.reshape(mu, [C]),
      batchVar: e.reshape(v, [C]),
      momentum: Number(n.attrs.momentum ?? 0.9),
      count,
    });
  }
  return out;
}
