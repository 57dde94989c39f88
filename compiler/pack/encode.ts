// Coding one initializer as a .sqz record (docs/sqz.md "Records"): its elements become symbols
// (integers as-is or zigzag, float32 through an exact codebook of bit patterns or raw), stored dense
// or sparse (Deep Compression relative indices with filler entries), Huffman-coded, whichever is
// smaller; gap width chosen per tensor from the zero-run histogram.

import { dtypeBits } from '../../runtime/ir/dtype.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { intAlphabet, LAYOUT, VALUES, valueKinds, zigzag } from '../../runtime/sqz/format.ts';
import { huffmanEncode, huffmanLengths } from '../codec/huffman.ts';
import { relativeEncode } from '../codec/relindex.ts';
import { ByteWriter } from './bytes.ts';

/** Tensors smaller than this stay in the (deflated) graph. */
export const MIN_CODED_ELEMENTS = 64;
/** Float tensors with more distinct values than this are stored raw (sparse) or left in the graph. */
export const MAX_CODEBOOK = 4096;

export interface RecordStats {
  numel: number;
  /** Elements whose bits are not all zero. */
  nonzero: number;
  layout: 'dense' | 'sparse';
  values: keyof typeof VALUES;
  gapBits?: number;
  /** Filler entries the padding rule added. */
  fillers: number;
  bytes: number;
}

interface Symbols {
  kind: number;
  /** One key per element; key 0 ⇔ the element's bits are all 0 (the sparse layout skips those). */
  keys: Uint32Array;
  /** Alphabet of the Huffman-coded part (0: no Huffman part). */
  alphabet: number;
  /** Bits of each element stored raw after the Huffman part (0, 24 or 32). */
  rawBits: number;
  codebook?: Uint32Array;
}

/** The Huffman-coded symbol of a key. */
function symbolOf(s: Symbols, key: number): number {
  return s.kind === VALUES.split32 ? key >>> 24 : key;
}

/** The ways this tensor's elements can become symbols (float32: exact codebook, split or raw bits). */
function candidates(t: Tensor): Symbols[] {
  const kinds = valueKinds(t.dtype);
  if (!kinds.length) return [];
  const n = t.data.length;
  if (t.dtype !== 'float32') {
    const d = t.data as ArrayLike<number>;
    const keys = new Uint32Array(n);
    const zz = kinds[0] === VALUES.zigzag;
    for (let i = 0; i < n; i++) keys[i] = zz ? zigzag(d[i]!) : d[i]!;
    return [{ kind: kinds[0]!, keys, alphabet: intAlphabet(t.dtype), rawBits: 0 }];
  }
  const f = t.data as Float32Array;
  const bits = new Uint32Array(f.buffer, f.byteOffset, n);
  const out: Symbols[] = [
    { kind: VALUES.raw32, keys: bits, alphabet: 0, rawBits: 32 },
    { kind: VALUES.split32, keys: bits, alphabet: 256, rawBits: 24 },
  ];
  const distinct = new Map<number, number>();
  for (let i = 0; i < n && distinct.size <= MAX_CODEBOOK; i++) if (bits[i] !== 0) distinct.set(bits[i]!, 0);
  if (distinct.size > MAX_CODEBOOK || distinct.size > n / 2) return out;
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const asFloat = (b: number) => {
    u32[0] = b;
    return f32[0]!;
  };
  const codebook = Uint32Array.from([...distinct.keys()].sort((a, b) => asFloat(a) - asFloat(b) || a - b));
  for (const [k, b] of codebook.entries()) distinct.set(b, k + 1);
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = bits[i] === 0 ? 0 : distinct.get(bits[i]!)!;
  out.push({ kind: VALUES.codebook, keys, alphabet: codebook.length + 1, rawBits: 0, codebook });
  return out;
}

function histogram(s: Symbols, keys: ArrayLike<number>): Float64Array {
  const h = new Float64Array(s.alphabet);
  for (let i = 0; i < keys.length; i++) h[symbolOf(s, keys[i]!)]!++;
  return h;
}

/** Bits of a Huffman-coded stream with these frequencies, its table included. */
function huffmanCost(freqs: Float64Array): number {
  const lengths = huffmanLengths(freqs);
  let bits = 0;
  let used = 0;
  for (let sym = 0; sym < freqs.length; sym++) {
    bits += freqs[sym]! * lengths[sym]!;
    if (lengths[sym]) used++;
  }
  return bits + used * 16 + 32;
}

/** A Huffman stream as stored: code-length table, varint bit length, the code bytes. */
export function writeStream(w: ByteWriter, symbols: ArrayLike<number>, alphabet: number): void {
  const freqs = new Float64Array(alphabet);
  for (let i = 0; i < symbols.length; i++) freqs[symbols[i]!]!++;
  const lengths = huffmanLengths(freqs);
  let used = 0;
  for (const l of lengths) if (l) used++;
  w.varint(used);
  let prev = -1;
  for (let sym = 0; sym < lengths.length; sym++) {
    if (!lengths[sym]) continue;
    w.varint(sym - prev - 1).u8(lengths[sym]!);
    prev = sym;
  }
  const { bytes, bitLength } = symbols.length
    ? huffmanEncode(symbols, lengths)
    : { bytes: new Uint8Array(0), bitLength: 0 };
  w.varint(bitLength).bytes(bytes);
}

