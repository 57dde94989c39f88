// Registers every reference kernel, with its shape function, in the op registry (on import; idempotent).

import { SHAPE_OPS as IR_SHAPES, type OpShape, tensorDims } from '../../ir/shape/index.ts';
import { getOp, type OpDef, registerOp } from '../registry.ts';
import { CONV_OPS } from './conv.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { GEMM_OPS } from './gemm.ts';
import { MATH_OPS } from './math.ts';
import { NORM_OPS } from './norm.ts';
import { POOL_OPS } from './pool.ts';
import { QUANT_OPS } from './quant.ts';
import { REDUCE_OPS } from './reduce.ts';
import { RESIZE_OPS } from './resize.ts';
import { SCATTER_OPS } from './scatter.ts';
import { SHAPE_OPS } from './shape.ts';
import { TENSOR_OPS } from './tensor-ops.ts';

export const REFERENCE_OPS: readonly OpDef[] = [
  ...ELEMENTWISE_OPS,
  ...GEMM_OPS,
  ...CONV_OPS,
  ...NORM_OPS,
  ...POOL_OPS,
  ...RESIZE_OPS,
  ...SCATTER_OPS,
  ...SHAPE_OPS,
  ...QUANT_OPS,
  ...MATH_OPS,
  ...REDUCE_OPS,
  ...TENSOR_OPS,
];

/** The IR's shape function in the registry's signature (output count passed through for Split). */
function adapt(s: OpShape): NonNullable<OpDef['shape']> {
  return (inputs, attrs, ctx, consts) =>
    s
      .shape(inputs, attrs, {
        opset: ctx.opset,
        consts,
        values: consts.map(tensorDims),
        nOutputs: ctx.nOutputs,
      })
      .map((t) => t ?? { dtype: 'float32', shape: undefined });
}

/** Shape functions come from the IR's shape inference (one source of truth), else the kernel file's own. */
export function registerReferenceOps(): void {
  for (const def of REFERENCE_OPS) {
    if (getOp(def.type, def.domain)) continue;
    const s = IR_SHAPES[def.type];
    registerOp(s ? { ...def, shape: adapt(s) } : def);
  }
}

registerReferenceOps();
