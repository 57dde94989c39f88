// Reading a .sqz container (docs/sqz.md) back into a Model: header, version and CRC-32 checks,
// the deflated ONNX graph, then each coded initializer (sparse relative indices + Huffman-coded
// symbols). Any damage is one UserError; nothing is returned half-decoded.

import { inflateSync } from 'fflate';
import { UserError } from '../errors.ts';
import type { Model } from '../ir/model.ts';
import { TENSOR_META } from '../ir/tensor-meta.ts';
import { importModel } from '../onnx/import.ts';
import { ByteReader, truncated } from './bytes.ts';
import { crc32 } from './crc32.ts';
import { SQZ_HEADER, SQZ_MAGIC, SQZ_VERSION, STORAGE } from './format.ts';
import { decodeRecord } from './record.ts';
import { tensorSlots } from './slots.ts';

const HELP = 're-create it with `squish compile … -o model.sqz`';

/** Whether the bytes start with the .sqz magic. */
export function isSqz(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && SQZ_MAGIC.every((b, i) => bytes[i] === b);
}

/** The container's checked payload (header, version, length and checksum verified). */
export function sqzPayload(
  bytes: Uint8Array,
  source = '.sqz file',
): { version: number; payload: Uint8Array } {
  if (!isSqz(bytes)) throw new UserError(`${source} is not a .sqz file (no \\x89SQZ magic)`, HELP);
  if (bytes.length < SQZ_HEADER) throw truncated('the header');
  const r = new ByteReader(bytes, 'the header');
  r.pos = 4;
  const version = r.u16();
  if (version !== SQZ_VERSION) {
    throw new UserError(
      `${source} has .sqz container version ${version}; this squish reads version ${SQZ_VERSION}`,
      'use the squish version that wrote it, or re-create it with this one',
    );
  }
  r.u16(); // flags, reserved (0)
  const len = r.u32();
  const end = SQZ_HEADER + len;
  if (bytes.length < end + 4) {
    throw new UserError(`${source} is truncated: ${bytes.length} bytes, the header says ${end + 4}`, HELP);
  }
  if (bytes.length > end + 4) {
    throw new UserError(
      `${source} is corrupted: ${bytes.length - end - 4} stray bytes after its checksum`,
      HELP,
    );
  }
  const want = new ByteReader(bytes.subarray(end), 'the checksum').u32();
  const got = crc32(bytes.subarray(0, end));
  if (want !== got) {
    throw new UserError(
      `${source} is corrupted: CRC-32 ${got.toString(16).padStart(8, '0')} does not match the stored ${want.toString(16).padStart(8, '0')}`,
      HELP,
    );
  }
  return { version, payload: bytes.subarray(SQZ_HEADER, end) };
}

/** Decode a .sqz container into the model it holds (initializers restored, bit-exact). */
export function readSqz(
  bytes: Uint8Array,
  source = '.sqz file',
  onRecord?: (label: string, bytes: number) => void,
): Model {
  const { payload } = sqzPayload(bytes, source);
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
  const model = importModel(graphBytes, { source });
  const slots = tensorSlots(model.graph);
  const count = r.varint('record count');
  if (count > slots.length) {
    throw new UserError(`${source} is corrupted: ${count} coded tensors for ${slots.length} tensors`, HELP);
  }
  const seen = new Set<number>();
  for (let k = 0; k < count; k++) {
    const index = r.varint('tensor index');
    const slot = slots[index];
    if (slot === undefined || seen.has(index)) {
      throw new UserError(`${source} is corrupted: coded tensor ${k} names tensor #${index}`, HELP);
    }
    seen.add(index);
    const placeholder = slot.get();
    const start = r.pos;
    const { tensor, storage } = decodeRecord(r, placeholder.dtype, `${source} tensor ${slot.label}`);
    const meta = TENSOR_META.get(placeholder);
    TENSOR_META.set(tensor, { ...(meta ?? {}), storage: storage === STORAGE.typed ? 'typed' : 'raw' });
    slot.set(tensor);
    onRecord?.(slot.label, r.pos - start);
  }
  model.graph.touch();
  if (r.left !== 0)
    throw new UserError(`${source} is corrupted: ${r.left} unread bytes after its tensors`, HELP);
  return model;
}

/** A model from bytes that are either ONNX or .sqz (sniffed by the magic). */
export function importAnyModel(bytes: Uint8Array, opts: Parameters<typeof importModel>[1] = {}): Model {
  return isSqz(bytes) ? readSqz(bytes, opts.source) : importModel(bytes, opts);
}
