// The record table of a version 2 .sqz (docs/sqz.md "Record table"; runtime/sqz/table.ts reads it):
// the model table, then per coded tensor its slot (as a gap), storage, shape, value mapping and how
// each of its parts is coded.

import type { Dims } from '../../runtime/ir/tensor.ts';
import { CODING, MODEL, VALUES } from '../../runtime/sqz/format.ts';
import type { ModelSpec } from '../../runtime/sqz/table.ts';
import type { ByteWriter } from './bytes.ts';
import type { Part, RecordPlan } from './parts.ts';

function writePart(w: ByteWriter, p: Part): void {
  w.u8(p.coding);
  if (p.coding === CODING.adaptive) w.varint(p.model);
}

function writeDims(w: ByteWriter, dims: Dims): void {
  w.varint(dims.length);
  for (const d of dims) w.varint(d);
}

export function writeTable(w: ByteWriter, models: ModelSpec[], records: RecordPlan[]): void {
  w.varint(models.length);
  for (const m of models) {
    if (m.kind === 'float') w.u8(MODEL.float);
    else w.u8(MODEL.int).u8(m.bits).u8(m.classes).u8(m.shift);
  }
  w.varint(records.length);
  let prev = -1;
  for (const r of records) {
    w.varint(r.index - prev - 1).u8(r.storage);
    prev = r.index;
    writeDims(w, r.tensor.dims);
    w.u8(r.values);
    if (r.values === VALUES.float) w.u8(r.part.mantissa);
    if (r.entries) {
      w.varint(r.entries.data.length);
      writePart(w, r.entries);
    }
    writePart(w, r.part);
  }
}
