// Plan: a recipe resolved against a model into per-layer actions, and its lowering to passes.
export * from './lower.ts';
export * from './model-plan.ts';
export * from './plan.ts';
export * from './recipe.ts';
export * from './render.ts';
export * from './settings.ts';
