// Resize (nearest, integer upscale) on gpu.js (resample.ts); other modes on the reference kernel.

import { nearestUpscale } from '../../geometry.ts';
import { floatOrReference, type GpujsKernel, registerGpujsKernel } from '../kernel.ts';
import { prepareResize } from '../resample.ts';

const resize: GpujsKernel = {
  prepare(node, k) {
    const f = nearestUpscale(node);
    const rank = node.inputTypes[0]?.shape?.length;
    if (!f || (rank !== undefined && rank !== 4)) return undefined;
    return floatOrReference(node, k.ctx, prepareResize(k.host, f), 4, true);
  },
};

registerGpujsKernel('Resize', resize);
