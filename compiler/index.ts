// compiler/: the public API for build tools (compile, plan, checkRecipe, loadModel, run) and the runtime.
export * from '../runtime/index.ts';
export * from './api.ts';
