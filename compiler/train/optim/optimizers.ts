// Optimizers over Float32Arrays, updated in place: SGD (momentum, Nesterov, weight decay) and AdamW
// (decoupled weight decay, bias-corrected moments). State is kept per weight, in float64.

export interface OptimizerSpec {
  kind: 'sgd' | 'adamw';
  /** Base learning rate (the schedule scales it). */
  lr: number;
  /** sgd: momentum (default 0) and Nesterov's form. */
  momentum?: number;
  nesterov?: boolean;
  /** L2 for sgd (added to the gradient), decoupled decay for adamw (default 0 / 0.01). */
  weightDecay?: number;
  /** adamw: β₁, β₂, ε (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface Optimizer {
  /** Apply one step with learning rate `lr` to every weight that has a gradient. */
  step(weights: Map<string, Float32Array>, grads: Map<string, Float32Array>, lr: number): void;
}

export function createOptimizer(spec: OptimizerSpec): Optimizer {
  return spec.kind === 'sgd' ? sgd(spec) : adamw(spec);
}

function sgd(spec: OptimizerSpec): Optimizer {
  const mu = spec.momentum ?? 0;
  const wd = spec.weightDecay ?? 0;
  const velocity = new Map<string, Float64Array>();
  return {
    step(weights, grads, lr) {
      for (const [name, w] of weights) {
        const g = grads.get(name);
        if (!g) continue;
        let v = velocity.get(name);
        if (mu && !v) velocity.set(name, (v = new Float64Array(w.length)));
        for (let i = 0; i < w.length; i++) {
          let d = g[i]! + wd * w[i]!;
          if (v) {
            v[i] = mu * v[i]! + d;
            d = spec.nesterov ? d + mu * v[i]! : v[i]!;
          }
          w[i] = w[i]! - lr * d;
        }
      }
    },
  };
}

function adamw(spec: OptimizerSpec): Optimizer {
  const b1 = spec.beta1 ?? 0.9;
  const b2 = spec.beta2 ?? 0.999;
  const eps = spec.eps ?? 1e-8;
  const wd = spec.weightDecay ?? 0.01;
  const state = new Map<string, { m: Float64Array; v: Float64Array; t: number }>();
  return {
    step(weights, grads, lr) {
      for (const [name, w] of weights) {
        const g = grads.get(name);
        if (!g) continue;
        let s = state.get(name);
        if (!s) state.set(name, (s = { m: new Float64Array(w.length), v: new Float64Array(w.length), t: 0 }));
        s.t++;
        const c1 = 1 - b1 ** s.t;
        const c2 = 1 - b2 ** s.t;
        for (let i = 0; i < w.length; i++) {
          const gi = g[i]!;
          s.m[i] = b1 * s.m[i]! + (1 - b1) * gi;
          s.v[i] = b2 * s.v[i]! + (1 - b2) * gi * gi;
          const update = s.m[i]! / c1 / (Math.sqrt(s.v[i]! / c2) + eps);
          w[i] = w[i]! - lr * (update + wd * w[i]!);
        }
      }
    },
  };
}
