// Shape functions for control flow: If (the then-branch's declared outputs) and Loop (carried
// values keep their types; scan outputs gain a leading iteration dim, known for a constant trip count).

import type { Graph } from '../graph.ts';
import type { ValueType } from './dims.ts';
import type { OpShape } from './types.ts';

function declared(g: Graph | undefined): (ValueType | undefined)[] {
  return g ? g.outputs.map((o) => o.type ?? g.declaredType(o.name)) : [];
}

export const CONTROL: Record<string, OpShape> = {
  If: {
    shape: (_ins, a) => {
      const then = declared(a.then_branch as Graph | undefined);
      const other = declared(a.else_branch as Graph | undefined);
      return then.map((t, i) => t ?? other[i]);
    },
  },
  Loop: {
    shape: (ins, a, ctx) => {
      const body = a.body as Graph | undefined;
      const outs = declared(body).slice(1); // the body's first output is the condition
      const carried = ins.length - 2;
      const n = ctx.nOutputs ?? outs.length;
      // a constant trip count and no condition input fix the number of iterations
      const trips = !ins[1] && typeof ctx.values[0]?.[0] === 'number' ? (ctx.values[0][0] as number) : '?';
      return Array.from({ length: n }, (_, i) => {
        if (i < carried) return ins[2 + i] ?? outs[i];
        const t = outs[i];
        return t ? { dtype: t.dtype, shape: t.shape ? [trips, ...t.shape] : undefined } : undefined;
      });
    },
  },
};
