// Shape/dtype inference, symbolic dims, FLOPs and per-layer statistics.
export * from './dims.ts';
export { nodeFlops } from './flops.ts';
export { type InferOptions, type InferResult, inferShapes, SHAPE_OPS } from './infer.ts';
export { refreshValueInfo } from './refresh.ts';
export { type LayerStats, type ModelStats, modelStats, tensorBytes } from './stats.ts';
export type { OpShape, ShapeCtx, ShapeFn, ValueFn } from './types.ts';
