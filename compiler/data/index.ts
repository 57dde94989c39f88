// Calibration data: the host interface (core does no I/O) and the sample loader.
export * from './calibration.ts';
export * from './host.ts';
export * from './random.ts';
export * from './split.ts';
