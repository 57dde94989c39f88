// Concat of float32 tensors as block copies (concat.ts).

import { prepareConcat } from '../concat.ts';
import { type GpujsKernel, registerGpujsKernel } from '../kernel.ts';

const concat: GpujsKernel = {
  prepare(node, k) {
    return node.inputTypes.every((t) => t === undefined || t.dtype === 'float32')
      ? prepareConcat(node, k.ctx)
      : undefined;
  },
};

registerGpujsKernel('Concat', concat);
