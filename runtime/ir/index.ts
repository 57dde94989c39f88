// runtime/ir: the graph IR (Model, Graph, Node, Value, Tensor, dtypes, packing).
export * from './attribute.ts';
export { constantNodeValue } from './constant.ts';
export * from './dtype.ts';
export { Graph, type ValueInfo } from './graph.ts';
export * from './model.ts';
export { Node, type NodeInit } from './node.ts';
export * from './packing.ts';
export * from './tensor.ts';
export { Value } from './value.ts';
