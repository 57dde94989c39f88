// The compile report: types, model figures, target checks.
export * from './stats.ts';
export * from './targets.ts';
export * from './types.ts';
