// Shape and dtype inference over a graph in topological order, with symbolic dims for dynamic
// inputs and value propagation for shape arithmetic. Unknown ops fall back to declared value_info.

import type { Graph } from '../graph.ts';
import type { Node } from '../node.ts';
import { type Dim, tensorDims, type ValueType } from './dims.ts';
import { BASIC } from './ops-basic.ts';
import { CONTROL } from './ops-control.ts';
import { CONV } from './ops-conv.ts';
import { LAYOUT } from './ops-layout.ts';
import type { OpShape } from './types.ts';

/** Shape functions by op type (default ONNX domain). */
export const SHAPE_OPS: Record<string, OpShape> = { ...BASIC, ...CONV, ...LAYOUT, ...CONTROL };

export interface InferOptions {
  /** Concrete (or renamed symbolic) shapes for graph inputs, by input name. */
  inputShapes?: Record<string, Dim[]>;
  /** Default-domain opset (shape rules that changed across opsets need it). */
  opset?: number;
}

export interface InferResult {
  types: Map<string, ValueType>;
  /** Known elementwise values of small integer tensors (shape arithmetic). */
  values: Map<string, Dim[]>;
  /** Op types with no shape function (their outputs take declared types if any). */
  unknownOps: Set<string>;
  /** Nodes whose shape function failed, with the reason. */
  problems: { node: Node; message: string }[];
}

export function inferShapes(graph: Graph, opts: InferOptions = {}, outer?: InferResult): InferResult {
  const opset = opts.opset ?? 17;
  const types = new Map<string, ValueType>(outer?.types);
  const values = new Map<string, Dim[]>(outer?.values);
  const res: InferResult = { types, values, unknownOps: new Set(), problems: [] };
  for (const [name, t] of graph.initializers) {
    types.set(name, { dtype: t.dtype, shape: [...t.dims] });
    const v = tensorDims(t);
    if (v && t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'float16') values.set(name, v);
  }
  for (const i of graph.inputs) {
    const given = opts.inputShapes?.[i.name];
    if (i.type)
      types.set(i.name, {
        dtype: i.type.dtype,
        shape: given ? [...given] : i.type.shape && [...i.type.shape],
      });
  }
  for (const n of graph.topoOrder()) {
    const ins = n.inputs.map((x) => (x ? types.get(x) : undefined));
    const vals = n.inputs.map((x) => (x ? values.get(x) : undefined));
    const consts = n.inputs.map((x) => (x ? graph.constant(x) : undefined));
    const def = n.domain === '' || n.domain === 'ai.onnx' ? SHAPE_OPS[n.opType] : undefined;
    let outs: (ValueType | undefined)[] = [];
    if (def) {
      try {
        outs = def.shape(ins, n.attrs, { opset, consts, values: vals, nOutputs: n.outputs.length });
      } catch (e) {
        res.problems.push({ node: n, message: (e as Error).message });
      }
      let v: Dim[] | undefined;
      if (n.opType === 'Shape') v = shapeValue(ins[0], n.attrs);
      else if (n.opType === 'Size') v = sizeValue(ins[0]);
      else if (def.value) {
        try {
          v = def.value(vals, n.attrs, ins);
        } catch {
          v = undefined;
        }
      }
      if (v && n.outputs[0]) values.set(n.outputs[0], v);
    } else res.unknownOps.add(n.domain ? `${n.domain}::${n.opType}` : n.opType);
    n.outputs.forEach((o, k) => {
      if (!o) return;
      const t = outs[k] ?? graph.declaredType(o);
      if (t) types.set(o, t);
    });
  }
  return res;
}

function shapeValue(x: ValueType | undefined, a: Record<string, unknown>): Dim[] | undefined {
  if (!x?.shape) return undefined;
  const r = x.shape.length;
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  return x.shape.slice(norm((a.start as number) ?? 0), norm((a.end as number) ?? r));
}

function sizeValue(x: ValueType | undefined): Dim[] | undefined {
  if (!x?.shape?.every((d) => typeof d === 'number')) return undefined;
  return [x.shape.reduce<number>((p, d) => p * (d as number), 1)];
}
