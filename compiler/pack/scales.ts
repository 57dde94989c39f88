// Compact scales of quantized weights (docs/sqz.md "Scales"): a float32 scale of a
// DequantizeLinear whose input is a stored integer weight keeps only as many mantissa bits as it
// needs to be exact enough — every dequantized weight (q − z)·s may move by at most 1/16 of its
// quantization step s (quantization itself already moved it by up to s/2). fp16 keeps 10 mantissa
// bits; int8 codes (|q − z| ≤ 128) need 10 or fewer, int4 codes 6 or fewer, and the float32
// exponent stays, so no scale is too small or too large for it.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

/** A scale may move a dequantized weight by at most this fraction of its quantization step. */
export const SCALE_STEP_FRACTION = 1 / 16;

const INT_DTYPES = new Set(['int8', 'uint8', 'int4', 'uint4', 'int2', 'uint2', 'int16', 'uint16']);

/** The float32 bit pattern rounded (to nearest, ties to even) to `m` mantissa bits. */
export function roundMantissa(bits: number, m: number): number {
  if (m >= 23) return bits >>> 0;
  const unit = 2 ** (23 - m);
  const low = (bits >>> 0) % unit;
  let base = (bits >>> 0) - low;
  if (low > unit / 2 || (low === unit / 2 && (base / unit) % 2 === 1)) base += unit;
  return base >>> 0;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function asFloat(bits: number): number {
  u32[0] = bits;
  return f32[0]!;
}

/** For each element of a DequantizeLinear's scale: the largest |q − z| over the codes it scales. */
function largestCodes(
  dq: Node,
  q: Tensor,
  scale: Tensor,
  zero: Tensor | undefined,
): Float64Array | undefined {
  const dims = q.dims;
  const rank = dims.length;
  const out = new Float64Array(scale.data.length);
  const qd = q.data as ArrayLike<number>;
  const zd = zero?.data as ArrayLike<number> | undefined;
  if (zero && zero.data.length !== scale.data.length) return undefined;
  if (scale.data.length === 1) {
    let m = 0;
    for (let i = 0; i < qd.length; i++) m = Math.max(m, Math.abs(qd[i]! - (zd ? zd[0]! : 0)));
    out[0] = m;
    return out;
  }
  const axisAttr = Number(dq.attrs.axis ?? 1);
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  if (axis < 0 || axis >= rank) return undefined;
  const block = Number(dq.attrs.block_size ?? 0);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const along = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const blocks = block > 0 ? Math.ceil(along / block) : along;
  const expected = block > 0 ? outer * blocks * inner : along;
  if (scale.data.length !== expected) return undefined;
  for (let o = 0; o < outer; o++)
    for (let a = 0; a < along; a++) {
      const base = (o * along + a) * inner;
      const sBase = block > 0 ? (o * blocks + Math.floor(a / block)) * inner : a;
      for (let t = 0; t < inner; t++) {
        const s = block > 0 ? sBase + t : sBase;
        const v = Math.abs(qd[base + t]! - (zd ? zd[s]! : 0));
        if (v > out[s]!) out[s] = v;
      }
    }
  return out;
}

/** The fewest mantissa bits (0 … 23) keeping every dequantized weight within the bound. */
function mantissaFor(scale: Float32Array, codes: Float64Array): number {
  const bits = new Uint32Array(scale.buffer, scale.byteOffset, scale.length);
  for (let m = 0; m < 23; m++) {
    let ok = true;
    for (let i = 0; i < scale.length && ok; i++) {
      const s = scale[i]!;
      const moved = Math.abs(asFloat(roundMantissa(bits[i]!, m)) - s) * codes[i]!;
      ok = Number.isFinite(s) && moved <= Math.abs(s) * SCALE_STEP_FRACTION;
    }
    if (ok) return m;
  }
  return 23;
}

/**
 * Mantissa bits to keep for each scale tensor that only DequantizeLinear nodes of stored integer
 * weights read (by tensor); every other float tensor stays exact.
 */
export function scaleMantissas(g: Graph): Map<Tensor, number> {
  const codes = new Map<Tensor, Float64Array>();
  const excluded = new Set<Tensor>();
  for (const n of g.nodes) {
    if (n.opType !== 'DequantizeLinear' || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    const sName = n.inputs[1] ?? '';
    const scale = g.constant(sName);
    if (scale?.dtype !== 'float32' || excluded.has(scale)) continue;
    const q = g.constant(n.inputs[0] ?? '');
    const zero = n.inputs[2] ? g.constant(n.inputs[2]) : undefined;
    const onlyDq = g
      .consumers(sName)
      .every((c) => c.opType === 'DequantizeLinear' && c.inputs.indexOf(sName) === 1);
    const mine =
      q && INT_DTYPES.has(q.dtype) && (zero || !n.inputs[2]) && onlyDq && !g.isOutput(sName)
        ? largestCodes(n, q, scale, zero)
        : undefined;
    if (!mine) {
      excluded.add(scale);
      codes.delete(scale);
      continue;
    }
    const seen = codes.get(scale);
    if (seen) for (let i = 0; i < seen.length; i++) seen[i] = Math.max(seen[i]!, mine[i]!);
    else codes.set(scale, mine);
  }
  return new Map([...codes].map(([t, c]) => [t, mantissaFor(t.data as Float32Array, c)]));
}
