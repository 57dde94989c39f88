// Reshape, Flatten, Squeeze, Unsqueeze, Identity (and Dropout at inference): the output is the
// input's bytes read with other dims, so it shares the input's buffer; where it cannot (an output
// the caller keeps), one copy.

import { registerWasmKernel, type WasmKernel } from '../kernel.ts';
import { shapeBytes } from '../planner.ts';

/** Dropout in training mode draws a mask: not a view. */
function training(
  node: Parameters<NonNullable<WasmKernel['alias']>>[0],
  io: Parameters<WasmKernel['plan']>[1],
): boolean {
  const t = node.op === 'Dropout' && node.inputs[2] ? io.constant(node.inputs[2]) : undefined;
  return (
    node.op === 'Dropout' &&
    node.inputs[2] !== undefined &&
    node.inputs[2] !== '' &&
    (!t || Number(t.data[0]) !== 0)
  );
}

const view: WasmKernel = {
  alias(node, io) {
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!x || !y || node.outputs.slice(1).some((o) => o) || training(node, io)) return undefined;
    const a = io.shape(x);
    const b = io.shape(y);
    return a.dtype === b.dtype && shapeBytes(a) === shapeBytes(b) ? 0 : undefined;
  },
  plan(node, io) {
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!x || !y || io.constant(x) || node.outputs.slice(1).some((o) => o) || training(node, io))
      return undefined;
    const bytes = shapeBytes(io.shape(y));
    if (io.shape(x).dtype !== io.shape(y).dtype || shapeBytes(io.shape(x)) !== bytes) return undefined;
    return [
      { kernel: 'copy_blocks', args: [{ value: x }, { value: y }, 1, bytes, bytes, bytes], work: bytes / 4 },
    ];
  },
};

for (const op of ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'])
  registerWasmKernel(op, view);
