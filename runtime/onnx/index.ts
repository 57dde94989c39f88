// runtime/onnx: ONNX bytes ↔ the IR (lossless, deterministic), and the raw protobuf codec.

export { isSparse, markSparse } from '../ir/tensor-meta.ts';
export { cloneModel } from './clone.ts';
export { decodeMessage, encode, type Msg } from './codec.ts';
export { type ExternalDataOptions, exportModel, exportModelWithData } from './export.ts';
export { type ImportOptions, importModel } from './import.ts';
export { inlineFunctions } from './inline.ts';
export { type ExternalReader, TENSOR_META, type TensorMeta } from './tensor-proto.ts';
