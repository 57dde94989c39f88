// CTC loss (Graves et al. 2006) in TypeScript, from logits [N, T, C] (class axis last) and label
// sequences. The forward-backward recursion has no reasonable expression in standard ONNX ops, so the
// loop computes it here, in float64 and log space, and feeds ∂loss/∂logits back into the training
// graph as the seed of the logits' gradient. The loss is the mean over the batch of −ln p(label | x);
// a label that cannot fit in T steps contributes zero (and is counted).

export interface CtcResult {
  loss: number;
  /** ∂loss/∂logits, same layout as the logits. */
  grad: Float32Array;
  /** Samples whose label could not be aligned (they add nothing). */
  infeasible: number;
}

const NEG = -Infinity;

function logAdd(a: number, b: number): number {
  if (a === NEG) return b;
  if (b === NEG) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

export function ctcLoss(
  logits: Float32Array,
  dims: readonly number[],
  labels: readonly (readonly number[])[],
  blank = 0,
): CtcResult {
  const [N, T, C] = dims as [number, number, number];
  const grad = new Float32Array(logits.length);
  let total = 0;
  let infeasible = 0;
  const lp = new Float64Array(T * C);
  for (let n = 0; n < N; n++) {
    const base = n * T * C;
    for (let t = 0; t < T; t++) {
      let m = NEG;
      for (let k = 0; k < C; k++) m = Math.max(m, logits[base + t * C + k]!);
      let s = 0;
      for (let k = 0; k < C; k++) s += Math.exp(logits[base + t * C + k]! - m);
      const lse = m + Math.log(s);
      for (let k = 0; k < C; k++) lp[t * C + k] = logits[base + t * C + k]! - lse;
    }
    const label = labels[n] ?? [];
    const S = 2 * label.length + 1;
    const ext = Array.from({ length: S }, (_, s) => (s % 2 === 0 ? blank : label[(s - 1) / 2]!));
    const alpha = new Float64Array(T * S).fill(NEG);
    const beta = new Float64Array(T * S).fill(NEG);
    alpha[0] = lp[blank]!;
    if (S > 1) alpha[1] = lp[ext[1]!]!;
    for (let t = 1; t < T; t++)
      for (let s = 0; s < S; s++) {
        let a = alpha[(t - 1) * S + s]!;
        if (s > 0) a = logAdd(a, alpha[(t - 1) * S + s - 1]!);
        if (s > 1 && ext[s] !== blank && ext[s] !== ext[s - 2]) a = logAdd(a, alpha[(t - 1) * S + s - 2]!);
        alpha[t * S + s] = a + lp[t * C + ext[s]!]!;
      }
    beta[(T - 1) * S + S - 1] = lp[(T - 1) * C + blank]!;
    if (S > 1) beta[(T - 1) * S + S - 2] = lp[(T - 1) * C + ext[S - 2]!]!;
    for (let t = T - 2; t >= 0; t--)
      for (let s = 0; s < S; s++) {
        let b = beta[(t + 1) * S + s]!;
        if (s < S - 1) b = logAdd(b, beta[(t + 1) * S + s + 1]!);
        if (s < S - 2 && ext[s] !== blank && ext[s] !== ext[s + 2]) b = logAdd(b, beta[(t + 1) * S + s + 2]!);
        beta[t * S + s] = b + lp[t * C + ext[s]!]!;
      }
    let logP = alpha[(T - 1) * S + S - 1]!;
    if (S > 1) logP = logAdd(logP, alpha[(T - 1) * S + S - 2]!);
    if (!Number.isFinite(logP)) {
      infeasible++;
      continue;
    }
    total -= logP;
    // ∂(−ln p)/∂u_tk = y_tk − Σ_{s: ext_s = k} α_t(s)·β_t(s) / (p·y_tk)
    const occ = new Float64Array(C).fill(NEG);
    for (let t = 0; t < T; t++) {
      occ.fill(NEG);
      for (let s = 0; s < S; s++) {
        const k = ext[s]!;
        occ[k] = logAdd(occ[k]!, alpha[t * S + s]! + beta[t * S + s]!);
      }
      for (let k = 0; k < C; k++) {
        const y = Math.exp(lp[t * C + k]!);
        const post = occ[k] === NEG ? 0 : Math.exp(occ[k]! - lp[t * C + k]! - logP);
        grad[base + t * C + k] = (y - post) / N;
      }
    }
  }
  return { loss: total / N, grad, infeasible };
}
