// `prune layers`: residual branches (compiler/prune/branches.ts) whose weight layers the statement
// all selects are ranked — activation: RMS(f(x)) / RMS(x) on the calibration data; l1 / l2: mean
// |w| / RMS of the branch weights; random — and the lowest share `sparsity` become identity.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { inferShapes } from '../../../runtime/ir/shape/index.ts';
import { rng } from '../../data/random.ts';
import type { PassContext } from '../../engine/pass.ts';
import { type ResidualBranch, removeBranch, residualBranches } from './branches.ts';
import type { ChannelSettings } from './channel-options.ts';
import { lowest, removedCount } from './masks.ts';

const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul', 'ConvTranspose']);

function rms(d: Float32Array): number {
  let s = 0;
  for (const x of d) s += x * x;
  return Math.sqrt(s / Math.max(1, d.length));
}

/** Removes the lowest-ranked residual branches of each statement; returns the Add nodes removed. */
export async function pruneLayers(
  model: Model,
  selected: Map<Node, ChannelSettings>,
  ctx: Pick<PassContext, 'samples' | 'warn' | 'log' | 'layerError'>,
  nameOf: (n: Node) => string,
): Promise<string[]> {
  const g = model.graph;
  const inputShapes: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(ctx.samples?.[0] ?? {})) inputShapes[k] = [...v.dims];
  const types = inferShapes(g, { opset: model.opset('') ?? 17, inputShapes }).types;
  const same = (a: string, b: string) => {
    const x = types.get(a)?.shape;
    const y = types.get(b)?.shape;
    return !!x && !!y && x.length === y.length && x.every((d, i) => typeof d === 'number' && d === y[i]);
  };
  const byStatement = new Map<ChannelSettings, ResidualBranch[]>();
  for (const b of residualBranches(g, same)) {
    const weighted = b.nodes.filter((n) => WEIGHTED.has(n.opType));
    const s = selected.get(weighted[0]!);
    if (!s || weighted.some((n) => selected.get(n) !== s)) continue;
    let l = byStatement.get(s);
    if (!l) byStatement.set(s, (l = []));
    l.push(b);
  }
  for (const s of new Set(selected.values()))
    if (!byStatement.has(s))
      (ctx.warn ?? ctx.log)?.(
        `${s.from}: prune layers found no residual branch (x + f(x)) made only of selected layers`,
      );
  const removed: string[] = [];
  for (const [s, branches] of byStatement) {
    let score: number[];
    if (s.criterion === 'activation') {
      if (!ctx.samples?.length)
        throw new Error(`${s.from}: criterion activation without samples passed the checks`);
      const { createSession } = await import('../../../runtime/exec/index.ts');
      const observe = branches.flatMap((b) => [b.out, b.skip]);
      const session = await createSession(model, { observe });
      score = branches.map(() => 0);
      try {
        for (const feeds of ctx.samples) {
          const out = await session.run(feeds, { observe });
          branches.forEach((b, i) => {
            score[i]! +=
              rms(out[b.out]!.data as Float32Array) / Math.max(1e-12, rms(out[b.skip]!.data as Float32Array));
          });
        }
      } finally {
        session.dispose();
      }
    } else if (s.criterion === 'l1' || s.criterion === 'l2' || s.criterion === 'random') {
      const next = rng(s.seed);
      score = branches.map((b) => {
        if (s.criterion === 'random') return next();
        let sum = 0;
        let n = 0;
        for (const node of b.nodes.filter((x) => WEIGHTED.has(x.opType))) {
          const w = g.constant(node.inputs[1]!)?.data as Float32Array | undefined;
          for (const x of w ?? []) sum += s.criterion === 'l1' ? Math.abs(x) : x * x;
          n += w?.length ?? 0;
        }
        return s.criterion === 'l1' ? sum / Math.max(1, n) : Math.sqrt(sum / Math.max(1, n));
      });
    } else {
      throw new Error(`${s.from}: prune layers { criterion ${s.criterion} } passed the checks`);
    }
    const k = removedCount(s.p, branches.length);
    for (const i of lowest(score, k)) {
      const b = branches[i]!;
      for (const n of b.nodes) if (WEIGHTED.has(n.opType)) ctx.layerError[nameOf(n)] = 1;
      removed.push(b.add.name || b.add.outputs[0]!);
      ctx.log?.(
        `${s.action}: residual branch into ${b.add.name} (${b.nodes.length} nodes) → identity (${s.criterion} ${score[i]!.toPrecision(3)})`,
      );
      removeBranch(g, b);
    }
  }
  return removed;
}
