// runtime/: the graph IR, ONNX import/export, op registry and executor. Imports nothing else of squish.

export * from './backends/backend.ts';
export * from './errors.ts';
export * from './exec/index.ts';
export * from './ir/dtype.ts';
export * from './ir/index.ts';
export * from './ir/tensor.ts';
export * from './npy.ts';
export * from './onnx/index.ts';
export * from './ops/registry.ts';
export { importAnyModel, isSqz, readSqz } from './sqz/index.ts';
