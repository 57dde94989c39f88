// Gradients of MatMul (numpy semantics: 1-D operands, batch broadcasting) and Gemm (transA/transB,
// alpha, beta, broadcast C).

import { broadcast, type Emitter, numel } from '../../graph/emitter.ts';
import { defineGradRules, type GradContext } from '../rule.ts';

/** Swap the last two axes. */
function swapLast(e: Emitter, v: string): string {
  const r = e.shape(v).length;
  return e.transpose(v, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
}

function matmulGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [A, B] = c.node.inputs as [string, string];
  const sa = e.shape(A);
  const sb = e.shape(B);
  const a = sa.length === 1 ? e.reshape(A, [1, sa[0]!]) : A;
  const b = sb.length === 1 ? e.reshape(B, [sb[0]!, 1]) : B;
  const s2a = e.shape(a);
  const s2b = e.shape(b);
  const M = s2a[s2a.length - 2]!;
  const N = s2b[s2b.length - 1]!;
  const K = s2a[s2a.length - 1]!;
  const lead = broadcast(s2a.slice(0, -2), s2b.slice(0, -2));
  const g = e.reshape(c.grads[0]!, [...lead, M, N]);
  let dA: string | undefined;
  let dB: string | undefined;
  if (c.needs(0)) dA = e.reshape(e.unbroadcast(e.matmul(g, swapLast(e, b)), s2a), sa);
  if (c.needs(1)) {
    if (s2b.length === 2) {
      // a weight matrix: one [K, M·batch] × [M·batch, N] product instead of a batch of them
      const rows = numel(lead) * M;
      const a2 = e.reshape(a, [rows, K]);
      dB = e.op('Gemm', [a2, e.reshape(g, [rows, N])], [K, N], { transA: 1 });
    } else dB = e.unbroadcast(e.matmul(swapLast(e, a), g), s2b);
    dB = e.reshape(dB, sb);
  }
  return [dA, dB];
}

function gemmGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [A, B, C] = c.node.inputs as [string, string, string | undefined];
  const g = c.grads[0]!;
  const at = Number(c.node.attrs.transA ?? 0);
  const bt = Number(c.node.attrs.transB ?? 0);
  const alpha = Number(c.node.attrs.alpha ?? 1);
  const beta = Number(c.node.attrs.beta ?? 1);
  const gemm = (p: string, q: string, ta: number, tb: number, shape: readonly number[]) =>
    e.op('Gemm', [p, q], shape, { transA: ta, transB: tb, alpha });
  let dA: string | undefined;
  let dB: string | undefined;
  let dC: string | undefined;
  // with A' = op(A), B' = op(B): dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY, transposed back where op transposed
  if (c.needs(0)) dA = at ? gemm(B, g, bt, 1, e.shape(A)) : gemm(g, B, 0, bt ? 0 : 1, e.shape(A));
  if (c.needs(1)) dB = bt ? gemm(g, A, 1, at, e.shape(B)) : gemm(A, g, at ? 0 : 1, 0, e.shape(B));
  if (C && c.needs(2)) dC = e.unbroadcast(e.scale(g, beta), e.shape(C));
  return [dA, dB, dC];
}

export const LINEAR_GRADS = defineGradRules('linear', [
  {
    op: 'MatMul',
    summary: 'dA = dY·Bᵀ, dB = Aᵀ·dY (batch dims summed)',
    inputs: [0, 1],
    backward: matmulGrad,
  },
  { op: 'Gemm', summary: "dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY, dC = β·dY", inputs: [0, 1, 2], backward: gemmGrad },
]);
