// Shape functions for control flow: If (the then-branch's declared outputs) and Loop (carried
// values keep their types; scan outputs gain a leading iteration dim, known for a constant trip count)
// and Scan (states keep their types; scan outputs gain the sequence dim at scan_output_axes).

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
  Scan: {
    shape: (ins, a) => {
      const body = a.body as Graph | undefined;
      const outs = declared(body);
      const m = (a.num_scan_inputs as number | undefined) ?? 0;
      const nState = ins.length - m;
      const inAxes = (a.scan_input_axes as number[] | undefined) ?? [];
      const outAxes = (a.scan_output_axes as number[] | undefined) ?? [];
      const first = ins[nState]?.shape;
      const ax0 = inAxes[0] ?? 0;
      const len = first ? (first[ax0 < 0 ? ax0 + first.length : ax0] ?? '?') : '?';
      return outs.map((t, i) => {
        if (i < nState) return ins[i] ?? t;
        if (!t?.shape) return t && { dtype: t.dtype, shape: undefined };
        const r = t.shape.length + 1;
        const ax = outAxes[i - nState] ?? 0;
        const at = ax < 0 ? ax + r : ax;
        return { dtype: t.dtype, shape: [...t.shape.slice(0, at), len, ...t.shape.slice(at)] };
      });
    },
  },
};
