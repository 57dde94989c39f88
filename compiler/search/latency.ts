// Latency in the engine a search is handed (onnxruntime-node from the CLI): a per-op table — each
// layer's node with the constants it reads (a DequantizeLinear of its codes, a codebook Gather) cut
// out as a model of its own and timed alone; identical ops are timed once — and the whole model
// against the original, interleaved run by run so load on the machine hits both alike.

import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import type { Node } from '../../runtime/ir/node.ts';
import { type Dim, inferShapes } from '../../runtime/ir/shape/index.ts';
import { makeTensor, type Tensor } from '../../runtime/ir/tensor.ts';
import type { SearchEngine } from './probe.ts';

/** Median of a list (the list is sorted in place). */
function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}

/** Milliseconds per run of each model on its feeds: warm-up, then `rounds` interleaved runs. */
export async function timeInterleaved(
  engine: SearchEngine,
  models: { model: Model; feeds: Record<string, Tensor> }[],
  rounds: number,
  repeat = 1,
): Promise<number[]> {
  const sessions = [];
  for (const m of models) sessions.push(await engine.open(m.model));
  try {
    const times: number[][] = models.map(() => []);
    for (const [i, s] of sessions.entries()) await s.run(models[i]!.feeds);
    for (let r = 0; r < rounds; r++)
      for (const [i, s] of sessions.entries()) {
        const t0 = engine.clock();
        for (let k = 0; k < repeat; k++) await s.run(models[i]!.feeds);
        times[i]!.push((engine.clock() - t0) / repeat);
      }
    return times.map(median);
  } finally {
    for (const s of sessions) await s.release();
  }
}

/** A model holding `node` and the constant-only nodes its inputs come from, data inputs as graph inputs. */
export function opModel(
  model: Model,
  node: Node,
  types: Map<string, { dtype: string; shape?: Dim[] }>,
):
  | {
      model: Model;
      feeds: Record<string, Tensor>;
    }
  | undefined {
  const src = model.graph;
  const g = new Graph('op');
  const feeds: Record<string, Tensor> = {};
  const added = new Set<Node>();
  const take = (name: string): boolean => {
    if (!name || g.initializers.has(name) || g.inputs.some((i) => i.name === name)) return true;
    const c = src.constant(name);
    if (c) {
      g.addInitializer(name, c);
      return true;
    }
    const p = src.producer(name);
    if (p && p !== node && isConstantOnly(src, p)) {
      if (!added.has(p)) {
        for (const i of p.inputs) if (!take(i)) return false;
        added.add(p);
        g.addNode({
          op: p.opType,
          domain: p.domain,
          name: p.name,
          inputs: p.inputs,
          outputs: p.outputs,
          attrs: Object.fromEntries(p.attributes.map((a) => [a.name, a])),
        });
      }
      return true;
    }
    const t = types.get(name);
    const dims = t?.shape;
    if (!t || !dims?.every((d) => typeof d === 'number') || t.dtype !== 'float32') return false;
    g.inputs.push({ name, type: { dtype: 'float32', shape: [...dims] } });
    const x = makeTensor('float32', dims as number[]);
    const d = x.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = Math.sin(i * 12.9898) * 0.5;
    feeds[name] = x;
    return true;
  };
  for (const i of node.inputs) if (!take(i)) return undefined;
  g.addNode({
    op: node.opType,
    domain: node.domain,
    name: node.name,
    inputs: node.inputs,
    outputs: node.outputs,
    attrs: Object.fromEntries(node.attributes.map((a) => [a.name, a])),
  });
  g.outputs = node.outputs.filter(Boolean).map((o) => ({ name: o, type: types.get(o) as never }));
  const m = new Model(g);
  m.irVersion = model.irVersion;
  m.opsetImports = model.opsetImports.map((o) => ({ ...o }));
  return { model: m, feeds };
}

function isConstantOnly(g: Graph, n: Node): boolean {
  return n.inputs.every(
    (i) =>
      !i || g.constant(i) !== undefined || (g.producer(i) !== undefined && isConstantOnly(g, g.producer(i)!)),
  );
}

/** A key that is equal for ops that compute alike (op, attributes, shapes and dtypes of what they read). */
function opKey(model: Model, node: Node, types: Map<string, { dtype: string; shape?: Dim[] }>): string {
  const g = model.graph;
  const part = (name: string): string => {
    const c = g.constant(name);
    if (c) return `${c.dtype}[${c.dims.join(',')}]`;
    const p = g.producer(name);
    if (p && isConstantOnly(g, p))
      return `${p.opType}(${p.inputs.map(part).join(';')})${JSON.stringify(p.attrs)}`;
    const t = types.get(name);
    return `${t?.dtype}[${t?.shape?.join(',')}]`;
  };
  return `${node.opType}(${node.inputs.map(part).join(';')})${JSON.stringify(node.attrs)}`;
}

/**
 * Per-op latency: milliseconds of each named node of `model` run alone (0 where it cannot be cut out
 * alone, e.g. an input of unknown shape). Identical ops are timed once across calls (`table`).
 */
export async function opLatencies(
  engine: SearchEngine,
  model: Model,
  names: readonly string[],
  shapes: Record<string, Dim[]>,
  byName: Map<string, Node>,
  table: Map<string, number>,
  rounds = 7,
): Promise<Map<string, number>> {
  const types = inferShapes(model.graph, { opset: model.opset('') ?? 13, inputShapes: shapes }).types as Map<
    string,
    { dtype: string; shape?: Dim[] }
  >;
  const out = new Map<string, number>();
  const todo: { key: string; model: Model; feeds: Record<string, Tensor> }[] = [];
  const keyOf = new Map<string, string>();
  for (const name of names) {
    const n = byName.get(name);
    if (!n) continue;
    const key = opKey(model, n, types);
    keyOf.set(name, key);
    if (table.has(key) || todo.some((t) => t.key === key)) continue;
    const cut = opModel(model, n, types);
    if (cut) todo.push({ key, ...cut });
    else table.set(key, 0);
  }
  if (todo.length) {
    const ms = await timeInterleaved(engine, todo, rounds, 3);
    todo.forEach((t, i) => {
      table.set(t.key, ms[i]!);
    });
  }
  for (const [name, key] of keyOf) out.set(name, table.get(key) ?? 0);
  return out;
}
