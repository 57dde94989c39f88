// ConvTranspose that upsamples (kernel = stride), plain or fused, on gpu.js (conv-transpose.ts).

import { FUSED_DOMAIN } from '../../fusion/fusion.ts';
import { prepareUpsample, upsampleGeometry } from '../conv-transpose.ts';
import { type GpujsKernel, perShape, registerGpujsKernel } from '../kernel.ts';
import { constWeights } from './conv-checks.ts';

const convTranspose: GpujsKernel = {
  prepare(node, k) {
    const c = constWeights(node);
    if (!c || !upsampleGeometry([1, c.w.dims[0] ?? 0, 1, 1], c.w.dims, node.attrs)) return undefined;
    return perShape(node, k, (x) => {
      const g = upsampleGeometry(x.dims, c.w.dims, node.attrs);
      return g ? prepareUpsample(k.host, g, c.w, c.bias, k.ep) : undefined;
    });
  },
};

registerGpujsKernel('ConvTranspose', convTranspose);
registerGpujsKernel('FusedConvTranspose', convTranspose, FUSED_DOMAIN);
