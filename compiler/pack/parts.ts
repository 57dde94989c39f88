// What the version 2 writer codes (docs/sqz.md "Records"): every integer and float32 tensor becomes
// one record whose elements are symbols (integers as they are or zigzagged, float32 with few
// distinct values as codebook indices) or float bit patterns (quantization scales rounded to the
// mantissa they need, everything else exact). Each part gets a model group by what the tensor is
// to the graph (weight codes, scales, biases …), so alike tensors share what their models learn.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { TENSOR_META } from '../../runtime/ir/tensor-meta.ts';
import { intAlphabet, STORAGE, symbolBits, VALUES, valueKindsV2, zigzag } from '../../runtime/sqz/format.ts';
import { tensorSlots } from '../../runtime/sqz/slots.ts';
import { MAX_CODEBOOK } from '../../runtime/sqz/table.ts';
import { roundMantissa, scaleMantissas } from './scales.ts';

/** A run of symbols or float bit patterns, and (once chosen) how it is coded. */
export interface Part {
  float: boolean;
  /** Symbols, or float32 bit patterns with the low 23 − mantissa bits zero. */
  data: Uint32Array;
  /** Symbol width; floats: 9 + mantissa. */
  bits: number;
  /** Symbols of the alphabet (floats: 0). */
  alphabet: number;
  mantissa: number;
  /** Parts of one group share an adaptive model. */
  group: string;
  coding: number;
  model: number;
  /** Estimated bits of the chosen coding. */
  cost: number;
}

export interface RecordPlan {
  /** Slot number (docs/sqz.md "Slots"). */
  index: number;
  label: string;
  tensor: Tensor;
  storage: number;
  values: number;
  /** VALUES.codebook: the distinct non-zero bit patterns, ascending by value. */
  entries?: Part;
  part: Part;
}

/** What a stored tensor is to the graph, by the nodes that read it. */
function roleOf(g: Graph, value: string): string {
  for (const c of g.consumers(value)) {
    const at = c.inputs.indexOf(value);
    if (c.opType === 'DequantizeLinear') return ['codes', 'scale', 'zero'][at] ?? 'other';
    if (c.opType === 'Gather' && at === 0) return 'codebook';
    if ((c.opType === 'Gather' && at === 1) || c.opType === 'Cast') return 'indices';
    if (at === 2 && /^(Conv|ConvTranspose|Gemm)$/.test(c.opType)) return 'bias';
  }
  return 'weight';
}

function part(float: boolean, data: Uint32Array, alphabet: number, mantissa: number, group: string): Part {
  return {
    float,
    data,
    bits: float ? 9 + mantissa : symbolBits(alphabet),
    alphabet,
    mantissa,
    group: float ? `float:${group}` : `int${symbolBits(alphabet)}:${group}`,
    coding: 0,
    model: -1,
    cost: 0,
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function asFloat(bits: number): number {
  u32[0] = bits;
  return f32[0]!;
}

/** Order-0 entropy (bits) of these counts. */
function entropy(counts: Iterable<number>, n: number): number {
  let h = 0;
  for (const c of counts) if (c) h -= c * Math.log2(c / n);
  return h;
}

/**
 * float32 with few distinct values: its codebook (ascending) and indices (0 = +0.0), when that looks
 * cheaper than coding the floats (entries at ~28 bits + indices at their entropy, against the zeros
 * at their entropy + ~26 bits per other value); else undefined.
 */
function codebookOf(bits: Uint32Array): { book: Uint32Array; indices: Uint32Array } | undefined {
  const n = bits.length;
  const distinct = new Map<number, number>();
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    if (bits[i] === 0) {
      zeros++;
      continue;
    }
    const c = distinct.get(bits[i]!);
    if (c === undefined && distinct.size >= MAX_CODEBOOK) return undefined;
    distinct.set(bits[i]!, (c ?? 0) + 1);
  }
  if (!distinct.size) return undefined;
  const asBook = distinct.size * 28 + entropy([zeros, ...distinct.values()], n);
  const asFloats = entropy([zeros, n - zeros], n) + (n - zeros) * 26;
  if (asBook >= asFloats) return undefined;
  const book = Uint32Array.from([...distinct.keys()].sort((a, b) => asFloat(a) - asFloat(b) || a - b));
  for (const [k, b] of book.entries()) distinct.set(b, k + 1);
  const indices = Uint32Array.from(bits, (b) => (b === 0 ? 0 : distinct.get(b)!));
  return { book, indices };
}

/** One record per tensor the container codes, in slot order; `exactScales` keeps every scale exact. */
export function planRecords(model: Model, exactScales = false): RecordPlan[] {
  const g = model.graph;
  const mantissas = exactScales ? new Map<Tensor, number>() : scaleMantissas(g);
  const out: RecordPlan[] = [];
  tensorSlots(g).forEach((slot, index) => {
    const t = slot.get();
    const meta = TENSOR_META.get(t);
    if (meta?.storage === 'sparse' || Array.isArray(t.data) || !t.data.length) return;
    if (!valueKindsV2(t.dtype).length) return;
    const storage = meta?.storage === 'typed' ? STORAGE.typed : STORAGE.raw;
    const role = roleOf(g, slot.value);
    const n = t.data.length;
    const base = { index, label: slot.label, tensor: t, storage };
    if (t.dtype !== 'float32') {
      const d = t.data as ArrayLike<number>;
      const signed = valueKindsV2(t.dtype)[0] === VALUES.zigzag;
      const symbols = new Uint32Array(n);
      for (let i = 0; i < n; i++) symbols[i] = signed ? zigzag(d[i]!) : d[i]!;
      const values = signed ? VALUES.zigzag : VALUES.uint;
      out.push({ ...base, values, part: part(false, symbols, intAlphabet(t.dtype), 23, role) });
      return;
    }
    const f = t.data as Float32Array;
    const bits = new Uint32Array(f.buffer, f.byteOffset, n);
    const m = mantissas.get(t) ?? 23;
    const cb = m === 23 ? codebookOf(bits) : undefined; // rounded scales are coded as floats
    if (cb) {
      out.push({
        ...base,
        values: VALUES.codebook,
        entries: part(true, cb.book, 0, 23, 'codebook'),
        part: part(false, cb.indices, cb.book.length + 1, 23, 'indices'),
      });
      return;
    }
    const kept = m < 23 ? Uint32Array.from(bits, (b) => roundMantissa(b, m)) : bits;
    out.push({ ...base, values: VALUES.float, part: part(true, kept, 0, m, role) });
  });
  return out;
}
