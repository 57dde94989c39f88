// Physically removes channel units found by groups.ts: weights and biases lose rows/columns, BN
// parameters and broadcast constants lose entries, depthwise convs lose groups, Gemm/MatMul after a
// Flatten lose H·W rows per channel. Every edited tensor becomes a private initializer.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { refreshValueInfo } from '../../../runtime/ir/shape/refresh.ts';
import { makeTensor, type Tensor } from '../../../runtime/ir/tensor.ts';
import type { ChannelUnit } from './groups.ts';

/** A copy of t without the given indices along `axis`. */
export function dropIndices(t: Tensor, axis: number, drop: ReadonlySet<number>): Tensor {
  const dims = [...t.dims];
  const n = dims[axis]!;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (!drop.has(i)) keep.push(i);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const out = makeTensor(t.dtype, [...dims.slice(0, axis), keep.length, ...dims.slice(axis + 1)]);
  const src = t.data as Float32Array;
  const dst = out.data as Float32Array;
  let o = 0;
  for (let a = 0; a < outer; a++)
    for (const k of keep) {
      const s = (a * n + k) * inner;
      for (let i = 0; i < inner; i++) dst[o++] = src[s + i]!;
    }
  return out;
}

/** Replaces input `k` of node with a private initializer holding t. */
export function setConstInput(g: Graph, node: Node, k: number, t: Tensor): void {
  const name = g.uniqueName(`${node.inputs[k] || 'w'}.pruned`);
  g.addInitializer(name, t);
  node.setInput(k, name);
}

type Edits = { node: Node; input: number; axis: number; drop: Set<number> }[];

function edit(e: Edits, node: Node, input: number, axis: number, idx: number[]): void {
  const hit = e.find((v) => v.node === node && v.input === input && v.axis === axis);
  if (hit) for (const i of idx) hit.drop.add(i);
  else e.push({ node, input, axis, drop: new Set(idx) });
}

/** Removes the units from the model (in place) and refreshes stale value types. */
export function removeUnits(model: Model, units: ChannelUnit[]): void {
  const g = model.graph;
  const e: Edits = [];
  const dwRemoved = new Map<Node, number>();
  for (const u of units)
    for (const a of u.actions) {
      const n = a.node;
      switch (a.kind) {
        case 'out':
          edit(e, n, 1, n.opType === 'ConvTranspose' ? 1 : 0, [a.c]);
          if (n.inputs[2]) edit(e, n, 2, 0, [a.c]);
          break;
        case 'in':
          edit(e, n, 1, n.opType === 'ConvTranspose' ? 0 : 1, [a.c]);
          break;
        case 'dw':
          edit(e, n, 1, 0, [a.c]);
          if (n.inputs[2]) edit(e, n, 2, 0, [a.c]);
          dwRemoved.set(n, (dwRemoved.get(n) ?? 0) + 1);
          break;
        case 'rows': {
          const rows = Array.from({ length: a.count }, (_, i) => a.start + i);
          edit(e, n, 1, n.opType === 'Gemm' && n.attrs.transB === 1 ? 1 : 0, rows);
          break;
        }
        case 'const':
          edit(e, n, a.input, a.axis, [a.c]);
          break;
        case 'bn':
          for (let k = 1; k < n.inputs.length; k++) if (n.inputs[k]) edit(e, n, k, 0, [a.c]);
          break;
      }
    }
  // one node input may be edited along several axes (never here), apply each in turn
  for (const { node, input, axis, drop } of e) {
    const t = g.constant(node.inputs[input]!)!;
    setConstInput(g, node, input, dropIndices(t, axis, drop));
  }
  for (const [n, k] of dwRemoved) n.setAttr('group', ((n.attrs.group as number) ?? 1) - k);
  g.sweep();
  refreshValueInfo(model);
}
