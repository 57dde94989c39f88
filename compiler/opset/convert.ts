// The version converter: raises a model's default-domain opset, rewriting every node whose op
// changed form in between (ADAPTERS) and refusing, by name, any op it does not know.

import { UserError } from '../../runtime/errors.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Node } from '../../runtime/ir/node.ts';
import { inferShapes } from '../../runtime/ir/shape/index.ts';
import { ADAPTERS, type AdaptContext, COMPATIBLE } from './adapters.ts';

/** Lowest IR version that may carry a default-domain opset (ONNX's release table). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  if (opset === 23) return 11;
  if (opset === 24) return 12;
  return 13;
}

export const MAX_OPSET = 25;

const isDefault = (n: Node) => n.domain === '' || n.domain === 'ai.onnx';

function graphs(g: Graph, out: Graph[] = []): Graph[] {
  out.push(g);
  for (const n of g.nodes) for (const sg of n.subgraphs()) graphs(sg, out);
  return out;
}

/** Op types in the model (any depth) the converter cannot take from `from` to `to`. */
export function unconvertible(model: Model, to: number): string[] {
  const bad = new Set<string>();
  for (const g of graphs(model.graph)) {
    for (const n of g.nodes) {
      if (!isDefault(n)) continue;
      if (!COMPATIBLE.has(n.opType) && !ADAPTERS[n.opType]) bad.add(n.opType);
      if (
        n.opType === 'Resize' &&
        n.attrs.coordinate_transformation_mode === 'tf_half_pixel_for_nearest' &&
        to >= 13
      ) {
        bad.add('Resize(tf_half_pixel_for_nearest)');
      }
    }
  }
  return [...bad].sort();
}

/** Raise the default-domain opset of `model` to `to` in place. Returns how many nodes changed form. */
export function upgradeOpset(model: Model, to: number): number {
  const from = model.opset('') ?? 1;
  if (!Number.isInteger(to) || to < 1 || to > MAX_OPSET) {
    throw new UserError(`output opset ${to} is not an ONNX opset squish can write`, `use 7..${MAX_OPSET}`);
  }
  if (to < from) {
    throw new UserError(
      `the model is at opset ${from}; lowering it to ${to} is not supported`,
      `remove "opset ${to}" from output { … } or use ${from} or higher`,
    );
  }
  if (from < 7)
    throw new UserError(`the model's opset ${from} is too old to convert (squish converts from opset 7 on)`);
  if (to === from) return 0;
  const bad = unconvertible(model, to);
  if (bad.length) {
    throw new UserError(
      `cannot raise the opset from ${from} to ${to}: squish does not know how to convert ${bad.join(', ')}`,
      'leave output { opset } out to keep the model at its own opset',
    );
  }
  let changed = 0;
  // shapes are inferred on the graph as it is, before any node changes form
  let inferred: ReturnType<typeof inferShapes> | undefined;
  try {
    inferred = inferShapes(model.graph, { opset: from });
  } catch {
    inferred = undefined; // adapters then fall back to rank-independent rewrites
  }
  const ctx: AdaptContext = { rankOf: (name) => inferred?.types.get(name)?.shape?.length };
  for (const g of graphs(model.graph)) {
    for (const n of [...g.nodes]) {
      if (!isDefault(n)) continue;
      let touched = false;
      const op = n.opType;
      let reached = from;
      for (const [v, adapt] of ADAPTERS[op] ?? []) {
        if (v > from && v <= to) {
          adapt(g, n, ctx);
          touched = true;
          reached = v;
        }
      }
      // an adapter may have changed the op (Upsample → Resize): run the new op's later steps
      if (n.opType !== op) {
        for (const [v, adapt] of ADAPTERS[n.opType] ?? []) if (v > reached && v <= to) adapt(g, n, ctx);
      }
      if (touched) changed++;
    }
    g.touch();
  }
  model.setOpset('', to);
  const ir = typeof model.irVersion === 'bigint' ? Number(model.irVersion) : model.irVersion;
  if (ir < irVersionFor(to)) model.irVersion = irVersionFor(to);
  return changed;
}
