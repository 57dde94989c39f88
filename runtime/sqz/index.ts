// runtime/sqz: the .sqz container reader (docs/sqz.md) — the runtime loads .sqz models directly.
export { ByteReader } from './bytes.ts';
export { crc32 } from './crc32.ts';
export * from './format.ts';
export { huffmanDecode, MAX_CODE_LENGTH, readLengths } from './huffman.ts';
export { importAnyModel, isSqz, readSqz, sqzPayload } from './read.ts';
export { decodeRecord } from './record.ts';
export { relativeDecode } from './relindex.ts';
