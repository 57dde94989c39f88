// More elementwise ops: unary math and activations, variadic Min/Max/Sum/Mean, PRelu, comparisons and logic
// (bool outputs), Where. Broadcasting follows numpy.

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import { binary } from './elementwise.ts';
import { attrFloat, attrString, broadcastDims, broadcastWalk, isBig, requireInput, tensor } from './util.ts';

type NumArr = Exclude<Tensor['data'], Uint8Array[] | BigInt64Array | BigUint64Array>;

/** erf to ~1e-14: Maclaurin series below 2.5 (cancellation costs < 2 digits), continued fraction for erfc above. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (a > 6) return Math.sign(x);
  // continued fraction for erfc, evaluated backwards
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (a + f);
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  return Math.sign(x) * (1 - erfc);
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const UNARY: Record<string, (v: number, attrs: Attrs) => number> = {
  Abs: Math.abs,
  Neg: (v) => -v,
  Exp: Math.exp,
  Log: Math.log,
  Tanh: Math.tanh,
  Sin: Math.sin,
  Cos: Math.cos,
  Erf: erf,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: roundEven,
  Reciprocal: (v) => 1 / v,
  Sign: (v) => (Number.isNaN(v) ? v : Math.sign(v)),
  Softplus: (v) => (v > 20 ? v : Math.log1p(Math.exp(v))),
  Softsign: (v) => v / (1 + Math.abs(v)),
  LeakyRelu: (v, a) => (v < 0 ? Math.fround(attrFloat(a, 'alpha', 0.01)) * v : v),
  Elu: (v, a) => (v < 0 ? Math.fround(attrFloat(a, 'alpha', 1)) * Math.expm1(v) : v),
  Celu: (v, a) => {
    const al = Math.fround(attrFloat(a, 'alpha', 1));
    return Math.max(0, v) + Math.min(0, al * Math.expm1(v / al));
  },
  Selu: (v, a) => {
    const al = Math.fround(attrFloat(a, 'alpha', 1.6732631921768188));
    const g = Math.fround(attrFloat(a, 'gamma', 1.0507010221481323));
    return v > 0 ? g * v : g * al * Math.expm1(v);
  },
  ThresholdedRelu: (v, a) => (v > Math.fround(attrFloat(a, 'alpha', 1)) ? v : 0),
  Gelu: (v, a) =>
    attrString(a, 'approximate', 'none') === 'tanh'
      ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
      : 0.5 * v * (1 + erf(v / Math.SQRT2)),
  Mish: (v) => v * Math.tanh(v > 20 ? v : Math.log1p(Math.exp(v))),
};

function unaryOp(type: string, f: (v: number, attrs: Attrs) => number): OpDef {
  return {
    type,
    reference: (inp, attrs) => {
      const x = requireInput(inp[0], type, 'X');
      const out = tensor(x.dtype, x.dims);
      if (isBig(x.data)) {
        if (type !== 'Abs' && type !== 'Neg' && type !== 'Sign')
          throw new UserError(`${type}: int64 input is not supported`);
        const s = x.data;
        const o = out.data as BigInt64Array;
        for (let i = 0; i < s.length; i++) o[i] = BigInt(f(Number(s[i]), attrs));
        return [out];
      }
      const s = x.data as NumArr;
      const o = out.data as NumArr;
      for (let i = 0; i < s.length; i++) o[i] = f(s[i]!, attrs);
      return [out];
    },
  };
}

/** Elementwise over broadcast inputs into a new tensor of `dtype`, values as doubles. */
function walk(op: string, ins: Tensor[], dtype: Tensor['dtype'], f: (v: number[]) => number): Tensor {
  let dims: number[] = [];
  for (const t of ins) dims = broadcastDims(dims, t.dims, op);
  const out = tensor(dtype, dims);
  const o = out.data as NumArr | BigInt64Array;
  const data = ins.map((t) => t.data as ArrayLike<number | bigint>);
  const vals = new Array<number>(ins.length);
  const big = o instanceof BigInt64Array;
  broadcastWalk(
    ins.map((t) => t.dims),
    dims,
    (i, idx) => {
      for (let k = 0; k < idx.length; k++) vals[k] = Number(data[k]![idx[k]!]);
      const v = f(vals);
      if (big) (o as BigInt64Array)[i] = BigInt(v);
      else (o as NumArr)[i] = v;
    },
  );
  return out;
}

