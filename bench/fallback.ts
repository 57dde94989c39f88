// Bench-only plain-TS kernels for the ops the gpu.js backend leaves to the reference, used when the
// op registry has no reference kernel registered for them yet (so `npm run bench` runs standalone).
import { sizeOf, type Tensor } from '../runtime/ir/tensor.ts';
import type { Attrs } from '../runtime/ops/registry.ts';

type K = (x: (Tensor | undefined)[], a: Attrs) => Tensor[];
const f32 = (dims: number[], data: Float32Array): Tensor => ({ dtype: 'float32', dims, data });
const ints = (t: Tensor | undefined): number[] =>
  Array.from(t?.data as ArrayLike<number | bigint>, (v) => Number(v));

function broadcast(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const ad = a.data as Float32Array;
  const bd = b.data as Float32Array;
  const na = ad.length;
  const nb = bd.length;
  const rank = Math.max(a.dims.length, b.dims.length);
  const pa = [...Array(rank - a.dims.length).fill(1), ...a.dims] as number[];
  const pb = [...Array(rank - b.dims.length).fill(1), ...b.dims] as number[];
  const dims = pa.map((d, i) => Math.max(d, pb[i] as number));
  const n = sizeOf(dims);
  const out = new Float32Array(n);
  const plane = rank === 4 ? (dims[2] as number) * (dims[3] as number) : 0;
  const chans = rank === 4 ? (dims[0] as number) * (dims[1] as number) : 0;
  if (na === n && nb === n) {
    for (let i = 0; i < n; i++) out[i] = f(ad[i] as number, bd[i] as number);
  } else if (rank === 4 && na === n && nb === chans && pb[2] === 1 && pb[3] === 1) {
    // per-channel operand (SE blocks): one value per plane
    for (let c = 0; c < chans; c++) {
      const y = bd[c] as number;
      for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = f(ad[i] as number, y);
    }
  } else if (rank === 4 && nb === n && na === chans && pa[2] === 1 && pa[3] === 1) {
    for (let c = 0; c < chans; c++) {
      const x = ad[c] as number;
      for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = f(x, bd[i] as number);
    }
  } else if (na === n && nb === 1) {
    const y = bd[0] as number;
    for (let i = 0; i < n; i++) out[i] = f(ad[i] as number, y);
  } else if (nb === n && na === 1) {
    const x = ad[0] as number;
    for (let i = 0; i < n; i++) out[i] = f(x, bd[i] as number);
  } else {
    const strides = (p: number[]) => {
      const s = new Array<number>(rank).fill(0);
      let acc = 1;
      for (let i = rank - 1; i >= 0; i--) {
        s[i] = p[i] === 1 ? 0 : acc;
        acc *= p[i] as number;
      }
      return s;
    };
    const sa = strides(pa);
    const sb = strides(pb);
    const idx = new Array<number>(rank).fill(0);
    for (let i = 0; i < n; i++) {
      let ia = 0;
      let ib = 0;
      for (let d = 0; d < rank; d++) {
        ia += (idx[d] as number) * (sa[d] as number);
        ib += (idx[d] as number) * (sb[d] as number);
      }
      out[i] = f(ad[ia] as number, bd[ib] as number);
      for (let d = rank - 1; d >= 0; d--) {
        idx[d] = (idx[d] as number) + 1;
        if ((idx[d] as number) < (dims[d] as number)) break;
        idx[d] = 0;
      }
    }
  }
  return f32(dims, out);
}

const unary =
  (f: (x: number, a: Attrs) => number): K =>
  ([x], a) => {
    const d = x?.data as Float32Array;
    return [
      f32(
        [...(x?.dims ?? [])],
        d.map((v) => f(v, a)),
      ),
    ];
  };

