// Conv (and FusedConv with its epilogue) on gpu.js: the direct kernel of conv.ts, built per input shape.

import { FUSED_DOMAIN } from '../../fusion/fusion.ts';
import { convGeometry } from '../../geometry.ts';
import { prepareConv } from '../conv.ts';
import { type GpujsKernel, perShape, registerGpujsKernel } from '../kernel.ts';
import { constWeights } from './conv-checks.ts';

const conv: GpujsKernel = {
  prepare(node, k) {
    const c = constWeights(node);
    if (!c) return undefined;
    return perShape(node, k, (x) => {
      const g = convGeometry(x.dims, c.w.dims, node.attrs);
      return g ? prepareConv(k.host, g, c.w, c.bias, k.ep) : undefined;
    });
  },
};

registerGpujsKernel('Conv', conv);
registerGpujsKernel('FusedConv', conv, FUSED_DOMAIN);
