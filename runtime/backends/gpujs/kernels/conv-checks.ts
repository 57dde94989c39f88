// The checks Conv and ConvTranspose share before a gpu.js kernel takes them: float32 constant
// weights (and bias when one is given), at most three inputs, a 4-D input where it is known.

import type { Tensor } from '../../../ir/tensor.ts';
import type { GraphNode, NodeSpec } from '../../backend.ts';

export function constWeights(node: NodeSpec): { w: Tensor; bias: Tensor | undefined } | undefined {
  const w = node.constInputs[1];
  const bias = node.constInputs[2];
  if (w?.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return undefined;
  const names = (node as Partial<GraphNode>).inputs;
  const biasGiven = names ? names[2] !== undefined && names[2] !== '' : node.inputTypes[2] !== undefined;
  if (biasGiven && !bias) return undefined;
  if (node.inputTypes.length > 3) return undefined;
  const rank = node.inputTypes[0]?.shape?.length;
  if (rank !== undefined && rank !== 4) return undefined;
  return { w, bias };
}
