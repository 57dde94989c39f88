// Reading the payload of a version 1 .sqz container (docs/sqz.md "Version 1"): the deflated ONNX
// graph, then one self-contained record per coded tensor (Huffman-coded symbols, dense or sparse).

import { inflateSync } from 'fflate';
import { UserError } from '../errors.ts';
import type { Model } from '../ir/model.ts';
import { importModel } from '../onnx/import.ts';
import { ByteReader } from './bytes.ts';
import type { SqzRecordInfo } from './info.ts';
import { decodeRecord } from './record.ts';
import { restoreSlot, tensorSlots } from './slots.ts';

const HELP = 're-create it with `squish compile … -o model.sqz`';

export function readV1(
  payload: Uint8Array,
  source: string,
): { model: Model; graphBytes: number; structureBytes: number; records: SqzRecordInfo[] } {
  const r = new ByteReader(payload, 'the payload');
  const rawLen = r.varint('graph size');
  const packed = r.slice(r.varint('graph size'), 'the compressed graph');
  if (rawLen > 2 ** 31) throw new UserError(`${source} is corrupted: graph of ${rawLen} bytes`, HELP);
  let graphBytes: Uint8Array;
  try {
    graphBytes = inflateSync(packed, { out: new Uint8Array(rawLen) });
  } catch (e) {
    throw new UserError(`${source} is corrupted: its graph does not inflate (${(e as Error).message})`, HELP);
  }
  if (graphBytes.length !== rawLen) {
    throw new UserError(
      `${source} is corrupted: its graph inflates to ${graphBytes.length} bytes, not ${rawLen}`,
      HELP,
    );
  }
  const model = importModel(graphBytes, { source, validate: false }); // tensors are placeholders yet
  const slots = tensorSlots(model.graph);
  const count = r.varint('record count');
  if (count > slots.length) {
    throw new UserError(`${source} is corrupted: ${count} coded tensors for ${slots.length} tensors`, HELP);
  }
  const seen = new Set<number>();
  const records: SqzRecordInfo[] = [];
  for (let k = 0; k < count; k++) {
    const index = r.varint('tensor index');
    const slot = slots[index];
    if (slot === undefined || seen.has(index)) {
      throw new UserError(`${source} is corrupted: coded tensor ${k} names tensor #${index}`, HELP);
    }
    seen.add(index);
    const start = r.pos;
    const { tensor, storage, values } = decodeRecord(r, slot.get().dtype, `${source} tensor ${slot.label}`);
    restoreSlot(slot, tensor, storage);
    records.push({
      label: slot.label,
      dtype: tensor.dtype,
      numel: tensor.data.length,
      values,
      coding: values === 'raw32' ? 'raw' : 'huffman',
      bits: (r.pos - start) * 8,
    });
  }
  if (r.left !== 0)
    throw new UserError(`${source} is corrupted: ${r.left} unread bytes after its tensors`, HELP);
  return { model, graphBytes: rawLen, structureBytes: packed.length, records };
}
