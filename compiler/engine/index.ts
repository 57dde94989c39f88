// The rewrite engine: patterns, rules, the rule driver and the pass manager.
export * from './driver.ts';
export * from './pass.ts';
export * from './pattern.ts';
export * from './rule.ts';
