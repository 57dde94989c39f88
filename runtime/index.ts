// runtime/: the graph IR, ONNX import/export, op registry and executor. Imports nothing else of squish.
export * from './errors.ts';
export * from './ir/dtype.ts';
export * from './ir/tensor.ts';
export * from './ops/registry.ts';
export * from './backends/backend.ts';
export * from './npy.ts';
export * from './ir/index.ts';
export * from './onnx/index.ts';
