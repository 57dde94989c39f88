// The record table of a version 2 .sqz container (docs/sqz.md "Record table"): which tensors are
// coded, their shapes, how their elements map to symbols and how each part is coded. It follows the
// ONNX graph in the structure; parsing checks everything before any tensor is allocated.

import { UserError } from '../errors.ts';
import { type DType, dtypeByteLength } from '../ir/dtype.ts';
import type { ByteReader } from './bytes.ts';
import {
  CODING,
  intAlphabet,
  MODEL,
  SQZ_MAX_ELEMENTS,
  STORAGE,
  symbolBits,
  VALUES,
  valueKindsV2,
} from './format.ts';
import type { IntModelSpec } from './models.ts';
import type { TensorSlot } from './slots.ts';

/** Most entries a codebook record may have. */
export const MAX_CODEBOOK = 4096;
/** Most bytes the decoded tensors of one container may take together (one protobuf's limit). */
const MAX_DECODED_BYTES = 2 ** 31 - 1;
/**
 * Most elements per byte of value stream (+ 64): no coding spends less than 7.0e-4 bits on an
 * element (the adaptive models' most certain probability, 65504/65536), so a real container stays
 * under 8 / 7.0e-4 ≈ 11,400; a damaged one cannot make the reader allocate or loop without bound.
 */
export const MAX_ELEMENTS_PER_BYTE = 16384;

export type ModelSpec = ({ kind: 'int' } & IntModelSpec) | { kind: 'float' };

/** One part of a record: a run of symbols (int) or floats, and how it is coded. */
export interface PartSpec {
  coding: number;
  /** CODING.adaptive: index into the model table. */
  model: number;
}

export interface RecordSpec {
  slot: TensorSlot;
  dtype: DType;
  storage: number;
  dims: number[];
  numel: number;
  values: number;
  /** VALUES.float: mantissa bits kept. */
  mantissa: number;
  /** VALUES.codebook: number of entries and how they are coded (as exact floats). */
  entries: number;
  entriesPart?: PartSpec;
  /** The elements: symbols (uint, zigzag, codebook indices) or floats. */
  part: PartSpec;
  /** Symbols of the elements' alphabet (floats: 0). */
  alphabet: number;
}

function corrupted(what: string): UserError {
  return new UserError(
    `.sqz file is corrupted: ${what}`,
    're-create it with `squish compile … -o model.sqz`',
  );
}

function readModel(r: ByteReader, i: number): ModelSpec {
  const kind = r.u8('model kind');
  if (kind === MODEL.float) return { kind: 'float' };
  if (kind !== MODEL.int) throw corrupted(`model ${i} has kind ${kind}`);
  const bits = r.u8('model bits');
  const classes = r.u8('model classes');
  const shift = r.u8('model shift');
  if (bits < 1 || bits > 16 || classes < 1 || classes > 8 || shift > 24)
    throw corrupted(`model ${i} has ${bits} bits, ${classes} classes, shift ${shift}`);
  return { kind: 'int', bits, classes, shift };
}

function readPart(r: ByteReader, models: ModelSpec[], float: boolean, bits: number, what: string): PartSpec {
  const coding = r.u8(`${what} coding`);
  if (coding === CODING.raw || (coding === CODING.static && !float)) return { coding, model: -1 };
  if (coding !== CODING.adaptive) throw corrupted(`${what} has coding ${coding}`);
  const model = r.varint(`${what} model`);
  const m = models[model];
  if (!m) throw corrupted(`${what} names model ${model} of ${models.length}`);
  if (float ? m.kind !== 'float' : m.kind !== 'int' || m.bits !== bits)
    throw corrupted(`${what} names model ${model}, which codes other values`);
  return { coding, model };
}

/** Parse the model table and the record table (checked: slots, kinds, sizes, models). */
export function readTable(
  r: ByteReader,
  slots: TensorSlot[],
  streamBytes: number,
  source: string,
): { models: ModelSpec[]; records: RecordSpec[] } {
  const maxElements = MAX_ELEMENTS_PER_BYTE * (streamBytes + 64);
  let elements = 0;
  const nModels = r.varint('model count');
  if (nModels > r.left) throw corrupted(`${source} declares ${nModels} models`);
  const models = Array.from({ length: nModels }, (_, i) => readModel(r, i));
  const count = r.varint('record count');
  if (count > slots.length)
    throw corrupted(`${source} has ${count} coded tensors for ${slots.length} tensors`);
  const records: RecordSpec[] = [];
  let index = -1;
  let decoded = 0;
  for (let k = 0; k < count; k++) {
    index += r.varint('tensor index') + 1;
    const slot = slots[index];
    if (!slot) throw corrupted(`${source} coded tensor ${k} names tensor #${index} of ${slots.length}`);
    const what = `${source} tensor ${slot.label}`;
    const dtype = slot.get().dtype;
    const storage = r.u8(`${what} storage`);
    if (storage !== STORAGE.raw && storage !== STORAGE.typed)
      throw corrupted(`${what} has storage kind ${storage}`);
    const rank = r.varint(`${what} rank`);
    if (rank > 32) throw corrupted(`${what} has rank ${rank}`);
    const dims: number[] = [];
    let numel = 1;
    for (let i = 0; i < rank; i++) {
      const d = r.varint(`${what} shape`);
      dims.push(d);
      numel *= d;
    }
    elements += numel;
    if (numel > SQZ_MAX_ELEMENTS || elements > maxElements)
      throw corrupted(
        `${what} declares ${numel} elements, more than ${streamBytes} bytes of values can hold`,
      );
    decoded += dtypeByteLength(dtype, numel);
    if (decoded > MAX_DECODED_BYTES)
      throw corrupted(`${source} declares more than ${MAX_DECODED_BYTES} bytes of tensors`);
    const values = r.u8(`${what} value kind`);
    if (!valueKindsV2(dtype).includes(values))
      throw corrupted(`${what} (${dtype}) uses value kind ${values}`);
    const rec: RecordSpec = {
      slot,
      dtype,
      storage,
      dims,
      numel,
      values,
      mantissa: 23,
      entries: 0,
      part: { coding: 0, model: -1 },
      alphabet: 0,
    };
    if (values === VALUES.float) {
      rec.mantissa = r.u8(`${what} mantissa bits`);
      if (rec.mantissa > 23) throw corrupted(`${what} keeps ${rec.mantissa} mantissa bits`);
      rec.part = readPart(r, models, true, 0, what);
    } else if (values === VALUES.codebook) {
      rec.entries = r.varint(`${what} codebook size`);
      if (rec.entries < 1 || rec.entries > MAX_CODEBOOK)
        throw corrupted(`${what} has a codebook of ${rec.entries}`);
      rec.entriesPart = readPart(r, models, true, 0, `${what} codebook`);
      rec.alphabet = rec.entries + 1;
      rec.part = readPart(r, models, false, symbolBits(rec.alphabet), what);
    } else {
      rec.alphabet = intAlphabet(dtype);
      rec.part = readPart(r, models, false, symbolBits(rec.alphabet), what);
    }
    records.push(rec);
  }
  if (r.left !== 0) throw corrupted(`${source} has ${r.left} unread bytes after its record table`);
  return { models, records };
}
