// Constant affine maps next to a Conv fold into its weights and bias (what onnxruntime's ConvMulFusion
// and ConvAddFusion do at load time, done once in the file so that a quantized graph, where Q/DQ
// would sit between them, keeps the saving too):
//   Conv → Mul(per-output-channel or scalar c)   ⇒ Conv with W·c, b·c
//   Mul(x, per-input-channel or scalar c) → Conv ⇒ Conv with W scaled along its input channels
//   Add(x, per-input-channel or scalar c) → Conv ⇒ Conv with b + Σ W·c, only without padding (zero
//                                                   padding would see c at the borders otherwise)
//   Mul(x, s) → Add(·, c) → Conv                  ⇒ Add(x, c/s) → Conv with W scaled by s (any
//                                                   padding: s·(x + c/s) is zero where x + c/s is)
// Exact up to float rounding.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Match } from '../engine/pattern.ts';
import { p } from '../engine/pattern.ts';
import { defineRules, type Rule } from '../engine/rule.ts';
import { BIAS_FOLD_RULES } from './bias-fold.ts';
import { f64, float32Like, setConstantInput } from './constants.ts';

/** Values of c per channel (length `channels`) when c is a scalar or varies only along axis 1 of a rank-`rank` value. */
function perChannel(c: Tensor | undefined, channels: number, rank: number): Float64Array | string {
  if (c?.dtype !== 'float32') return 'the constant is not float32';
  const v = f64(c)!;
  if (c.dims.length > rank) return 'the constant has a higher rank than the value it scales';
  if (v.length === 1) return new Float64Array(channels).fill(v[0]!);
  const axis = 1 - (rank - c.dims.length);
  for (let i = 0; i < c.dims.length; i++) {
    if (c.dims[i] !== (i === axis ? channels : 1))
      return `the constant of shape [${c.dims.join(', ')}] is not per channel`;
  }
  return v;
}

function convWeight(m: Match): Tensor | string {
  const w = m.tensor('w');
  if (w?.dtype !== 'float32' || w.dims.length < 3) return 'the weight is not a float32 constant of rank ≥ 3';
  const b = m.tensor('b');
  if (m.values.b !== undefined && b?.dtype !== 'float32') return 'the bias is not a float32 constant';
  return w;
}

const convOf = () => p.op('Conv', p.v('x'), p.c('w'), p.opt(p.c('b'))).as('conv');

// Conv → Mul(c) ⇒ Conv with each output channel's weights and bias scaled
function outputScale(): Rule {
  return {
    name: 'fold-mul-into-conv',
    summary: 'Conv → Mul(per-channel constant) ⇒ Conv with scaled weights and bias',
    contract: { kind: 'exact' },
    pattern: p.op('Mul', convOf(), p.c('c')).commute(),
    check: (m) => {
      const w = convWeight(m);
      if (typeof w === 'string') return w;
      const s = perChannel(m.tensor('c'), w.dims[0]!, w.dims.length);
      return typeof s === 'string' ? s : true;
    },
    rewrite: (m, g) => {
      const conv = m.node('conv');
      const w = m.tensor('w')!;
      const cout = w.dims[0]!;
      const s = perChannel(m.tensor('c'), cout, w.dims.length) as Float64Array;
      const wd = f64(w)!;
      const per = wd.length / cout;
      for (let o = 0; o < cout; o++) for (let k = 0; k < per; k++) wd[o * per + k]! *= s[o]!;
      setConstantInput(g, conv, 1, float32Like(w.dims, wd), `${conv.name || 'w'}_scaled`);
      const b = f64(m.tensor('b'));
      if (b) {
        for (let o = 0; o < cout; o++) b[o]! *= s[o]!;
        setConstantInput(g, conv, 2, float32Like([cout], b), `${conv.name || 'conv'}_bias`);
      }
      return [conv.outputs[0]];
    },
  };
}

