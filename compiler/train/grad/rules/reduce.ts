// Gradients of reductions and normalizing exponentials: ReduceSum, ReduceMean, GlobalAveragePool,
// Softmax, LogSoftmax.

import type { Emitter } from '../../graph/emitter.ts';
import { defineGradRules, type GradContext } from '../rule.ts';

/** The axes a Reduce* node reduces over (attribute before opset 18 / 13 for ReduceSum, else input). */
function reduceAxes(c: GradContext): number[] {
  const r = c.emit.shape(c.node.inputs[0]!).length;
  let axes: number[] | undefined;
  const fromInput = c.node.inputs[1] ? c.graph.constant(c.node.inputs[1]) : undefined;
  if (fromInput) axes = Array.from(fromInput.data as BigInt64Array, Number);
  else if (Array.isArray(c.node.attrs.axes)) axes = (c.node.attrs.axes as number[]).map(Number);
  if (!axes || axes.length === 0)
    return Number(c.node.attrs.noop_with_empty_axes ?? 0) ? [] : Array.from({ length: r }, (_, i) => i);
  return axes.map((a) => (a < 0 ? a + r : a));
}

/** dY spread back over the reduced axes of X (scaled by k). */
function spread(e: Emitter, g: string, x: string, axes: number[], k: number): string {
  const xs = e.shape(x);
  const kept = xs.map((d, i) => (axes.includes(i) ? 1 : d));
  return e.expand(e.reshape(e.scale(g, k), kept), xs);
}

const count = (e: Emitter, x: string, axes: number[]) => axes.reduce((p, a) => p * e.shape(x)[a]!, 1);

/** The softmax axis (opset ≥ 13 semantics: one axis, default −1). */
function softmaxAxis(c: GradContext): number {
  const r = c.emit.shape(c.node.inputs[0]!).length;
  const a = Number(c.node.attrs.axis ?? -1);
  return a < 0 ? a + r : a;
}

export const REDUCE_GRADS = defineGradRules('reduce', [
  {
    op: 'ReduceSum',
    summary: 'dX = dY broadcast over the reduced axes',
    inputs: [0],
    backward: (c) => [spread(c.emit, c.grads[0]!, c.node.inputs[0]!, reduceAxes(c), 1)],
  },
  {
    op: 'ReduceMean',
    summary: 'dX = dY/n broadcast over the reduced axes',
    inputs: [0],
    backward: (c) => {
      const axes = reduceAxes(c);
      const x = c.node.inputs[0]!;
      return [spread(c.emit, c.grads[0]!, x, axes, 1 / count(c.emit, x, axes))];
    },
  },
  {
    op: 'GlobalAveragePool',
    summary: 'dX = dY/(H·W) broadcast over the spatial axes',
    inputs: [0],
    backward: (c) => {
      const x = c.node.inputs[0]!;
      const axes = c.emit
        .shape(x)
        .map((_, i) => i)
        .slice(2);
      return [spread(c.emit, c.grads[0]!, x, axes, 1 / count(c.emit, x, axes))];
    },
  },
  {
    op: 'Softmax',
    summary: 'dX = Y·(dY − Σ(dY·Y))',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      const y = c.node.outputs[0]!;
      const g = c.grads[0]!;
      return [e.mul(y, e.sub(g, e.sum(e.mul(g, y), [softmaxAxis(c)])))];
    },
  },
  {
    op: 'LogSoftmax',
    summary: 'dX = dY − exp(Y)·ΣdY',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      const g = c.grads[0]!;
      return [e.sub(g, e.mul(e.unary('Exp', c.node.outputs[0]!), e.sum(g, [softmaxAxis(c)])))];
    },
  },
]);
