// Bytes of each layer's weight at each Deep Compression stage, like the paper's table:
// dense fp32 → pruned (non-zeros fp32 + 8-bit relative indices) → clustered / quantized (codes of
// ⌈log2 K⌉ bits + 8-bit relative indices + codebook or scales) → coded (the .sqz record, Huffman).

import { dtypeBits } from '../../runtime/ir/dtype.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { relativeEncode } from '../codec/relindex.ts';

export interface StageRow {
  name: string;
  op: string;
  params: number;
  nonzero: number;
  dense_bytes: number;
  pruned_bytes: number;
  clustered_bytes: number;
  coded_bytes: number;
  /** coded_bytes · 8 / params */
  bits_per_weight: number;
}

export interface StageReport {
  layers: StageRow[];
  /** Sums over the layers (name 'total'). */
  total: StageRow;
  /** The deflated graph: structure, names, metadata and every tensor not coded on its own. */
  graph_bytes: number;
  file_bytes: number;
}

const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const GAP_BITS = 8;

/** Where a tensor value is stored: its initializer name or its Constant node's slot label. */
function slotLabel(g: Graph, value: string): string {
  if (g.initializers.has(value)) return value;
  const p = g.producer(value);
  return p?.opType === 'Constant' ? `Constant node '${p.name || p.outputs[0]}'` : value;
}

interface Source {
  /** The stored codes (or the float weight itself). */
  stored: string;
  /** Per-element symbols: bits of each code; 32 for a plain float weight. */
  codeBits: number;
  /** Float side data: codebook entries or scales (+ zero points). */
  sideBytes: number;
  /** Effective (dequantized / gathered) weight values, for non-zeros. */
  zero: (i: number) => boolean;
  numel: number;
  shared: boolean;
}

function sourceOf(g: Graph, value: string): Source | undefined {
  const w = g.constant(value);
  if (w) {
    if (!(w.dtype === 'float32')) return undefined;
    const d = w.data as Float32Array;
    return {
      stored: value,
      codeBits: 32,
      sideBytes: 0,
      zero: (i) => d[i] === 0,
      numel: d.length,
      shared: false,
    };
  }
  const p = g.producer(value);
  if (p?.opType === 'Gather') {
    const book = g.constant(p.inputs[0] ?? '');
    const cast = g.producer(p.inputs[1] ?? '');
    const idxName = cast?.opType === 'Cast' ? (cast.inputs[0] ?? '') : (p.inputs[1] ?? '');
    const idx = g.constant(idxName);
    if (!book || !idx || book.dtype !== 'float32') return undefined;
    const b = book.data as Float32Array;
    const ix = idx.data as ArrayLike<number>;
    const k = b.length;
    const hasZero = b.some((x) => x === 0);
    return {
      stored: idxName,
      codeBits: Math.max(1, Math.ceil(Math.log2(Math.max(2, k - (hasZero ? 1 : 0))))),
      sideBytes: k * 4,
      zero: (i) => b[Number(ix[i])] === 0,
      numel: ix.length,
      shared: true,
    };
  }
  if (p?.opType === 'DequantizeLinear') {
    const q = g.constant(p.inputs[0] ?? '');
    if (!q) return undefined;
    const zp = g.constant(p.inputs[2] ?? '');
    const side = [p.inputs[1], p.inputs[2]].reduce((s, n) => {
      const t: Tensor | undefined = n ? g.constant(n) : undefined;
      return s + (t ? Math.ceil((t.data.length * dtypeBits(t.dtype)) / 8) : 0);
    }, 0);
    const qd = q.data as ArrayLike<number>;
    const zd = zp?.data as ArrayLike<number> | undefined;
    return {
      stored: p.inputs[0]!,
      codeBits: dtypeBits(q.dtype),
      sideBytes: side,
      // per-tensor zero point only is checked exactly; per-axis zero points are usually 0 (symmetric)
      zero: (i) => Number(qd[i]) === Number(zd && zd.length === 1 ? zd[0] : 0),
      numel: qd.length,
      shared: true,
    };
  }
  return undefined;
}

/**
 * Stage bytes per weight layer of `model`; `coded` gives each coded tensor's record bytes by slot
 * label (tensors not coded count at their raw size).
 */
export function packStages(
  model: Model,
  coded: Map<string, number>,
  graphBytes: number,
  fileBytes: number,
): StageReport {
  const g = model.graph;
  const layers: StageRow[] = [];
  for (const n of g.topoOrder()) {
    if (!WEIGHT_OPS.has(n.opType)) continue;
    const s = sourceOf(g, n.inputs[1] ?? '');
    if (!s) continue;
    const mask = new Uint8Array(s.numel);
    let nonzero = 0;
    for (let i = 0; i < s.numel; i++)
      if (!s.zero(i)) {
        mask[i] = 1;
        nonzero++;
      }
    const dense = s.numel * 4;
    const entries = nonzero < s.numel ? relativeEncode(mask, GAP_BITS).gaps.length : s.numel;
    const sparse = nonzero < s.numel;
    const pruned = sparse ? Math.min(dense, Math.ceil((entries * (32 + GAP_BITS)) / 8)) : dense;
    const clustered = s.shared
      ? s.sideBytes + Math.ceil(((sparse ? entries : s.numel) * (s.codeBits + (sparse ? GAP_BITS : 0))) / 8)
      : pruned;
    const stored = g.constant(s.stored)!;
    const rec = coded.get(slotLabel(g, s.stored));
    const codedBytes = (rec ?? Math.ceil((stored.data.length * dtypeBits(stored.dtype)) / 8)) + s.sideBytes;
    layers.push({
      name: n.name || n.outputs[0]!,
      op: n.opType,
      params: s.numel,
      nonzero,
      dense_bytes: dense,
      pruned_bytes: pruned,
      clustered_bytes: clustered,
      coded_bytes: codedBytes,
      bits_per_weight: s.numel ? (codedBytes * 8) / s.numel : 0,
    });
  }
  const sum = (k: keyof StageRow) => layers.reduce((a, r) => a + (r[k] as number), 0);
  const params = sum('params');
  const total: StageRow = {
    name: 'total',
    op: '',
    params,
    nonzero: sum('nonzero'),
    dense_bytes: sum('dense_bytes'),
    pruned_bytes: sum('pruned_bytes'),
    clustered_bytes: sum('clustered_bytes'),
    coded_bytes: sum('coded_bytes'),
    bits_per_weight: params ? (sum('coded_bytes') * 8) / params : 0,
  };
  return { layers, total, graph_bytes: graphBytes, file_bytes: fileBytes };
}
