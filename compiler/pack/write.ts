// Writing a .sqz container, version 2 (docs/sqz.md): the ONNX model with every coded tensor replaced
// by an empty placeholder, followed by the record table, is the structure (context-mixed or
// deflated, whichever is smaller); every coded tensor then goes, in table order, into one
// range-coded value stream; a CRC-32 covers everything. The model is not changed.

import { deflateSync } from 'fflate';
import type { Model } from '../../runtime/ir/model.ts';
import { allocData, type Tensor } from '../../runtime/ir/tensor.ts';
import { TENSOR_META } from '../../runtime/ir/tensor-meta.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { StructureModel } from '../../runtime/sqz/cm.ts';
import { crc32 } from '../../runtime/sqz/crc32.ts';
import { SQZ_MAGIC, SQZ_VERSION, STRUCTURE } from '../../runtime/sqz/format.ts';
import { tensorSlots } from '../../runtime/sqz/slots.ts';
import { MAX_ELEMENTS_PER_BYTE } from '../../runtime/sqz/table.ts';
import { MAX_STRUCTURE_RATIO } from '../../runtime/sqz/v2.ts';
import { RangeEncoder } from '../codec/range.ts';
import { ByteWriter } from './bytes.ts';
import { chooseCodings, type Forced } from './choose.ts';
import { PartWriter } from './encode.ts';
import { type Part, planRecords, type RecordPlan } from './parts.ts';
import { writeTable } from './table.ts';

export interface PackOptions {
  /** Keep every quantization scale exact (default: scales keep the mantissa bits they need). */
  exactScales?: boolean;
  /** Code every part one way (floats: static → raw) instead of the cheapest, to compare codings. */
  coding?: Forced;
}

export interface PackResult {
  bytes: Uint8Array;
  /** Coded tensors in slot order, with their value mapping and coding as chosen. */
  records: RecordPlan[];
  /** The ONNX graph with placeholders (before coding) and the coded structure (graph + table). */
  graphBytes: number;
  structureBytes: number;
}

/** The ONNX bytes of `model` with the planned tensors as empty placeholders (the model is restored). */
function graphWithPlaceholders(model: Model, records: RecordPlan[]): Uint8Array {
  const slots = tensorSlots(model.graph);
  try {
    for (const { index, tensor: t } of records) {
      const placeholder: Tensor = { dtype: t.dtype, dims: [0], data: allocData(t.dtype, 0) };
      const meta = TENSOR_META.get(t);
      if (meta)
        TENSOR_META.set(placeholder, { ...meta, storage: meta.storage === 'typed' ? 'typed' : 'raw' });
      slots[index]!.set(placeholder);
    }
    return exportModel(model);
  } finally {
    for (const { index, tensor } of records) slots[index]!.set(tensor);
  }
}

/** The structure as stored: context-mixed when that is smaller than deflate (and within bounds). */
function codeStructure(structure: Uint8Array): { method: number; bytes: Uint8Array } {
  const deflated = deflateSync(structure, { level: 9 });
  const enc = new RangeEncoder();
  const cm = new StructureModel(structure.length);
  for (let i = 0; i < structure.length; i++) cm.code(enc, structure[i]!);
  const mixed = enc.finish();
  const fits = (b: Uint8Array) => structure.length <= MAX_STRUCTURE_RATIO * b.length + 64;
  if (mixed.length < deflated.length && fits(mixed)) return { method: STRUCTURE.mixing, bytes: mixed };
  if (deflated.length < structure.length && fits(deflated))
    return { method: STRUCTURE.deflate, bytes: deflated };
  return { method: STRUCTURE.stored, bytes: structure };
}

/** Pack a model as .sqz (readSqz gives back the same graph, tensors bit-identical but for rounded scales). */
export function packSqz(model: Model, options: PackOptions = {}): PackResult {
  const records = planRecords(model, options.exactScales);
  const parts: Part[] = records.flatMap((r) => (r.entries ? [r.entries, r.part] : [r.part]));
  const models = chooseCodings(parts, options.coding);
  const graph = graphWithPlaceholders(model, records);
  const structure = new ByteWriter().varint(graph.length).bytes(graph);
  writeTable(structure, models, records);
  const raw = structure.finish();
  const coded = codeStructure(raw);
  const payload = new ByteWriter()
    .varint(raw.length)
    .u8(coded.method)
    .varint(coded.bytes.length)
    .bytes(coded.bytes);
  if (records.length) {
    const enc = new RangeEncoder();
    const writer = new PartWriter(enc, models);
    for (const p of parts) writer.write(p);
    const stream = enc.finish();
    const elements = records.reduce((a, r) => a + r.tensor.data.length, 0);
    if (elements > MAX_ELEMENTS_PER_BYTE * (stream.length + 64))
      throw new Error(`pack: ${elements} elements in ${stream.length} bytes, past what the reader accepts`);
    payload.bytes(stream);
  }
  const body = payload.finish();
  const head = new ByteWriter()
    .bytes(SQZ_MAGIC)
    .u16(SQZ_VERSION)
    .u16(0)
    .u32(body.length)
    .bytes(body)
    .finish();
  return {
    bytes: new ByteWriter().bytes(head).u32(crc32(head)).finish(),
    records,
    graphBytes: graph.length,
    structureBytes: coded.bytes.length,
  };
}
