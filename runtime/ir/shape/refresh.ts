// Bring a graph's value_info (and graph output types) in line with inferred types after a pass
// changed shapes (pruned channels, a new dtype): stale entries are fixed, unknown ones left alone.

import type { Graph, ValueInfo } from '../graph.ts';
import type { Model } from '../model.ts';
import type { Dim, ValueType } from './dims.ts';
import { inferShapes } from './infer.ts';

function conflicts(declared: ValueType | undefined, inferred: ValueType): boolean {
  if (!declared) return true;
  if (declared.dtype !== inferred.dtype) return true;
  if (!declared.shape || !inferred.shape) return false;
  if (declared.shape.length !== inferred.shape.length) return true;
  return declared.shape.some((d, i) => {
    const e = inferred.shape![i]!;
    return typeof d === 'number' && typeof e === 'number' && d !== e;
  });
}

/** Inferred dims as value_info can hold them: numbers and the inputs' dim names; '?' for expressions. */
function storable(t: ValueType, names: Set<string>): ValueType {
  return {
    dtype: t.dtype,
    shape: t.shape?.map((d: Dim) => (typeof d === 'number' || names.has(d) ? d : '?')),
  };
}

/**
 * Fix value_info entries and graph outputs whose declared type conflicts with the inferred one
 * (dtype, rank or a known dim). Returns the names changed. Subgraphs are left as they are.
 */
export function refreshValueInfo(model: Model, g: Graph = model.graph): string[] {
  const inferred = inferShapes(g, { opset: model.opset() ?? 1 });
  const names = new Set<string>();
  for (const i of g.inputs) for (const d of i.type?.shape ?? []) if (typeof d === 'string') names.add(d);
  const changed: string[] = [];
  const fix = (v: ValueInfo) => {
    const t = inferred.types.get(v.name);
    if (!t || !conflicts(v.type, t)) return;
    v.type = storable(t, names);
    changed.push(v.name);
  };
  g.valueInfo.forEach(fix);
  g.outputs.forEach(fix);
  return changed;
}
