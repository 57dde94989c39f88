// Calibration statistics for channel pruning, from one executor run over the samples: per channel
// of each observed value its mean, standard deviation and share of zeros; and augmented im2col Grams
// ([x; 1]) of the consumer convs that least-squares reconstruction refits.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';
import { addConvGrams } from './hessian.ts';

export interface ChannelStats {
  mean: Float64Array;
  std: Float64Array;
  zeros: Float64Array;
}

function accumulate(acc: { s: Float64Array; q: Float64Array; z: Float64Array; n: number }, t: Tensor): void {
  const [N, C] = t.dims as number[];
  const inner = t.dims.slice(2).reduce((a, b) => a * b, 1);
  const d = t.data as Float32Array;
  for (let b = 0; b < N!; b++)
    for (let c = 0; c < C!; c++) {
      let s = 0;
      let q = 0;
      let z = 0;
      const o = (b * C! + c) * inner;
      for (let i = 0; i < inner; i++) {
        const x = d[o + i]!;
        s += x;
        q += x * x;
        if (x === 0) z++;
      }
      acc.s[c]! += s;
      acc.q[c]! += q;
      acc.z[c]! += z;
    }
  acc.n += N! * inner;
}

/** Positions per sample used for the reconstruction Grams. */
const LS_POSITIONS = 1024;

export async function channelStats(
  model: Model,
  values: string[],
  lsConvs: Node[],
  samples: Sample[],
): Promise<{ stats: Map<string, ChannelStats>; grams: Map<Node, Float64Array> }> {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const g = model.graph;
  const observe = [...new Set([...values, ...lsConvs.map((n) => n.inputs[0]!)])];
  const accs = new Map<string, { s: Float64Array; q: Float64Array; z: Float64Array; n: number }>();
  const grams = new Map<Node, Float64Array>();
  for (const n of lsConvs) {
    const w = g.constant(n.inputs[1]!)!;
    const cols = w.dims.slice(1).reduce((a, b) => a * b, 1) + 1;
    grams.set(n, new Float64Array(cols * cols));
  }
  const session = await createSession(model, { observe });
  try {
    for (const feeds of samples) {
      const out = await session.run(feeds, { observe });
      for (const v of values) {
        const t = out[v];
        if (!t) throw new Error(`prune: the executor did not return ${v}`);
        let a = accs.get(v);
        const C = t.dims[1]!;
        if (!a)
          accs.set(v, (a = { s: new Float64Array(C), q: new Float64Array(C), z: new Float64Array(C), n: 0 }));
        accumulate(a, t);
      }
      for (const n of lsConvs) {
        const w = g.constant(n.inputs[1]!)!;
        addConvGrams([grams.get(n)!], n, out[n.inputs[0]!]!, w.dims, LS_POSITIONS, true);
      }
    }
  } finally {
    session.dispose();
  }
  const stats = new Map<string, ChannelStats>();
  for (const [v, a] of accs) {
    const C = a.s.length;
    const st = { mean: new Float64Array(C), std: new Float64Array(C), zeros: new Float64Array(C) };
    for (let c = 0; c < C; c++) {
      const m = a.s[c]! / a.n;
      st.mean[c] = m;
      st.std[c] = Math.sqrt(Math.max(0, a.q[c]! / a.n - m * m));
      st.zeros[c] = a.z[c]! / a.n;
    }
    stats.set(v, st);
  }
  for (const [n, h] of grams) {
    const k = Math.round(Math.sqrt(h.length));
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) h[j * k + i] = h[i * k + j]!;
    void n;
  }
  return { stats, grams };
}
