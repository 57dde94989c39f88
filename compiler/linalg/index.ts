// compiler/linalg: dense linear algebra for the factorize pass (no I/O, typed arrays only).
export * from './cholesky.ts';
export * from './conv.ts';
export * from './lowrank.ts';
export * from './lstsq.ts';
export * from './matrix.ts';
export * from './rank.ts';
export * from './svd.ts';
export * from './symmetric.ts';
export * from './tucker.ts';
