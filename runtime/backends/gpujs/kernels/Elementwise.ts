// Add/Sub/Mul/Div of two runtime float32 tensors, plain or as a fused anchor with its epilogue, on
// gpu.js (eltwise.ts).

import { FUSED_DOMAIN } from '../../fusion/fusion.ts';
import { ELTWISE_OPS, prepareEltwise } from '../eltwise.ts';
import { type GpujsKernel, registerGpujsKernel } from '../kernel.ts';

const plain: GpujsKernel = {
  prepare(node, k) {
    const known = node.inputTypes.every((t) => t === undefined || t.dtype === 'float32');
    return known && node.inputTypes.length === 2 ? prepareEltwise(k.host, node, k.ctx) : undefined;
  },
};

const fused: GpujsKernel = {
  prepare: (node, k) => prepareEltwise(k.host, node, k.ctx, k.ep),
};

for (const op of Object.keys(ELTWISE_OPS)) {
  registerGpujsKernel(op, plain);
  registerGpujsKernel(`Fused${op}`, fused, FUSED_DOMAIN);
}
