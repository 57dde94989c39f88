// Fidelity: how closely a compressed model follows the original on calibration data.
export * from './compare.ts';
export * from './metrics.ts';
