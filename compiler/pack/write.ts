// Writing a .sqz container (docs/sqz.md): the ONNX model with every coded initializer replaced by
// an empty placeholder, deflated (fflate, pure JS), then one record per coded initializer, and a
// CRC-32 over everything. The model is not changed (placeholders are swapped back).

import { deflateSync } from 'fflate';
import type { Model } from '../../runtime/ir/model.ts';
import { allocData, type Tensor } from '../../runtime/ir/tensor.ts';
import { TENSOR_META } from '../../runtime/ir/tensor-meta.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { crc32 } from '../../runtime/sqz/crc32.ts';
import { SQZ_MAGIC, SQZ_VERSION, STORAGE } from '../../runtime/sqz/format.ts';
import { tensorSlots } from '../../runtime/sqz/slots.ts';
import { ByteWriter } from './bytes.ts';
import { encodeRecord, type RecordStats } from './encode.ts';

export interface PackResult {
  bytes: Uint8Array;
  /** Coded tensors by initializer name (or `Constant node 'x'`): how each was stored, its record size. */
  records: Map<string, RecordStats>;
  /** The graph (ONNX without the coded tensors' data) before and after deflate. */
  graphBytes: number;
  graphDeflated: number;
}

/** Pack a model as .sqz (lossless: readSqz gives back the same graph and bit-identical tensors). */
export function packSqz(model: Model): PackResult {
  const slots = tensorSlots(model.graph);
  const originals = new Map(slots.map((s, i) => [i, s.get()]));
  const records: { index: number; name: string; bytes: Uint8Array; stats: RecordStats }[] = [];
  slots.forEach((slot, index) => {
    const t = slot.get();
    const meta = TENSOR_META.get(t);
    if (meta?.storage === 'sparse') return; // stays a sparse_initializer in the graph
    const storage = meta?.storage === 'typed' ? STORAGE.typed : STORAGE.raw;
    const rec = encodeRecord(t, storage);
    if (!rec) return;
    records.push({ index, name: slot.label, ...rec });
  });
  let graph: Uint8Array;
  try {
    for (const { index } of records) {
      const t = slots[index]!.get();
      const placeholder: Tensor = { dtype: t.dtype, dims: [0], data: allocData(t.dtype, 0) };
      const meta = TENSOR_META.get(t);
      if (meta)
        TENSOR_META.set(placeholder, { ...meta, storage: meta.storage === 'typed' ? 'typed' : 'raw' });
      slots[index]!.set(placeholder);
    }
    graph = exportModel(model);
  } finally {
    for (const [index, t] of originals) slots[index]!.set(t);
  }
  const { bytes: file, deflated } = assembleSqz(graph, records);
  return {
    bytes: file,
    records: new Map(records.map((r) => [r.name, r.stats])),
    graphBytes: graph.length,
    graphDeflated: deflated,
  };
}

/** Record bytes by slot label, as packStages takes them. */
export function recordBytes(p: PackResult): Map<string, number> {
  return new Map([...p.records].map(([k, v]) => [k, v.bytes]));
}

/** The container around an ONNX graph (placeholders for coded tensors) and records (index + record bytes). */
export function assembleSqz(
  graph: Uint8Array,
  records: { index: number; bytes: Uint8Array }[],
): { bytes: Uint8Array; deflated: number } {
  const deflated = deflateSync(graph, { level: 9 });
  const body = new ByteWriter();
  body.varint(graph.length).varint(deflated.length).bytes(deflated);
  body.varint(records.length);
  for (const r of records) body.varint(r.index).bytes(r.bytes);
  const payload = body.finish();
  const out = new ByteWriter();
  out.bytes(SQZ_MAGIC).u16(SQZ_VERSION).u16(0).u32(payload.length).bytes(payload);
  const head = out.finish();
  return { bytes: new ByteWriter().bytes(head).u32(crc32(head)).finish(), deflated: deflated.length };
}
