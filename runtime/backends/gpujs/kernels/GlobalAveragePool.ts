// GlobalAveragePool on gpu.js (resample.ts).

import { floatOrReference, type GpujsKernel, registerGpujsKernel } from '../kernel.ts';
import { prepareGlobalAveragePool } from '../resample.ts';

const globalAveragePool: GpujsKernel = {
  prepare: (node, k) => floatOrReference(node, k.ctx, prepareGlobalAveragePool(k.host), 3, false),
};

registerGpujsKernel('GlobalAveragePool', globalAveragePool);
