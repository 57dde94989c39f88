// The cluster pass (kind 'cluster', Deep Compression weight sharing): per selected layer, k-means
// on the non-zero weights (Lloyd to convergence; pruned zeros stay exact zeros, out of the clusters),
// emitted as indices + codebook → Cast → Gather, which onnxruntime runs unchanged. With calibration
// data each weight's centroid is chosen by OBS on the layer's input Hessian (obs.ts).

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { nodesByLayer, type Pass, type PassContext, withParts } from '../../engine/pass.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import { registerLossyPass } from '../../plan/lower.ts';
import type { Plan } from '../../plan/plan.ts';
import { weightView } from '../weight-view.ts';
import { clusterLayerWeight } from './emit.ts';
import { clusterHessians } from './hessian.ts';
import { type ClusterSettings, clusterSettings } from './options.ts';

export { CLUSTER_OPS, type ClusterResult, clusterLayerWeight } from './emit.ts';
export { type ClusterSettings, clusterSettings } from './options.ts';

/** Calibration vectors per weight column a layer needs for the data-aware assignment. */
const MIN_ROWS_PER_COL = 4;

/** Hessian bytes one calibration stage may hold (Σ groups · cols² · 8 over its layers). */
const STAGE_BYTES = 256 * 2 ** 20;

type Job = { layer: string; s: ClusterSettings };

/** Jobs in topological order, cut into stages whose Hessians fit STAGE_BYTES. */
function stages(model: Model, jobs: Job[], byLayer: Map<string, Node>): Job[][] {
  const out: Job[][] = [];
  let cur: Job[] = [];
  let bytes = 0;
  for (const j of jobs) {
    const n = byLayer.get(j.layer);
    const m = n ? weightView(model.graph, n) : undefined;
    const b = m ? m.groups * m.cols * m.cols * 8 : 0;
    if (cur.length && bytes + b > STAGE_BYTES) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(j);
    bytes += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

export function clusterPass(plan: Plan): Pass {
  const jobs: Job[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'cluster');
    if (a) jobs.push({ layer: l.name, s: clusterSettings(a) });
  }
  return {
    name: 'cluster',
    run: async (model: Model, ctx: PassContext) => {
      // output { opset ≥ 21 }: upgrade first, so codebooks of ≤ 16 entries get uint4 indices
      const target = plan.settings.opset ?? 0;
      if (target >= 21 && (model.opset('') ?? 0) < target) upgradeOpset(model, target);
      const byLayer = nodesByLayer(model);
      const all = withParts(jobs, ctx);
      let changed = false;
      let done = 0;
      // with calibration data, in stages of bounded Hessian memory: each stage's Hessians come from
      // the model with the earlier stages already clustered
      for (const stage of stages(model, all, byLayer)) {
        const nodes = stage.map((j) => byLayer.get(j.layer)).filter((n): n is Node => n !== undefined);
        const rows = new Map<Node, number>();
        const hessians = ctx.samples?.length
          ? await clusterHessians(model, nodes, ctx.samples, rows)
          : undefined;
        for (const { layer, s } of stage) {
          const n = byLayer.get(layer);
          // too few calibration vectors for the layer's inputs (e.g. SE convs on pooled vectors): an OBS
          // fit would follow the samples, not the data, so those keep plain nearest-centroid sharing
          const m = n && weightView(model.graph, n);
          const enough = m && (rows.get(n!) ?? 0) >= MIN_ROWS_PER_COL * m.cols;
          const r = n
            ? clusterLayerWeight(model, n, s, enough ? hessians?.get(n) : undefined)
            : 'no such node in the model';
          ctx.progress?.('cluster', ++done, all.length);
          if (typeof r === 'string') {
            (ctx.warn ?? ctx.log)?.(`${s.from}: cluster weights skipped ${layer}: ${r}`);
            continue;
          }
          changed = true;
          ctx.layerError[layer] = Math.max(ctx.layerError[layer] ?? 0, r.relError);
          ctx.log?.(
            `cluster ${layer}: ${r.codebook.length} codebook entries (${r.indexType}), ${r.zeros} zeros kept, ` +
              `${r.iterations} Lloyd iterations${r.converged ? '' : ' (not converged)'}, relative ${r.outputError === undefined ? 'weight' : 'output'} error ${r.relError.toPrecision(3)}` +
              (r.nearestOutputError === undefined
                ? ''
                : ` (nearest centroid: ${r.nearestOutputError.toPrecision(3)})`),
          );
        }
      }
      return { changed };
    },
  };
}

registerLossyPass('cluster', clusterPass);
