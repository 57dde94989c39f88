// MatMul (A × constant 2-D B) and Gemm (constant B and C) on gpu.js (matmul.ts).

import { type GpujsKernel, perShape, registerGpujsKernel } from '../kernel.ts';
import { prepareMatMul } from '../matmul.ts';

const matmul: GpujsKernel = {
  prepare(node, k) {
    const build = prepareMatMul(k.host, node);
    return build ? perShape(node, k, build) : undefined;
  },
};

registerGpujsKernel('MatMul', matmul);
registerGpujsKernel('Gemm', matmul);