function variadic(type: string, f: (a: number, b: number) => number): OpDef {
  return {
    type,
    reference: (inp) => {
      const xs = inp.filter((t): t is Tensor => !!t);
      if (xs.length === 0) throw new UserError(`${type}: needs at least one input`);
      const out = walk(type, xs, xs[0]!.dtype, (v) => v.reduce(f));
      if (type === 'Mean') {
        const o = out.data as NumArr;
        for (let i = 0; i < o.length; i++) o[i] = o[i]! / xs.length;
      }
      return [out];
    },
  };
}

function compare(type: string, f: (a: number, b: number) => boolean): OpDef {
  return {
    type,
    reference: (inp) => {
      const a = requireInput(inp[0], type, 'A');
      const b = requireInput(inp[1], type, 'B');
      return [walk(type, [a, b], 'bool', (v) => (f(v[0]!, v[1]!) ? 1 : 0))];
    },
  };
}

export const MATH_OPS: OpDef[] = [
  ...Object.entries(UNARY).map(([k, f]) => unaryOp(k, f)),
  {
    type: 'IsNaN',
    reference: (inp) => [
      walk('IsNaN', [requireInput(inp[0], 'IsNaN', 'X')], 'bool', (v) => (Number.isNaN(v[0]) ? 1 : 0)),
    ],
  },
  {
    type: 'IsInf',
    reference: (inp, attrs) => {
      const pos = Number(attrs.detect_positive ?? 1);
      const neg = Number(attrs.detect_negative ?? 1);
      return [
        walk('IsInf', [requireInput(inp[0], 'IsInf', 'X')], 'bool', ([v]) =>
          (pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0,
        ),
      ];
    },
  },
  variadic('Max', (a, b) => (Number.isNaN(a) || a > b ? a : b)),
  variadic('Min', (a, b) => (Number.isNaN(a) || a < b ? a : b)),
  variadic('Sum', (a, b) => a + b),
  variadic('Mean', (a, b) => a + b),
  {
    type: 'PRelu',
    reference: (inp) => {
      const x = requireInput(inp[0], 'PRelu', 'X');
      const s = requireInput(inp[1], 'PRelu', 'slope');
      return [
        binary(
          'PRelu',
          x,
          s,
          (v, k) => (v < 0 ? v * k : v),
          (v, k) => (v < 0n ? v * k : v),
        ),
      ];
    },
  },
  compare('Equal', (a, b) => a === b),
  compare('Less', (a, b) => a < b),
  compare('LessOrEqual', (a, b) => a <= b),
  compare('Greater', (a, b) => a > b),
  compare('GreaterOrEqual', (a, b) => a >= b),
  compare('And', (a, b) => !!a && !!b),
  compare('Or', (a, b) => !!a || !!b),
  compare('Xor', (a, b) => !!a !== !!b),
  {
    type: 'Not',
    reference: (inp) => [walk('Not', [requireInput(inp[0], 'Not', 'X')], 'bool', ([v]) => (v ? 0 : 1))],
  },
  {
    type: 'Where',
    reference: (inp) => {
      const c = requireInput(inp[0], 'Where', 'condition');
      const x = requireInput(inp[1], 'Where', 'X');
      const y = requireInput(inp[2], 'Where', 'Y');
      if (sizeOf(c.dims) === 0)
        return [tensor(x.dtype, broadcastDims(broadcastDims(c.dims, x.dims, 'Where'), y.dims, 'Where'))];
      return [walk('Where', [c, x, y], x.dtype, ([k, a, b]) => (k ? a! : b!))];
    },
  },
];
