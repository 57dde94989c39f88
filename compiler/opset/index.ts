// Opset conversion: raise a model's default-domain opset, converting the ops whose form changed.
export * from './adapters.ts';
export * from './convert.ts';
