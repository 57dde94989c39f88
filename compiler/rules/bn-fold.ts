// Conv | ConvTranspose | Gemm → BatchNormalization ⇒ the same op with scaled weights and a new bias.
// Exact up to float rounding: y = (W·x + b − mean)·s + beta with s = gamma / sqrt(var + eps).

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Match } from '../engine/pattern.ts';
import { p } from '../engine/pattern.ts';
import { defineRules, type Rule } from '../engine/rule.ts';
import { f64, float32Like, setConstantInput } from './constants.ts';

const bnOf = (producer: ReturnType<typeof p.op>) =>
  p.op('BatchNormalization', producer, p.c('gamma'), p.c('beta'), p.c('mean'), p.c('var')).as('bn');

/** s = gamma / sqrt(var + eps) and t = beta − mean·s, per channel (float64). */
function bnAffine(m: Match): { s: Float64Array; t: Float64Array } {
  const eps = (m.node('bn').attrs.epsilon as number | undefined) ?? 1e-5;
  const gamma = f64(m.tensor('gamma'))!;
  const beta = f64(m.tensor('beta'))!;
  const mean = f64(m.tensor('mean'))!;
  const v = f64(m.tensor('var'))!;
  const s = new Float64Array(gamma.length);
  const t = new Float64Array(gamma.length);
  for (let c = 0; c < s.length; c++) {
    s[c] = gamma[c] / Math.sqrt(v[c] + Math.fround(eps));
    t[c] = beta[c] - mean[c] * s[c];
  }
  return { s, t };
}

function bnCheck(m: Match, channels: number): true | string {
  const bn = m.node('bn');
  if (bn.outputs.slice(1).some((o) => o && m.graph.consumers(o).length > 0))
    return 'BatchNormalization training outputs are used';
  if (bn.attrs.training_mode === 1) return 'BatchNormalization is in training mode';
  for (const k of ['gamma', 'beta', 'mean', 'var', 'w']) {
    const t = m.tensor(k);
    if (t?.dtype !== 'float32') return `${k} is not a float32 constant`;
  }
  const b = m.tensor('b');
  if (m.values.b !== undefined && b?.dtype !== 'float32') return 'the bias is not a float32 constant';
  for (const k of ['gamma', 'beta', 'mean', 'var']) {
    if (m.tensor(k)!.data.length !== channels)
      return `${k} has ${m.tensor(k)!.data.length} values for ${channels} channels`;
  }
  return true;
}

function newBias(m: Match, channels: number, s: Float64Array, t: Float64Array): Float64Array {
  const b = f64(m.tensor('b'));
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) out[c] = (b ? b[c] : 0) * s[c] + t[c];
  return out;
}

function finish(m: Match, g: Graph, op: string, w: Tensor, bias: Tensor): string[] {
  const node = m.node(op);
  setConstantInput(g, node, 1, w, `${node.name || 'w'}_folded`);
  setConstantInput(g, node, 2, bias, `${node.name || op}_bias`);
  return [node.outputs[0]];
}

const convFold: Rule = {
  name: 'fold-bn-into-conv',
  summary: 'Conv → BatchNormalization ⇒ Conv',
  contract: { kind: 'exact' },
  pattern: bnOf(p.op('Conv', p.v('x'), p.c('w'), p.opt(p.c('b'))).as('conv')),
  check: (m) => {
    const w = m.tensor('w');
    if (!w || w.dims.length < 3) return 'the weight is not a constant of rank ≥ 3';
    return bnCheck(m, w.dims[0]);
  },
  rewrite: (m, g) => {
    const w = m.tensor('w')!;
    const { s, t } = bnAffine(m);
    const cout = w.dims[0];
    const per = w.data.length / cout;
    const wd = f64(w)!;
    for (let o = 0; o < cout; o++) for (let k = 0; k < per; k++) wd[o * per + k] *= s[o];
    return finish(m, g, 'conv', float32Like(w.dims, wd), float32Like([cout], newBias(m, cout, s, t)));
  },
};

const convTransposeFold: Rule = {
  name: 'fold-bn-into-convtranspose',
  summary: 'ConvTranspose → BatchNormalization ⇒ ConvTranspose',
  contract: { kind: 'exact' },
  pattern: bnOf(p.op('ConvTranspose', p.v('x'), p.c('w'), p.opt(p.c('b'))).as('convt')),
  check: (m) => {
    const w = m.tensor('w');
    if (!w || w.dims.length < 3) return 'the weight is not a constant of rank ≥ 3';
    const group = (m.node('convt').attrs.group as number | undefined) ?? 1;
    return bnCheck(m, w.dims[1] * group);
  },
  rewrite: (m, g) => {
    const w = m.tensor('w')!;
    const group = (m.node('convt').attrs.group as number | undefined) ?? 1;
    const { s, t } = bnAffine(m);
    const [cin, coutPerGroup] = w.dims;
    const per = w.data.length / (cin * coutPerGroup);
    const cinPerGroup = cin / group;
    const wd = f64(w)!;
    for (let ci = 0; ci < cin; ci++) {
      const gi = Math.floor(ci / cinPerGroup);
      for (let j = 0; j < coutPerGroup; j++) {
        const sc = s[gi * coutPerGroup + j];
        const base = (ci * coutPerGroup + j) * per;
        for (let k = 0; k < per; k++) wd[base + k] *= sc;
      }
    }
    const cout = coutPerGroup * group;
    return finish(m, g, 'convt', float32Like(w.dims, wd), float32Like([cout], newBias(m, cout, s, t)));
  },
};

const gemmFold: Rule = {
  name: 'fold-bn-into-gemm',
  summary: 'Gemm → BatchNormalization ⇒ Gemm',
  contract: { kind: 'exact' },
  pattern: bnOf(p.op('Gemm', p.v('a'), p.c('w'), p.opt(p.c('b'))).as('gemm')),
  check: (m) => {
    const w = m.tensor('w');
    if (w?.dims.length !== 2) return 'B is not a 2-D constant';
    const transB = (m.node('gemm').attrs.transB as number | undefined) ?? 0;
    const n = transB ? w.dims[0] : w.dims[1];
    const c = m.tensor('b');
    if (c && !(c.data.length === 1 || c.data.length === n || (c.dims.length === 2 && c.dims[1] === n))) {
      return `C of shape [${c.dims.join(', ')}] does not broadcast per output column`;
    }
    return bnCheck(m, n);
  },
  rewrite: (m, g) => {
    const gemm = m.node('gemm');
    const w = m.tensor('w')!;
    const transB = (gemm.attrs.transB as number | undefined) ?? 0;
    const beta = (gemm.attrs.beta as number | undefined) ?? 1;
    const { s, t } = bnAffine(m);
    const [r, c] = w.dims;
    const n = transB ? r : c;
    const wd = f64(w)!;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) wd[i * c + j] *= s[transB ? i : j];
    const cT = m.tensor('b');
    const cd = f64(cT);
    const rows = cT && cT.dims.length === 2 && cT.dims[1] === n ? cT.dims[0] : 1;
    const bias = new Float64Array(rows * n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) {
        const cv = cd ? (cd.length === 1 ? cd[0] : cd[i * n + j]) : 0;
        bias[i * n + j] = Math.fround(beta) * cv * s[j] + t[j];
      }
    }
    if (beta !== 1 || !cT) gemm.setAttr('beta', 1, 'FLOAT');
    return finish(m, g, 'gemm', float32Like(w.dims, wd), float32Like(rows === 1 ? [n] : [rows, n], bias));
  },
};

export const BN_FOLD_RULES = defineRules('bn-fold', [convFold, convTransposeFold, gemmFold]);
