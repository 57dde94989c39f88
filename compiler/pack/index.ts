// compiler/pack: the .sqz writer (Deep Compression container, docs/sqz.md) and its stage table;
// the reader is runtime/sqz (the runtime loads .sqz without the compiler).
export { ByteWriter } from './bytes.ts';
export { encodeRecord, MAX_CODEBOOK, MIN_CODED_ELEMENTS, type RecordStats, writeStream } from './encode.ts';
export { sqzStages, stagesTable } from './inspect.ts';
export { packStages, type StageReport, type StageRow } from './stages.ts';
export { assembleSqz, type PackResult, packSqz, recordBytes } from './write.ts';