/** Bits of the value part for entries with this symbol histogram. */
function valueCost(s: Symbols, freqs: Float64Array | undefined, entries: number): number {
  return (freqs ? huffmanCost(freqs) : 0) + entries * s.rawBits;
}

/** Cheapest sparse layout: gap width and its estimated bits, from the histogram of zero runs. */
function bestSparse(s: Symbols): { gapBits: number; bits: number } {
  const runs = new Map<number, number>();
  const valueFreq = s.alphabet ? new Float64Array(s.alphabet) : undefined;
  let run = 0;
  let nonzero = 0;
  for (let i = 0; i < s.keys.length; i++) {
    const k = s.keys[i]!;
    if (k === 0) {
      run++;
      continue;
    }
    runs.set(run, (runs.get(run) ?? 0) + 1);
    if (valueFreq) valueFreq[symbolOf(s, k)]!++;
    nonzero++;
    run = 0;
  }
  let best = { gapBits: 8, bits: Number.POSITIVE_INFINITY };
  for (let b = 1; b <= 12; b++) {
    const m = 2 ** b;
    const gaps = new Float64Array(m);
    let fillers = 0;
    for (const [r, c] of runs) {
      const f = Math.floor(r / m);
      fillers += f * c;
      gaps[r % m]! += c;
    }
    gaps[m - 1]! += fillers;
    if (valueFreq) valueFreq[0] = fillers;
    const bits = huffmanCost(gaps) + valueCost(s, valueFreq, nonzero + fillers);
    if (bits < best.bits) best = { gapBits: b, bits };
  }
  return best;
}

function writeValues(w: ByteWriter, s: Symbols, keys: Uint32Array): void {
  if (s.alphabet)
    writeStream(
      w,
      Array.from(keys, (k) => symbolOf(s, k)),
      s.alphabet,
    );
  if (s.rawBits === 32) for (const k of keys) w.u32(k);
  else if (s.rawBits === 24)
    for (const k of keys)
      w.u8(k)
        .u8(k >>> 8)
        .u8(k >>> 16);
}

/**
 * The record for one initializer (without its index), or undefined when the tensor is better left
 * in the graph (too small, a dtype the container does not code, or no saving).
 */
export function encodeRecord(
  t: Tensor,
  storage: number,
): { bytes: Uint8Array; stats: RecordStats } | undefined {
  const n = t.data.length;
  if (n < MIN_CODED_ELEMENTS || Array.isArray(t.data)) return undefined;
  const rawBits = n * dtypeBits(t.dtype);
  let best: { s: Symbols; sparse: boolean; gapBits: number; bits: number } | undefined;
  for (const c of candidates(t)) {
    const extra = (c.codebook?.length ?? 0) * 32;
    const sparse = bestSparse(c);
    const dense = valueCost(c, c.alphabet ? histogram(c, c.keys) : undefined, n);
    const bits = Math.min(sparse.bits, dense) + extra;
    if (!best || bits < best.bits)
      best = { s: c, sparse: sparse.bits < dense, gapBits: sparse.gapBits, bits };
  }
  if (!best || best.bits >= rawBits) return undefined;
  const { s, gapBits } = best;
  const w = new ByteWriter();
  w.u8(storage).varint(t.dims.length);
  for (const d of t.dims) w.varint(d);
  w.u8(s.kind);
  if (s.codebook) {
    w.varint(s.codebook.length);
    for (const b of s.codebook) w.u32(b);
  }
  let nonzero = 0;
  for (const k of s.keys) if (k !== 0) nonzero++;
  let fillers = 0;
  if (best.sparse) {
    const rel = relativeEncode(s.keys, gapBits);
    fillers = rel.fillers;
    w.u8(LAYOUT.sparse).u8(gapBits).varint(rel.gaps.length);
    writeStream(w, rel.gaps, 2 ** gapBits);
    writeValues(
      w,
      s,
      Uint32Array.from(rel.positions, (p) => s.keys[p]!),
    );
  } else {
    w.u8(LAYOUT.dense);
    writeValues(w, s, s.keys);
  }
  const bytes = w.finish();
  const name = (Object.keys(VALUES) as (keyof typeof VALUES)[]).find((k) => VALUES[k] === s.kind)!;
  return {
    bytes,
    stats: {
      numel: n,
      nonzero,
      layout: best.sparse ? 'sparse' : 'dense',
      values: name,
      ...(best.sparse ? { gapBits } : {}),
      fillers,
      bytes: bytes.length,
    },
  };
}
