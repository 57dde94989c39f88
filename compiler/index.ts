// compiler/: the public API for build tools.
export * from '../runtime/index.ts';
