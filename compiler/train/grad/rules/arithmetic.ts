// Gradients of the broadcasting arithmetic ops: Add, Sub, Mul, Div, Pow, Where, Neg, Abs, Sum.
// Each operand's gradient is summed back to its own shape (broadcasting undone by ReduceSum).

import { defineGradRules, type GradContext } from '../rule.ts';

const input = (c: GradContext, i: number) => c.node.inputs[i]!;
const shapeOf = (c: GradContext, i: number) => c.emit.shape(input(c, i));

/** Gradient `g` (output-shaped) folded back to operand `i`. */
function back(c: GradContext, i: number, g: string): string | undefined {
  return c.needs(i) ? c.emit.unbroadcast(g, shapeOf(c, i)) : undefined;
}

export const ARITHMETIC_GRADS = defineGradRules('arithmetic', [
  {
    op: 'Add',
    summary: 'dA = dY, dB = dY (each summed to its shape)',
    inputs: [0, 1],
    backward: (c) => [back(c, 0, c.grads[0]!), back(c, 1, c.grads[0]!)],
  },
  {
    op: 'Sub',
    summary: 'dA = dY, dB = −dY',
    inputs: [0, 1],
    backward: (c) => [back(c, 0, c.grads[0]!), c.needs(1) ? back(c, 1, c.emit.neg(c.grads[0]!)) : undefined],
  },
  {
    op: 'Mul',
    summary: 'dA = dY·B, dB = dY·A',
    inputs: [0, 1],
    backward: (c) => {
      const g = c.grads[0]!;
      const e = c.emit;
      return [
        c.needs(0) ? back(c, 0, e.mul(g, input(c, 1))) : undefined,
        c.needs(1) ? back(c, 1, e.mul(g, input(c, 0))) : undefined,
      ];
    },
  },
  {
    op: 'Div',
    summary: 'dA = dY/B, dB = −dY·Y/B',
    inputs: [0, 1],
    backward: (c) => {
      const g = c.grads[0]!;
      const e = c.emit;
      const b = input(c, 1);
      const dA = c.needs(0) || c.needs(1) ? e.div(g, b) : undefined;
      return [
        c.needs(0) ? back(c, 0, dA!) : undefined,
        c.needs(1) ? back(c, 1, e.neg(e.mul(dA!, c.node.outputs[0]!))) : undefined,
      ];
    },
  },
  {
    op: 'Pow',
    summary: 'dA = dY·B·A^(B−1), dB = dY·Y·ln A',
    inputs: [0, 1],
    backward: (c) => {
      const g = c.grads[0]!;
      const e = c.emit;
      const [a, b] = [input(c, 0), input(c, 1)];
      const y = c.node.outputs[0]!;
      let dA: string | undefined;
      if (c.needs(0)) {
        const exponent = c.graph.constant(b);
        const k =
          exponent && exponent.dims.length <= 1 && exponent.data.length === 1
            ? Number(exponent.data[0])
            : NaN;
        // x² (LayerNorm's variance) without a Pow in the backward graph
        const local =
          k === 2
            ? e.scale(a, 2)
            : e.mul(e.cast(b), e.op('Pow', [a, e.sub(e.cast(b), e.scalar(1))], e.shape(y)));
        dA = back(c, 0, e.mul(g, local));
      }
      const dB = c.needs(1) ? back(c, 1, e.mul(e.mul(g, y), e.unary('Log', a))) : undefined;
      return [dA, dB];
    },
  },
  {
    op: 'Where',
    summary: 'dA = dY where C, dB = dY where not C',
    inputs: [1, 2],
    backward: (c) => {
      const g = c.grads[0]!;
      const e = c.emit;
      const cond = input(c, 0);
      const zero = e.scalar(0);
      return [
        undefined,
        c.needs(1) ? back(c, 1, e.where(cond, g, zero)) : undefined,
        c.needs(2) ? back(c, 2, e.where(cond, zero, g)) : undefined,
      ];
    },
  },
  {
    op: 'Neg',
    summary: 'dX = −dY',
    inputs: [0],
    backward: (c) => [c.emit.neg(c.grads[0]!)],
  },
  {
    op: 'Abs',
    summary: 'dX = dY·sign(X)',
    inputs: [0],
    backward: (c) => [c.emit.mul(c.grads[0]!, c.emit.unary('Sign', input(c, 0)))],
  },
  {
    op: 'Sum',
    summary: 'dXᵢ = dY (each summed to its shape)',
    inputs: 'all',
    backward: (c) => c.node.inputs.map((_, i) => back(c, i, c.grads[0]!)),
  },
]);