function unpadded(conv: Node): boolean {
  const autoPad = String(conv.attrs.auto_pad ?? 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return false;
  const pads = conv.attrs.pads as number[] | undefined;
  return !pads || pads.every((v) => v === 0);
}

/**
 * Visits every weight of a (grouped) conv with the input channel it reads: f(flat index, channel).
 * The weight is [cout, cin/group, k…] and output o reads the input channels of its group.
 */
function forEachInput(conv: Node, w: Tensor, f: (i: number, channel: number) => void): void {
  const cout = w.dims[0]!;
  const cinPer = w.dims[1]!;
  const k = w.data.length / (cout * cinPer);
  const coutPer = cout / Number(conv.attrs.group ?? 1);
  for (let o = 0; o < cout; o++) {
    const first = Math.floor(o / coutPer) * cinPer; // the group's first input channel
    for (let j = 0; j < cinPer; j++) for (let t = 0; t < k; t++) f((o * cinPer + j) * k + t, first + j);
  }
}

/** The conv's weight with each input channel's slice multiplied by s[channel]. */
function scaleInputs(g: Graph, conv: Node, w: Tensor, s: Float64Array): void {
  const wd = f64(w)!;
  forEachInput(conv, w, (i, ch) => {
    wd[i]! *= s[ch]!;
  });
  setConstantInput(g, conv, 1, float32Like(w.dims, wd), `${conv.name || 'w'}_scaled`);
}

// Mul(x, c) | Add(x, c) → Conv ⇒ Conv with the constant in its weights (Mul) or its bias (Add)
function inputAffine(op: 'Mul' | 'Add'): Rule {
  const pre = p.op(op, p.v('x'), p.c('c')).commute().as('pre');
  return {
    name: `fold-input-${op.toLowerCase()}-into-conv`,
    summary: `${op}(x, per-channel constant) → Conv ⇒ Conv${op === 'Add' ? ' (no padding)' : ''}`,
    contract: { kind: 'exact' },
    pattern: p.op('Conv', pre, p.c('w'), p.opt(p.c('b'))).as('conv'),
    check: (m) => {
      const w = convWeight(m);
      if (typeof w === 'string') return w;
      const conv = m.node('conv');
      if (op === 'Add' && !unpadded(conv)) return 'the Conv pads its input: an added constant would not fold';
      const cin = w.dims[1]! * Number(conv.attrs.group ?? 1);
      const c = perChannel(m.tensor('c'), cin, w.dims.length);
      return typeof c === 'string' ? c : true;
    },
    rewrite: (m, g) => {
      const conv = m.node('conv');
      const w = m.tensor('w')!;
      const cout = w.dims[0]!;
      const cinPer = w.dims[1]!;
      const c = perChannel(
        m.tensor('c'),
        cinPer * Number(conv.attrs.group ?? 1),
        w.dims.length,
      ) as Float64Array;
      if (op === 'Mul') scaleInputs(g, conv, w, c);
      else {
        const wd = w.data as Float32Array;
        const per = wd.length / cout;
        const b = f64(m.tensor('b')) ?? new Float64Array(cout);
        forEachInput(conv, w, (i, ch) => {
          b[Math.floor(i / per)]! += wd[i]! * c[ch]!;
        });
        setConstantInput(g, conv, 2, float32Like([cout], b), `${conv.name || 'conv'}_bias`);
      }
      conv.setInput(0, m.value('x'));
      return [conv.outputs[0]];
    },
  };
}

// Mul(x, s) → Add(·, c) → Conv ⇒ Add(x, c/s) → Conv(W·s): one pass over the tensor fewer
function scaleThroughShift(): Rule {
  const mul = p.op('Mul', p.v('x'), p.c('s')).commute().as('mul');
  const add = p.op('Add', mul, p.c('c')).commute().as('add');
  return {
    name: 'fold-input-mul-through-add-into-conv',
    summary: 'Mul(x, s) → Add(·, c) → Conv ⇒ Add(x, c/s) → Conv with W·s (s per channel, nonzero)',
    contract: { kind: 'exact' },
    pattern: p.op('Conv', add, p.c('w'), p.opt(p.c('b'))).as('conv'),
    check: (m) => {
      const w = convWeight(m);
      if (typeof w === 'string') return w;
      const cin = w.dims[1]! * Number(m.node('conv').attrs.group ?? 1);
      const s = perChannel(m.tensor('s'), cin, w.dims.length);
      if (typeof s === 'string') return s;
      if (s.some((v) => v === 0 || !Number.isFinite(v))) return 'the scale has a zero';
      const c = perChannel(m.tensor('c'), cin, w.dims.length);
      return typeof c === 'string' ? c : true;
    },
    rewrite: (m, g, r) => {
      const conv = m.node('conv');
      const w = m.tensor('w')!;
      const cinPer = w.dims[1]!;
      const cin = cinPer * Number(conv.attrs.group ?? 1);
      const s = perChannel(m.tensor('s'), cin, w.dims.length) as Float64Array;
      const c = perChannel(m.tensor('c'), cin, w.dims.length) as Float64Array;
      scaleInputs(g, conv, w, s);
      const scalars = m.tensor('s')!.data.length === 1 && m.tensor('c')!.data.length === 1;
      const shift = new Float64Array(scalars ? 1 : cin);
      for (let i = 0; i < shift.length; i++) shift[i] = c[i]! / s[i]!;
      const shiftDims = scalars ? [] : [cin, ...w.dims.slice(2).map(() => 1)];
      const add = m.node('add');
      const name = r.constant(float32Like(shiftDims, shift), `${add.name || m.value('x')}_shift`);
      const out = r.op('Add', [m.value('x'), name], { name: add.name, output: `${m.value('x')}_shifted` });
      conv.setInput(0, out);
      return [conv.outputs[0]];
    },
  };
}

/** The affine folds, with Conv → Add (bias-fold) so that Conv → Mul → Add collapses in one pass. */
export const AFFINE_FOLD_RULES = defineRules('affine-fold', [
  outputScale(),
  inputAffine('Mul'),
  inputAffine('Add'),
  scaleThroughShift(),
  ...BIAS_FOLD_RULES.rules,
]);
