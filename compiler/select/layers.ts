// The adapter from the IR graph to the recipe language's layer model (dsl LayerInfo[]), for selectors.
import { flattenStatements, type RecipeAst } from '../../dsl/ast.ts';
import type { LayerInfo } from '../../dsl/select.ts';
import { isFloatDType } from '../../runtime/ir/dtype.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Node } from '../../runtime/ir/node.ts';
import { inferShapes, nodeFlops, type ValueType } from '../../runtime/ir/shape/index.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

/** Shapes known for values (e.g. from shape inference); by default the graph's declared types. */
export type ShapeOf = (name: string) => readonly (number | string)[] | undefined;

function elements(t: Tensor): number {
  let n = 1;
  for (const d of t.dims) n *= d;
  return n;
}

function numericShape(s: readonly (number | string)[] | undefined): number[] | undefined {
  return s?.every((d) => typeof d === 'number' && d >= 0) ? (s as number[]) : undefined;
}

function intAttr(n: Node, name: string, dflt: number): number {
  const v = n.attrs[name];
  return typeof v === 'number' ? v : dflt;
}

function intsAttr(n: Node, name: string): number[] | undefined {
  const v = n.attrs[name];
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}

/** One LayerInfo per node of the main graph, in topological order. */
export function buildLayers(model: Model, shapeOf?: ShapeOf): LayerInfo[] {
  const g: Graph = model.graph;
  const shape: ShapeOf = shapeOf ?? ((name) => g.declaredType(name)?.shape);
  return g.topoOrder().map((n, index) => layerOf(g, n, index, shape));
}

/**
 * Layers with shapes inferred at the input shapes the recipe pins (`model { input … }`), so that
 * `flops` is known; falls back to the graph's declared types when inference fails.
 */
export function layersForRecipe(model: Model, ast: RecipeAst): LayerInfo[] {
  const names = modelInputs(model);
  const inputShapes: Record<string, number[]> = {};
  for (const s of flattenStatements(ast)) {
    if (s.kind !== 'model') continue;
    for (const i of s.inputs) {
      if (names.includes(i.name) && i.dims.every((d) => typeof d === 'number'))
        inputShapes[i.name] = i.dims as number[];
    }
  }
  try {
    const inferred = inferShapes(model.graph, { opset: model.opset('') ?? 17, inputShapes });
    return buildLayers(
      model,
      (name) => inferred.types.get(name)?.shape ?? model.graph.declaredType(name)?.shape,
    );
  } catch {
    return buildLayers(model);
  }
}

/** The model's real inputs (graph inputs that are not initializers). */
export function modelInputs(model: Model): string[] {
  const g = model.graph;
  return g.inputs.map((v) => v.name).filter((name) => !g.initializers.has(name));
}

function layerOf(g: Graph, n: Node, index: number, shapeOf: ShapeOf): LayerInfo {
  const weights: { name: string; t: Tensor; slot: number }[] = [];
  n.inputs.forEach((name, slot) => {
    if (!name) return;
    const t = g.constant(name);
    if (t && isFloatDType(t.dtype) && elements(t) >= 2) weights.push({ name, t, slot });
  });
  const info: LayerInfo = {
    name: n.name || n.outputs[0] || `${n.opType}_${index}`,
    op: n.opType,
    weightNames: weights.map((w) => w.name),
    index,
    params: weights.reduce((s, w) => s + elements(w.t), 0),
    flops: 0,
    depthwise: false,
  };
  const w1 = weights.find((w) => w.slot === 1)?.t;
  // FLOPs as `squish inspect` counts them (runtime/ir/shape/flops.ts), 0 where a shape is unknown.
  const typeOf = (name: string): ValueType | undefined => {
    const shape = numericShape(name ? shapeOf(name) : undefined);
    return shape ? { dtype: 'float32', shape } : undefined;
  };
  info.flops =
    nodeFlops(n.opType, n.inputs.map(typeOf), n.outputs.map(typeOf), n.attrs, (i) => Boolean(n.inputs[i])) ??
    0;
  switch (n.opType) {
    case 'Conv':
    case 'ConvTranspose': {
      if (!w1 || w1.dims.length < 3) break;
      const group = intAttr(n, 'group', 1);
      const [a, b] = [w1.dims[0]!, w1.dims[1]!];
      const spatial = w1.dims.slice(2);
      if (n.opType === 'Conv') {
        info.out_channels = a;
        info.in_channels = b * group;
      } else {
        info.in_channels = a;
        info.out_channels = b * group;
      }
      info.group = group;
      info.kernel = spatial.length >= 2 ? [spatial[0]!, spatial[1]!] : [spatial[0]!, 1];
      const strides = intsAttr(n, 'strides');
      info.stride = strides?.length ? Math.max(...strides) : 1;
      info.depthwise = group > 1 && group === info.in_channels;
      break;
    }
    case 'Gemm': {
      const w = w1;
      if (w?.dims.length !== 2) break;
      const transB = intAttr(n, 'transB', 0) === 1;
      info.in_channels = transB ? w.dims[1] : w.dims[0];
      info.out_channels = transB ? w.dims[0] : w.dims[1];
      break;
    }
    case 'MatMul': {
      const w = w1;
      if (!w || w.dims.length < 2) break;
      info.in_channels = w.dims[w.dims.length - 2];
      info.out_channels = w.dims[w.dims.length - 1];
      break;
    }
  }
  return info;
}
