// Gradients of BatchNormalization with its stored statistics (the training graph lowers it to batch
// statistics first when asked, see ../../graph/batchnorm.ts) and LayerNormalization (statistics
// recomputed in the backward graph).

import { makeTensor } from '../../../../runtime/ir/tensor.ts';
import type { Emitter } from '../../graph/emitter.ts';
import { defineGradRules, type GradContext } from '../rule.ts';

/** A per-channel [C] value reshaped to broadcast over [N, C, …]. */
function perChannel(e: Emitter, v: string, rank: number): string {
  const C = e.shape(v)[0]!;
  return e.reshape(v, [C, ...new Array(Math.max(0, rank - 2)).fill(1)]);
}

/** A per-channel [C] value reshaped to broadcast over [N, C, …], as a constant when it is one. */
function channelConst(c: GradContext, values: Float64Array, rank: number): string {
  const t = makeTensor('float32', [values.length, ...new Array(Math.max(0, rank - 2)).fill(1)]);
  (t.data as Float32Array).set(values);
  return c.emit.constant(t, 'bn');
}

function batchNormGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [X, scale, , mean, variance] = c.node.inputs as [string, string, string, string, string];
  const g = c.grads[0]!;
  const r = e.shape(X).length;
  const eps = Number(c.node.attrs.epsilon ?? 1e-5);
  const axes = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)];
  const [m, v] = [c.graph.constant(mean), c.graph.constant(variance)];
  // stored statistics are constants: 1/σ and μ/σ are computed once, here
  const invT = v && Float64Array.from(v.data as Float32Array, (x) => 1 / Math.sqrt(x + eps));
  const inv = invT
    ? channelConst(c, invT, r)
    : perChannel(e, e.unary('Reciprocal', e.unary('Sqrt', e.add(variance, e.scalar(eps)))), r);
  const dX = c.needs(0) ? e.mul(g, e.mul(perChannel(e, scale, r), inv)) : undefined;
  let dScale: string | undefined;
  if (c.needs(1)) {
    const shift =
      invT && m
        ? channelConst(
            c,
            Float64Array.from(m.data as Float32Array, (x, i) => x * invT[i]!),
            r,
          )
        : undefined;
    const xhat = shift ? e.sub(e.mul(X, inv), shift) : e.mul(e.sub(X, perChannel(e, mean, r)), inv);
    dScale = e.sum(e.mul(g, xhat), axes, false);
  }
  const dBias = c.needs(2) ? e.sum(g, axes, false) : undefined;
  return [dX, dScale, dBias];
}

function layerNormGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [X, scale, bias] = c.node.inputs as [string, string, string | undefined];
  const g = c.grads[0]!;
  const xs = e.shape(X);
  const r = xs.length;
  const raw = Number(c.node.attrs.axis ?? -1);
  const from = raw < 0 ? raw + r : raw;
  const axes = Array.from({ length: r - from }, (_, i) => from + i);
  const n = axes.reduce((p, a) => p * xs[a]!, 1);
  const eps = Number(c.node.attrs.epsilon ?? 1e-5);
  const mean = (v: string) => e.scale(e.sum(v, axes), 1 / n);
  const centered = e.sub(X, mean(X));
  const inv = e.unary('Reciprocal', e.unary('Sqrt', e.add(mean(e.mul(centered, centered)), e.scalar(eps))));
  const xhat = e.mul(centered, inv);
  const lead = Array.from({ length: from }, (_, i) => i);
  let dX: string | undefined;
  if (c.needs(0)) {
    const dxhat = e.mul(g, scale);
    // dX = inv·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))
    dX = e.mul(inv, e.sub(e.sub(dxhat, mean(dxhat)), e.mul(xhat, mean(e.mul(dxhat, xhat)))));
  }
  const dScale = c.needs(1) ? e.unbroadcast(e.sum(e.mul(g, xhat), lead, false), e.shape(scale)) : undefined;
  const dBias = bias && c.needs(2) ? e.unbroadcast(e.sum(g, lead, false), e.shape(bias)) : undefined;
  return [dX, dScale, dBias];
}

export const NORM_GRADS = defineGradRules('norm', [
  {
    op: 'BatchNormalization',
    summary: 'dX = dY·γ/σ, dγ = Σ dY·x̂, dβ = Σ dY (stored statistics)',
    inputs: [0, 1, 2],
    backward: batchNormGrad,
  },
  {
    op: 'LayerNormalization',
    summary: 'dX = (γ·dY − mean − x̂·mean(x̂·γ·dY))/σ, dγ = Σ dY·x̂, dβ = Σ dY',
    inputs: [0, 1, 2],
    backward: layerNormGrad,
  },
]);
