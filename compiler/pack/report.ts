// Where the bytes of a .sqz go (the compile report's `pack` section and `squish inspect X.sqz`):
// per weight layer its bytes at each Deep Compression stage, like the paper's table — dense fp32 →
// pruned (non-zeros fp32 + 8-bit relative indices) → clustered / quantized (codes of ⌈log2 K⌉ bits +
// 8-bit relative indices + codebook or scales) → coded (as stored, scales and codebook included) —
// its bits per weight, and the graph's share of the file. Measured by reading the container back.

import { dtypeBits } from '../../runtime/ir/dtype.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { SqzInfo } from '../../runtime/sqz/info.ts';
import { readSqzInfo } from '../../runtime/sqz/read.ts';
import { relativeEncode } from '../codec/relindex.ts';

export interface PackLayer {
  name: string;
  op: string;
  params: number;
  nonzero: number;
  /** How the weight is stored: its codes' dtype (int8, int4 …), 'clustered' (indices + codebook) or 'float32'. */
  stored: string;
  dense_bytes: number;
  pruned_bytes: number;
  clustered_bytes: number;
  /** As stored in the .sqz: the weight's record and its scales, zero points or codebook. */
  coded_bytes: number;
  /** Of coded_bytes, the scales, zero points or codebook. */
  side_bytes: number;
  /** coded_bytes · 8 / params */
  bits_per_weight: number;
}

export interface PackReport {
  /** Container version. */
  version: number;
  file_bytes: number;
  /** The coded structure: the ONNX graph (names, attributes, metadata, tensors not coded) + record table. */
  graph_bytes: number;
  /** graph_bytes / file_bytes */
  graph_share: number;
  graph_coding: string;
  layers: PackLayer[];
  /** Sums over the layers (name 'total'). */
  total: PackLayer;
  /** The weight layers by how they are stored: count, params, bytes, bits per weight. */
  by_storage: Record<
    string,
    { layers: number; params: number; coded_bytes: number; bits_per_weight: number }
  >;
  /** Coded tensors by coding (raw, static, adaptive; codebooks count entries + indices). */
  codings: Record<string, number>;
  /** Scales kept with fewer mantissa bits (each dequantized weight within 1/16 of its step). */
  rounded_scales?: { tensors: number; elements: number; mantissa_bits: number[] };
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
  /** How the weight is stored (PackLayer.stored). */
  kind: string;
  /** The stored codes (or the float weight itself). */
  stored: string;
  /** Bits of one code in the paper's clustered stage; 32 for a plain float weight. */
  codeBits: number;
  /** Scales, zero points or codebook. */
  side: string[];
  /** Whether element i of the effective weight is zero. */
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
      kind: 'float32',
      stored: value,
      codeBits: 32,
      side: [],
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
      kind: 'clustered',
      stored: idxName,
      codeBits: Math.max(1, Math.ceil(Math.log2(Math.max(2, k - (hasZero ? 1 : 0))))),
      side: [p.inputs[0]!],
      zero: (i) => b[Number(ix[i])] === 0,
      numel: ix.length,
      shared: true,
    };
  }
  if (p?.opType === 'DequantizeLinear') {
    const q = g.constant(p.inputs[0] ?? '');
    if (!q) return undefined;
    const zp = g.constant(p.inputs[2] ?? '');
    const qd = q.data as ArrayLike<number>;
    const zd = zp?.data as ArrayLike<number> | undefined;
    return {
      kind: q.dtype,
      stored: p.inputs[0]!,
      codeBits: dtypeBits(q.dtype),
      side: [p.inputs[1], p.inputs[2]].filter((n): n is string => Boolean(n && g.constant(n))),
      // per-tensor zero point only is checked exactly; per-axis zero points are usually 0 (symmetric)
      zero: (i) => Number(qd[i]) === Number(zd && zd.length === 1 ? zd[0] : 0),
      numel: qd.length,
      shared: true,
    };
  }
  return undefined;
}

const rawBits = (t: Tensor) => t.data.length * dtypeBits(t.dtype);

/** The paper's stage bytes and the bytes as stored, for one weight layer. */
function layerRow(g: Graph, n: Node, s: Source, bitsOf: (value: string) => number): PackLayer {
  const mask = new Uint8Array(s.numel);
  let nonzero = 0;
  for (let i = 0; i < s.numel; i++)
    if (!s.zero(i)) {
      mask[i] = 1;
      nonzero++;
    }
  const dense = s.numel * 4;
  const sparse = nonzero < s.numel;
  const entries = sparse ? relativeEncode(mask, GAP_BITS).gaps.length : s.numel;
  const pruned = sparse ? Math.min(dense, Math.ceil((entries * (32 + GAP_BITS)) / 8)) : dense;
  const sideRaw = s.side.reduce((a, v) => a + Math.ceil(rawBits(g.constant(v)!) / 8), 0);
  const clustered = s.shared
    ? sideRaw + Math.ceil(((sparse ? entries : s.numel) * (s.codeBits + (sparse ? GAP_BITS : 0))) / 8)
    : pruned;
  const sideBits = s.side.reduce((a, v) => a + bitsOf(v), 0);
  const bits = bitsOf(s.stored) + sideBits;
  return {
    name: n.name || n.outputs[0]!,
    op: n.opType,
    params: s.numel,
    nonzero,
    stored: s.kind,
    dense_bytes: dense,
    pruned_bytes: pruned,
    clustered_bytes: clustered,
    coded_bytes: Math.ceil(bits / 8),
    side_bytes: Math.ceil(sideBits / 8),
    bits_per_weight: s.numel ? bits / s.numel : 0,
  };
}

