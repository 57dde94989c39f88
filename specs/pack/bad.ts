// Hand-made damaged .sqz containers with valid checksums, for the bad-input specs: a version 1 file
// whose sparse index stream decodes past its tensor, and version 2 files whose payload or structure
// was changed and resealed (length and CRC-32 made right again).
import { deflateSync, inflateSync } from 'fflate';
import { huffmanEncode, huffmanLengths } from '../../compiler/codec/huffman.ts';
import { ByteWriter } from '../../compiler/pack/bytes.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { ByteReader } from '../../runtime/sqz/bytes.ts';
import { decodeStructure } from '../../runtime/sqz/cm.ts';
import { crc32 } from '../../runtime/sqz/crc32.ts';
import { LAYOUT, SQZ_MAGIC, STORAGE, STRUCTURE, VALUES } from '../../runtime/sqz/format.ts';
import { RangeDecoder } from '../../runtime/sqz/range.ts';
import { sqzPayload } from '../../runtime/sqz/read.ts';

/** A container of `version` around `payload`, with the right length and checksum. */
export function seal(version: number, payload: Uint8Array): Uint8Array {
  const head = new ByteWriter()
    .bytes(SQZ_MAGIC)
    .u16(version)
    .u16(0)
    .u32(payload.length)
    .bytes(payload)
    .finish();
  return new ByteWriter().bytes(head).u32(crc32(head)).finish();
}

/** A version 1 Huffman stream as stored: table (varint count, varint gaps, u8 lengths), bit length, bytes. */
function v1Stream(w: ByteWriter, symbols: number[], alphabet: number): void {
  const freqs = new Float64Array(alphabet);
  for (const s of symbols) freqs[s]!++;
  const lengths = huffmanLengths(freqs);
  const used = [...lengths.keys()].filter((s) => lengths[s]);
  w.varint(used.length);
  let prev = -1;
  for (const s of used) {
    w.varint(s - prev - 1).u8(lengths[s]!);
    prev = s;
  }
  const { bytes, bitLength } = huffmanEncode(symbols, lengths);
  w.varint(bitLength).bytes(bytes);
}

/** Version 1: the model's uint8 initializer `name` as a 10-element record with gaps 5 and 7 (→ position 13). */
export function pastTensorSqz(model: Model, name: string): Uint8Array {
  const g = model.graph;
  const names = [...g.initializers.keys()];
  const t = g.initializers.get(name)!;
  g.initializers.set(name, { dtype: 'uint8', dims: [0], data: new Uint8Array(0) });
  const graph = exportModel(model);
  g.initializers.set(name, t);
  const deflated = deflateSync(graph);
  const w = new ByteWriter().varint(graph.length).varint(deflated.length).bytes(deflated).varint(1);
  w.varint(names.indexOf(name)).u8(STORAGE.raw).varint(1).varint(10).u8(VALUES.uint);
  w.u8(LAYOUT.sparse).u8(4).varint(2);
  v1Stream(w, [5, 7], 16);
  v1Stream(w, [1, 1], 256);
  return seal(1, w.finish());
}

/** Version 2 with its payload edited (then resealed). */
export function editPayload(sqz: Uint8Array, edit: (payload: Uint8Array) => Uint8Array): Uint8Array {
  return seal(2, edit(sqzPayload(sqz).payload.slice()));
}

/** Version 2 with its structure (graph + record table) edited, then stored uncoded and resealed. */
export function editStructure(sqz: Uint8Array, edit: (structure: Uint8Array) => Uint8Array): Uint8Array {
  const r = new ByteReader(sqzPayload(sqz).payload);
  const size = r.varint();
  const method = r.u8();
  const coded = r.slice(r.varint());
  const structure =
    method === STRUCTURE.mixing
      ? decodeStructure(new RangeDecoder(coded), size)
      : method === STRUCTURE.deflate
        ? inflateSync(coded)
        : coded;
  const changed = edit(structure.slice());
  const values = r.slice(r.left);
  return seal(
    2,
    new ByteWriter()
      .varint(changed.length)
      .u8(STRUCTURE.stored)
      .varint(changed.length)
      .bytes(changed)
      .bytes(values)
      .finish(),
  );
}
