// The cluster pass (kind 'cluster', Deep Compression weight sharing): per selected layer, k-means
// on the non-zero weights (Lloyd to convergence; pruned zeros stay exact zeros, out of the clusters),
// emitted as indices + codebook → Cast → Gather, which onnxruntime runs unchanged.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Pass, PassContext } from '../../engine/pass.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import { registerLossyPass } from '../../plan/lower.ts';
import type { Plan } from '../../plan/plan.ts';
import { clusterLayerWeight } from './emit.ts';
import { type ClusterSettings, clusterSettings } from './options.ts';

export { CLUSTER_OPS, type ClusterResult, clusterLayerWeight } from './emit.ts';
export { type ClusterSettings, clusterSettings } from './options.ts';

/** Node of each layer name, as compiler/select names layers. */
function nodesByLayer(model: Model): Map<string, Node> {
  const out = new Map<string, Node>();
  model.graph.topoOrder().forEach((n, i) => {
    out.set(n.name || n.outputs[0] || `${n.opType}_${i}`, n);
  });
  return out;
}

export function clusterPass(plan: Plan): Pass {
  const jobs: { layer: string; s: ClusterSettings }[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'cluster');
    if (a) jobs.push({ layer: l.name, s: clusterSettings(a) });
  }
  return {
    name: 'cluster',
    run: (model: Model, ctx: PassContext) => {
      // output { opset ≥ 21 }: upgrade first, so codebooks of ≤ 16 entries get uint4 indices
      const target = plan.settings.opset ?? 0;
      if (target >= 21 && (model.opset('') ?? 0) < target) upgradeOpset(model, target);
      const byLayer = nodesByLayer(model);
      let changed = false;
      for (const [i, { layer, s }] of jobs.entries()) {
        const n = byLayer.get(layer);
        const r = n ? clusterLayerWeight(model, n, s) : 'no such node in the model';
        ctx.progress?.('cluster', i + 1, jobs.length);
        if (typeof r === 'string') {
          (ctx.warn ?? ctx.log)?.(`${s.from}: cluster weights skipped ${layer}: ${r}`);
          continue;
        }
        changed = true;
        ctx.layerError[layer] = Math.max(ctx.layerError[layer] ?? 0, r.relError);
        ctx.log?.(
          `cluster ${layer}: ${r.codebook.length} codebook entries (${r.indexType}), ${r.zeros} zeros kept, ` +
            `${r.iterations} Lloyd iterations${r.converged ? '' : ' (not converged)'}, relative error ${r.relError.toPrecision(3)}`,
        );
      }
      return { changed };
    },
  };
}

registerLossyPass('cluster', clusterPass);
