// Conformance cases — Gemm and MatMul: transposes, alpha/beta, C broadcasting, batched and 1-D operands.

import { type CaseDef, f } from './types.ts';

export const MATRIX: CaseDef[] = [
  { op: 'Gemm', name: 'plain', opset: 13, inputs: [f(3, 5), f(5, 4)] },
  {
    op: 'Gemm',
    name: 'transA transB alpha beta, C vector',
    opset: 13,
    attrs: { transA: { i: 1 }, transB: { i: 1 }, alpha: { f: 0.5 }, beta: { f: 2 } },
    inputs: [f(5, 3), f(4, 5), f(4)],
  },
  { op: 'Gemm', name: 'C column broadcast', opset: 13, inputs: [f(6, 7), f(7, 2), f(6, 1)] },
  {
    op: 'Gemm',
    name: 'C full, opset 9',
    opset: 9,
    attrs: { transB: { i: 1 } },
    inputs: [f(2, 9), f(5, 9), f(2, 5)],
  },
  { op: 'Gemm', name: 'C scalar', opset: 11, inputs: [f(4, 4), f(4, 3), f()] },
  { op: 'MatMul', name: '2-D', opset: 13, inputs: [f(7, 9), f(9, 6)] },
  { op: 'MatMul', name: 'batched 3-D', opset: 13, inputs: [f(2, 3, 4), f(2, 4, 5)] },
  { op: 'MatMul', name: 'broadcast batches', opset: 13, inputs: [f(2, 1, 3, 4), f(1, 5, 4, 2)] },
  { op: 'MatMul', name: 'shared right operand', opset: 9, inputs: [f(2, 4, 3, 8), f(8, 5)] },
  { op: 'MatMul', name: '1-D left', opset: 13, inputs: [f(4), f(3, 4, 2)] },
  { op: 'MatMul', name: '1-D right', opset: 13, inputs: [f(2, 3, 4), f(4)] },
  {
    op: 'MatMul',
    name: 'larger (blocking)',
    opset: 13,
    inputs: [f(37, 300), f(300, 270)],
    tol: { rtol: 1e-4, atol: 1e-4 },
  },
];
