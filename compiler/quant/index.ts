// compiler/quant: weight and activation quantization math for the quantize pass (no I/O).
export * from './bias.ts';
export * from './binary.ts';
export * from './calibrate.ts';
export * from './gptq.ts';
export * from './pack.ts';
export * from './uniform.ts';
