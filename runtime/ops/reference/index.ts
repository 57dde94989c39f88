// Registers every reference kernel in the op registry (on import; idempotent).

import { getOp, type OpDef, registerOp } from '../registry.ts';
import { CONV_OPS } from './conv.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { GEMM_OPS } from './gemm.ts';
import { NORM_OPS } from './norm.ts';
import { POOL_OPS } from './pool.ts';
import { QUANT_OPS } from './quant.ts';
import { RESIZE_OPS } from './resize.ts';
import { SHAPE_OPS } from './shape.ts';

export const REFERENCE_OPS: readonly OpDef[] = [
  ...ELEMENTWISE_OPS,
  ...GEMM_OPS,
  ...CONV_OPS,
  ...NORM_OPS,
  ...POOL_OPS,
  ...RESIZE_OPS,
  ...SHAPE_OPS,
  ...QUANT_OPS,
];

export function registerReferenceOps(): void {
  for (const def of REFERENCE_OPS) if (!getOp(def.type, def.domain)) registerOp(def);
}

registerReferenceOps();