/** Where the bytes of a .sqz went, per weight layer and in total (from readSqzInfo). */
export function packReport(model: Model, info: SqzInfo): PackReport {
  const g = model.graph;
  const coded = new Map(info.records.map((r) => [r.label, r]));
  // a tensor left in the structure counts at its raw size
  const bitsOf = (value: string) => coded.get(slotLabel(g, value))?.bits ?? rawBits(g.constant(value)!);
  const layers: PackLayer[] = [];
  for (const n of g.topoOrder()) {
    if (!WEIGHT_OPS.has(n.opType)) continue;
    const s = sourceOf(g, n.inputs[1] ?? '');
    if (s) layers.push(layerRow(g, n, s, bitsOf));
  }
  const sum = (rows: PackLayer[], k: keyof PackLayer) => rows.reduce((a, r) => a + (r[k] as number), 0);
  const params = sum(layers, 'params');
  const total: PackLayer = {
    name: 'total',
    op: '',
    params,
    nonzero: sum(layers, 'nonzero'),
    stored: '',
    dense_bytes: sum(layers, 'dense_bytes'),
    pruned_bytes: sum(layers, 'pruned_bytes'),
    clustered_bytes: sum(layers, 'clustered_bytes'),
    coded_bytes: sum(layers, 'coded_bytes'),
    side_bytes: sum(layers, 'side_bytes'),
    bits_per_weight: params ? (sum(layers, 'coded_bytes') * 8) / params : 0,
  };
  const by_storage: PackReport['by_storage'] = {};
  for (const kind of new Set(layers.map((l) => l.stored))) {
    const rows = layers.filter((l) => l.stored === kind);
    const p = sum(rows, 'params');
    const b = sum(rows, 'coded_bytes');
    by_storage[kind] = {
      layers: rows.length,
      params: p,
      coded_bytes: b,
      bits_per_weight: p ? (b * 8) / p : 0,
    };
  }
  const codings: Record<string, number> = {};
  for (const r of info.records) codings[r.coding] = (codings[r.coding] ?? 0) + 1;
  const rounded = info.records.filter((r) => r.mantissa !== undefined && r.mantissa < 23);
  return {
    version: info.version,
    file_bytes: info.fileBytes,
    graph_bytes: info.structureBytes,
    graph_share: info.structureBytes / info.fileBytes,
    graph_coding: info.structureMethod,
    layers,
    total,
    by_storage,
    codings,
    ...(rounded.length
      ? {
          rounded_scales: {
            tensors: rounded.length,
            elements: rounded.reduce((a, r) => a + r.numel, 0),
            mantissa_bits: [...new Set(rounded.map((r) => r.mantissa!))].sort((a, b) => a - b),
          },
        }
      : {}),
  };
}

/** The pack report of .sqz bytes, with the model they hold. */
export function sqzReport(bytes: Uint8Array, source = '.sqz file'): { model: Model; report: PackReport } {
  const { model, info } = readSqzInfo(bytes, source);
  return { model, report: packReport(model, info) };
}

/** The table `squish inspect FILE.sqz` prints after the usual one. */
export function packTable(s: PackReport): string {
  const rows = [...s.layers, s.total].map((l) => [
    l.name,
    l.op,
    l.stored,
    String(l.params),
    String(l.nonzero),
    String(l.dense_bytes),
    String(l.pruned_bytes),
    String(l.clustered_bytes),
    String(l.coded_bytes),
    l.bits_per_weight.toFixed(2),
  ]);
  const head = [
    'layer',
    'op',
    'stored',
    'params',
    'nonzero',
    'dense B',
    'pruned B',
    'clustered B',
    'coded B',
    'bits/weight',
  ];
  const w = head.map((h, c) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[c]!.length))));
  const line = (r: string[]) =>
    `${r.map((x, c) => (c >= 3 ? x.padStart(w[c]!) : x.slice(0, w[c]!).padEnd(w[c]!))).join('  ')}\n`;
  let out = `\n.sqz     weights by stage (dense fp32 → pruned → clustered/quantized → coded)\n`;
  out += line(head);
  for (const r of rows) out += line(r);
  for (const [kind, k] of Object.entries(s.by_storage))
    out += `${kind.padEnd(9)} ${k.layers} layers, ${k.params} params: ${k.bits_per_weight.toFixed(2)} bits/weight (codes + scales/codebook)\n`;
  out += `graph    ${s.graph_bytes} bytes (${s.graph_coding}; structure, names, metadata, record table, tensors not coded) = ${(100 * s.graph_share).toFixed(1)}% of the file (${s.file_bytes} bytes, version ${s.version})\n`;
  const c = Object.entries(s.codings).map(([k, v]) => `${v} ${k}`);
  if (c.length) out += `tensors  ${c.join(', ')}\n`;
  const r = s.rounded_scales;
  if (r)
    out += `scales   ${r.tensors} tensors (${r.elements} scales) keep ${r.mantissa_bits.join('/')} mantissa bits: every dequantized weight within 1/16 of its step\n`;
  return out;
}
