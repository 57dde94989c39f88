// Gradients of the pointwise activations and math: Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish,
// Tanh, Erf, Gelu, Exp, Log, Sqrt, Reciprocal, Clip, Identity, Cast, Dropout (inference).

import { defineGradRules, type GradContext } from '../rule.ts';

const x = (c: GradContext) => c.node.inputs[0]!;
const y = (c: GradContext) => c.node.outputs[0]!;
const g = (c: GradContext) => c.grads[0]!;

function both(c: GradContext, a: string, b: string): string {
  return c.emit.op('And', [a, b], c.emit.shape(a), undefined, 'bool');
}

export const ACTIVATION_GRADS = defineGradRules('activations', [
  {
    op: 'Relu',
    summary: 'dX = dY where X > 0',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      return [e.where(e.compare('Greater', x(c), e.scalar(0)), g(c), e.scalar(0))];
    },
  },
  {
    op: 'LeakyRelu',
    summary: 'dX = dY where X > 0, α·dY elsewhere',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      const alpha = Number(c.node.attrs.alpha ?? 0.01);
      return [e.where(e.compare('Greater', x(c), e.scalar(0)), g(c), e.scale(g(c), alpha))];
    },
  },
  {
    op: 'Sigmoid',
    summary: 'dX = dY·Y·(1 − Y)',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      return [e.mul(g(c), e.mul(y(c), e.sub(e.scalar(1), y(c))))];
    },
  },
  {
    op: 'HardSigmoid',
    summary: 'dX = α·dY where 0 < Y < 1',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      const alpha = Number(c.node.attrs.alpha ?? 0.2);
      const inside = both(c, e.compare('Greater', y(c), e.scalar(0)), e.compare('Less', y(c), e.scalar(1)));
      return [e.where(inside, e.scale(g(c), alpha), e.scalar(0))];
    },
  },
  {
    op: 'HardSwish',
    summary: 'dX = dY·(X/3 + ½) on (−3, 3), dY above, 0 below',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      const mid = e.add(e.scale(x(c), 1 / 3), e.scalar(0.5));
      const above = e.where(e.compare('Greater', x(c), e.scalar(3)), e.scalar(1), mid);
      const local = e.where(e.compare('Less', x(c), e.scalar(-3)), e.scalar(0), above);
      return [e.mul(g(c), local)];
    },
  },
  {
    op: 'Tanh',
    summary: 'dX = dY·(1 − Y²)',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      return [e.mul(g(c), e.sub(e.scalar(1), e.mul(y(c), y(c))))];
    },
  },
  {
    op: 'Erf',
    summary: 'dX = dY·2/√π·exp(−X²)',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      const bell = e.unary('Exp', e.neg(e.mul(x(c), x(c))));
      return [e.mul(g(c), e.scale(bell, 2 / Math.sqrt(Math.PI)))];
    },
  },
  {
    op: 'Gelu',
    summary: "dX = dY·(Φ(X) + X·φ(X)); approximate 'tanh' differentiates its tanh form",
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      const v = x(c);
      if (String(c.node.attrs.approximate ?? 'none') === 'tanh') {
        const k = Math.sqrt(2 / Math.PI);
        const x2 = e.mul(v, v);
        const u = e.scale(e.mul(v, e.add(e.scalar(1), e.scale(x2, 0.044715))), k);
        const t = e.unary('Tanh', u);
        const du = e.scale(e.add(e.scalar(1), e.scale(x2, 3 * 0.044715)), k);
        const left = e.scale(e.add(e.scalar(1), t), 0.5);
        const right = e.mul(e.scale(v, 0.5), e.mul(e.sub(e.scalar(1), e.mul(t, t)), du));
        return [e.mul(g(c), e.add(left, right))];
      }
      const cdf = e.scale(e.add(e.scalar(1), e.unary('Erf', e.scale(v, Math.SQRT1_2))), 0.5);
      const pdf = e.scale(e.unary('Exp', e.scale(e.mul(v, v), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [e.mul(g(c), e.add(cdf, e.mul(v, pdf)))];
    },
  },
  {
    op: 'Exp',
    summary: 'dX = dY·Y',
    inputs: [0],
    backward: (c) => [c.emit.mul(g(c), y(c))],
  },
  {
    op: 'Log',
    summary: 'dX = dY/X',
    inputs: [0],
    backward: (c) => [c.emit.div(g(c), x(c))],
  },
  {
    op: 'Sqrt',
    summary: 'dX = dY/(2Y)',
    inputs: [0],
    backward: (c) => [c.emit.div(c.emit.scale(g(c), 0.5), y(c))],
  },
  {
    op: 'Reciprocal',
    summary: 'dX = −dY·Y²',
    inputs: [0],
    backward: (c) => [c.emit.neg(c.emit.mul(g(c), c.emit.mul(y(c), y(c))))],
  },
  {
    op: 'Clip',
    summary: 'dX = dY where min ≤ X ≤ max, i.e. where Y = X (bounds get none)',
    inputs: [0],
    backward: (c) => {
      const e = c.emit;
      if (!c.node.inputs[1] && !c.node.inputs[2]) return [g(c)];
      return [e.where(e.compare('Equal', y(c), x(c)), g(c), e.scalar(0))];
    },
  },
  { op: 'Identity', summary: 'dX = dY', inputs: [0], backward: (c) => [g(c)] },
  {
    op: 'Dropout',
    summary: 'dX = dY (inference: Dropout is the identity)',
    inputs: [0],
    backward: (c) => [g(c)],
  },
  {
    op: 'Cast',
    summary: 'dX = dY cast back to X’s float type',
    inputs: [0],
    backward: (c) => [c.emit.cast(g(c))],
  },
]);
