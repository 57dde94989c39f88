// compiler/codec: weight sharing and entropy coding for the Deep Compression pack (no I/O).
export * from './crc32.ts';
export * from './huffman.ts';
export * from './kmeans.ts';
export * from './relindex.ts';