export const FALLBACK: Record<string, K> = {
  Add: ([a, b]) => [broadcast(a as Tensor, b as Tensor, (x, y) => x + y)],
  Sub: ([a, b]) => [broadcast(a as Tensor, b as Tensor, (x, y) => x - y)],
  Mul: ([a, b]) => [broadcast(a as Tensor, b as Tensor, (x, y) => x * y)],
  Div: ([a, b]) => [broadcast(a as Tensor, b as Tensor, (x, y) => x / y)],
  Relu: unary((x) => Math.max(x, 0)),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  HardSigmoid: unary((x, a) => Math.min(Math.max(x * Number(a.alpha ?? 0.2) + Number(a.beta ?? 0.5), 0), 1)),
  Clip: ([x, lo, hi], a) => {
    const l = lo ? ((lo.data as Float32Array)[0] as number) : Number(a.min ?? -Infinity);
    const h = hi ? ((hi.data as Float32Array)[0] as number) : Number(a.max ?? Infinity);
    return unary((v) => Math.min(Math.max(v, l), h))([x], a);
  },
  GlobalAveragePool: ([x]) => {
    const [n, c, ...sp] = (x as Tensor).dims as number[];
    const hw = sizeOf(sp);
    const d = x?.data as Float32Array;
    const out = new Float32Array((n as number) * (c as number));
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let j = 0; j < hw; j++) s += d[i * hw + j] as number;
      out[i] = s / hw;
    }
    return [f32([n as number, c as number, ...sp.map(() => 1)], out)];
  },
  Resize: ([x, , scales, sizes]) => {
    // nearest, asymmetric, floor (what the PaddleOCR exports use)
    const [n, c, h, w] = (x as Tensor).dims as number[];
    let oh: number;
    let ow: number;
    if (sizes && sizeOf(sizes.dims) === 4) [, , oh, ow] = ints(sizes) as number[];
    else {
      const s = Array.from(scales?.data as Float32Array);
      oh = Math.floor((h as number) * (s[2] as number));
      ow = Math.floor((w as number) * (s[3] as number));
    }
    const d = x?.data as Float32Array;
    const out = new Float32Array((n as number) * (c as number) * (oh as number) * (ow as number));
    const ry = (h as number) / (oh as number);
    const rx = (w as number) / (ow as number);
    let o = 0;
    for (let p = 0; p < (n as number) * (c as number); p++) {
      for (let y = 0; y < (oh as number); y++) {
        const row = (p * (h as number) + Math.floor(y * ry)) * (w as number);
        for (let xx = 0; xx < (ow as number); xx++) out[o++] = d[row + Math.floor(xx * rx)] as number;
      }
    }
    return [f32([n as number, c as number, oh as number, ow as number], out)];
  },
  Concat: (xs, a) => {
    const ts = xs.filter((t): t is Tensor => t !== undefined);
    const first = ts[0] as Tensor;
    const rank = first.dims.length;
    const axis = (Number(a.axis) + rank) % rank;
    const outer = sizeOf(first.dims.slice(0, axis));
    const dims = [...first.dims];
    dims[axis] = ts.reduce((s, t) => s + (t.dims[axis] as number), 0);
    const Ctor = (first.data as Float32Array).constructor as Float32ArrayConstructor;
    const out = new Ctor(sizeOf(dims));
    let off = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of ts) {
        const chunk = sizeOf(t.dims.slice(axis));
        out.set((t.data as Float32Array).subarray(o * chunk, (o + 1) * chunk), off);
        off += chunk;
      }
    }
    return [{ dtype: first.dtype, dims, data: out }];
  },
  MaxPool: ([x], a) => {
    const [n, c, h, w] = (x as Tensor).dims as number[];
    const [kh, kw] = (a.kernel_shape as number[]) ?? [1, 1];
    const [sy, sx] = (a.strides as number[]) ?? [1, 1];
    const oh = Math.floor(((h as number) - (kh as number)) / (sy as number)) + 1;
    const ow = Math.floor(((w as number) - (kw as number)) / (sx as number)) + 1;
    const d = x?.data as Float32Array;
    const out = new Float32Array((n as number) * (c as number) * oh * ow);
    let o = 0;
    for (let p = 0; p < (n as number) * (c as number); p++) {
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          let m = -Infinity;
          for (let i = 0; i < (kh as number); i++) {
            for (let j = 0; j < (kw as number); j++) {
              m = Math.max(
                m,
                d[
                  (p * (h as number) + y * (sy as number) + i) * (w as number) + xx * (sx as number) + j
                ] as number,
              );
            }
          }
          out[o++] = m;
        }
      }
    }
    return [f32([n as number, c as number, oh, ow], out)];
  },
  Shape: ([x]) => [
    { dtype: 'int64', dims: [x?.dims.length ?? 0], data: BigInt64Array.from(x?.dims ?? [], BigInt) },
  ],
  Cast: ([x], a) => {
    const v = ints(x);
    const to = Number(a.to);
    if (to === 1) return [f32([...(x?.dims ?? [])], Float32Array.from(v))];
    if (to === 6) return [{ dtype: 'int32', dims: [...(x?.dims ?? [])], data: Int32Array.from(v) }];
    return [
      {
        dtype: 'int64',
        dims: [...(x?.dims ?? [])],
        data: BigInt64Array.from(v, (z) => BigInt(Math.trunc(z))),
      },
    ];
  },
  Slice: ([x], a) => {
    // 1-D slice (shape arithmetic in the cls head)
    const v = Array.from(x?.data as ArrayLike<number | bigint>);
    const s = (a.starts as number[])[0] as number;
    const e = Math.min((a.ends as number[])[0] as number, v.length);
    const part = v.slice(s, e);
    const data =
      x?.dtype === 'int64'
        ? BigInt64Array.from(part as bigint[])
        : x?.dtype === 'int32'
          ? Int32Array.from(part as number[])
          : Float32Array.from(part as number[]);
    return [{ dtype: x?.dtype ?? 'float32', dims: [part.length], data }];
  },
  Reshape: ([x, s]) => {
    const want = ints(s);
    const n = sizeOf(x?.dims ?? []);
    const dims = want.map((d, i) => (d === 0 ? (x?.dims[i] as number) : d));
    const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
    return [
      {
        dtype: x?.dtype ?? 'float32',
        dims: dims.map((d) => (d === -1 ? n / known : d)),
        data: x?.data as Float32Array,
      },
    ];
  },
  Softmax: ([x], a) => {
    const dims = (x as Tensor).dims as number[];
    const axis = (Number(a.axis ?? 1) + dims.length) % dims.length;
    const inner = sizeOf(dims.slice(axis));
    const d = x?.data as Float32Array;
    const out = new Float32Array(d.length);
    for (let o = 0; o < d.length; o += inner) {
      let m = -Infinity;
      for (let i = 0; i < inner; i++) m = Math.max(m, d[o + i] as number);
      let s = 0;
      for (let i = 0; i < inner; i++) s += out[o + i] = Math.exp((d[o + i] as number) - m);
      for (let i = 0; i < inner; i++) out[o + i] = (out[o + i] as number) / s;
    }
    return [f32([...dims], out)];
  },
};
