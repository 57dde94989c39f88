// What keeps a compressed model's structure while it trains: masks (pruned zeros stay zero), tied
// groups (elements that share one value get the sum of their gradients and stay equal), an L1
// penalty (Network Slimming on BatchNormalization scales), and gradient clipping by global norm.

/** Per weight, for each element, the id of the group it shares a value with (−1: its own). */
export type Ties = ReadonlyMap<string, Int32Array>;
/** Per weight, 1 where an element trains and 0 where it must stay zero. */
export type Masks = ReadonlyMap<string, Uint8Array>;

/** Zero the gradient where the mask is 0. */
export function maskGradients(grads: Map<string, Float32Array>, masks: Masks): void {
  for (const [name, m] of masks) {
    const g = grads.get(name);
    if (g) for (let i = 0; i < g.length; i++) if (!m[i]) g[i] = 0;
  }
}

/** Zero the weights where the mask is 0 (after a step: decay and momentum cannot revive them). */
export function maskWeights(weights: Map<string, Float32Array>, masks: Masks): void {
  for (const [name, m] of masks) {
    const w = weights.get(name);
    if (w) for (let i = 0; i < w.length; i++) if (!m[i]) w[i] = 0;
  }
}

/** Each group's members get the sum of the group's gradients, so they move together. */
export function tieGradients(grads: Map<string, Float32Array>, ties: Ties): void {
  for (const [name, groups] of ties) {
    const g = grads.get(name);
    if (!g) continue;
    const sums = new Map<number, number>();
    for (let i = 0; i < g.length; i++) {
      const k = groups[i]!;
      if (k >= 0) sums.set(k, (sums.get(k) ?? 0) + g[i]!);
    }
    for (let i = 0; i < g.length; i++) {
      const k = groups[i]!;
      if (k >= 0) g[i] = sums.get(k)!;
    }
  }
}

/** Make tied elements equal (their group's mean), once before training. */
export function tieWeights(weights: Map<string, Float32Array>, ties: Ties): void {
  for (const [name, groups] of ties) {
    const w = weights.get(name);
    if (!w) continue;
    const acc = new Map<number, [number, number]>();
    for (let i = 0; i < w.length; i++) {
      const k = groups[i]!;
      if (k < 0) continue;
      const a = acc.get(k) ?? [0, 0];
      a[0] += w[i]!;
      a[1]++;
      acc.set(k, a);
    }
    for (let i = 0; i < w.length; i++) {
      const a = acc.get(groups[i]!);
      if (a) w[i] = a[0] / a[1];
    }
  }
}

/** Adds λ·sign(w) to the gradients; returns the penalty λ·Σ|w| added to the loss. */
export function l1Penalty(
  weights: Map<string, Float32Array>,
  grads: Map<string, Float32Array>,
  l1: ReadonlyMap<string, number>,
): number {
  let total = 0;
  for (const [name, lambda] of l1) {
    const w = weights.get(name);
    const g = grads.get(name);
    if (!w || !g) continue;
    for (let i = 0; i < w.length; i++) {
      total += lambda * Math.abs(w[i]!);
      g[i] = g[i]! + lambda * Math.sign(w[i]!);
    }
  }
  return total;
}

/** Scale every gradient so their global L2 norm is at most `max`; returns the norm before. */
export function clipGradients(grads: Map<string, Float32Array>, max: number): number {
  let sq = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (norm > max && norm > 0) {
    const k = max / norm;
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] = g[i]! * k;
  }
  return norm;
}
