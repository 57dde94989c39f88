// runtime/ir: the graph IR (Model, Graph, Node, Value, Tensor, dtypes, packing).
export * from './attribute.ts';
export { constantNodeValue } from './constant.ts';
export * from './dtype.ts';
export { Graph, type ValueInfo } from './graph.ts';
export * from './model.ts';
export { Node, type NodeInit } from './node.ts';
export * from './packing.ts';
export {
  type InferOptions,
  type InferResult,
  inferShapes,
  type LayerStats,
  type ModelStats,
  modelStats,
  nodeFlops,
  type OpShape,
  refreshValueInfo,
  SHAPE_OPS,
  type ShapeCtx,
  type ShapeFn,
  tensorBytes,
} from './shape/index.ts';
export * from './tensor.ts';
export { isSparse, markSparse, TENSOR_META, type TensorMeta } from './tensor-meta.ts';
export * from './types.ts';
export { Value } from './value.ts';
