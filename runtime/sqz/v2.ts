// Reading the payload of a version 2 .sqz container (docs/sqz.md): the structure (ONNX graph with
// placeholders + record table; stored, deflated or context-mixed), then one range-coded value
// stream holding every coded tensor in table order, through adaptive models shared across tensors.

import { inflateSync } from 'fflate';
import { UserError } from '../errors.ts';
import type { Model } from '../ir/model.ts';
import { allocData, type TensorData } from '../ir/tensor.ts';
import { importModel } from '../onnx/import.ts';
import { ByteReader } from './bytes.ts';
import { decodeStructure } from './cm.ts';
import { CODING, STRUCTURE, symbolBits, unzigzag, VALUES } from './format.ts';
import { CanonicalDecoder, lengthTable } from './huffman.ts';
import type { SqzInfo, SqzRecordInfo } from './info.ts';
import { codeGamma, FloatModel, IntModel } from './models.ts';
import { MeteredDecoder, RangeDecoder } from './range.ts';
import { restoreSlot, tensorSlots } from './slots.ts';
import { type ModelSpec, type PartSpec, type RecordSpec, readTable } from './table.ts';

const HELP = 're-create it with `squish compile … -o model.sqz`';
/** A structure may not claim to be more than this many times its coded size (deflate's own limit). */
export const MAX_STRUCTURE_RATIO = 1032;

function corrupted(source: string, what: string): UserError {
  return new UserError(`${source} is corrupted: ${what}`, HELP);
}

const METHODS = ['stored', 'deflate', 'mixing'] as const;

function readStructure(r: ByteReader, source: string): { bytes: Uint8Array; method: number; coded: number } {
  const size = r.varint('structure size');
  const method = r.u8('structure coding');
  const coded = r.slice(r.varint('structure size'), 'the structure');
  if (size > MAX_STRUCTURE_RATIO * coded.length + 64 || size > 2 ** 31 - 1)
    throw corrupted(source, `a structure of ${coded.length} bytes claims ${size}`);
  let bytes: Uint8Array;
  if (method === STRUCTURE.stored) bytes = coded;
  else if (method === STRUCTURE.deflate) {
    try {
      bytes = inflateSync(coded, { out: new Uint8Array(size) });
    } catch (e) {
      throw corrupted(source, `its structure does not inflate (${(e as Error).message})`);
    }
  } else if (method === STRUCTURE.mixing) {
    const d = new RangeDecoder(coded);
    bytes = decodeStructure(d, size);
    if (d.overrun || d.position !== coded.length)
      throw corrupted(source, 'its structure does not decode to its size');
  } else throw corrupted(source, `structure coding ${method}`);
  if (bytes.length !== size)
    throw corrupted(source, `its structure decodes to ${bytes.length} bytes, not ${size}`);
  return { bytes, method, coded: coded.length };
}

/** The adaptive models of the model table, in their current state. */
type Coder = IntModel | FloatModel;

/** A part of floats with m mantissa bits kept, as bit patterns into `out`. */
function decodeFloats(d: RangeDecoder, part: PartSpec, models: Coder[], out: Uint32Array, m: number): void {
  const n = out.length;
  if (part.coding === CODING.raw) {
    for (let i = 0; i < n; i++)
      out[i] = ((d.direct(8) * 2 ** (1 + m) + d.direct(1 + m)) * 2 ** (23 - m)) >>> 0;
    return;
  }
  const model = models[part.model] as FloatModel;
  for (let i = 0; i < n; i++) out[i] = model.code(d, 0, m);
}

/** A part of symbols of `alphabet` into `out` (every one checked to be inside it). */
function decodeSymbols(
  d: RangeDecoder,
  part: PartSpec,
  models: Coder[],
  out: Uint32Array,
  alphabet: number,
  what: string,
): void {
  const n = out.length;
  if (part.coding === CODING.raw) {
    const bits = symbolBits(alphabet);
    for (let i = 0; i < n; i++) out[i] = d.direct(bits);
  } else if (part.coding === CODING.static) {
    if (n === 0) return;
    const used = codeGamma(d, 0, `${what} table size`);
    const lengths = lengthTable(
      used,
      () => codeGamma(d, 0, `${what} table`),
      () => d.direct(5) + 1,
      alphabet,
      what,
    );
    if (lengths.size === 0) throw corrupted(what, `${n} symbols but no code`);
    const code = new CanonicalDecoder(lengths);
    const bit = () => d.direct(1);
    for (let i = 0; i < n; i++) out[i] = code.symbol(bit, what, i, n);
  } else {
    const model = models[part.model] as IntModel;
    for (let i = 0; i < n; i++) out[i] = model.code(d, 0);
  }
  for (let i = 0; i < n; i++)
    if (out[i]! >= alphabet) throw corrupted(what, `symbol ${out[i]} at ${i} is outside its ${alphabet}`);
}

function newModel(spec: ModelSpec): Coder {
  return spec.kind === 'int' ? new IntModel(spec) : new FloatModel();
}

function decodeRecord(d: RangeDecoder, rec: RecordSpec, models: Coder[], what: string): TensorData {
  const n = rec.numel;
  const data = allocData(rec.dtype, n) as Exclude<TensorData, Uint8Array[] | BigInt64Array | BigUint64Array>;
  if (rec.values === VALUES.float) {
    const bits = new Uint32Array(data.buffer, data.byteOffset, n);
    decodeFloats(d, rec.part, models, bits, rec.mantissa);
    return data;
  }
  const symbols = new Uint32Array(n);
  if (rec.values === VALUES.codebook) {
    const book = new Uint32Array(rec.entries);
    decodeFloats(d, rec.entriesPart!, models, book, 23);
    decodeSymbols(d, rec.part, models, symbols, rec.alphabet, what);
    const bits = new Uint32Array(data.buffer, data.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = symbols[i] ? book[symbols[i]! - 1]! : 0;
    return data;
  }
  decodeSymbols(d, rec.part, models, symbols, rec.alphabet, what);
  if (rec.values === VALUES.zigzag) for (let i = 0; i < n; i++) data[i] = unzigzag(symbols[i]!);
  else data.set(symbols);
  return data;
}

/** Decode a version 2 payload; `meter` also measures each record's bits (for inspect and reports). */
export function readV2(
  payload: Uint8Array,
  source: string,
  meter = false,
): { model: Model; info: Omit<SqzInfo, 'version' | 'fileBytes'> } {
  const r = new ByteReader(payload, 'the payload');
  const structure = readStructure(r, source);
  const sr = new ByteReader(structure.bytes, 'the structure');
  const graphBytes = sr.slice(sr.varint('graph size'), 'the graph');
  const model = importModel(graphBytes, { source, validate: false }); // tensors are placeholders yet
  const slots = tensorSlots(model.graph);
  const { models: specs, records } = readTable(sr, slots, payload.length - r.pos, source);
  const models = specs.map(newModel);
  const info: SqzRecordInfo[] = [];
  if (records.length) {
    const d = meter ? new MeteredDecoder(payload, r.pos) : new RangeDecoder(payload, r.pos);
    for (const rec of records) {
      const what = `${source} tensor ${rec.slot.label}`;
      const before = d instanceof MeteredDecoder ? d.bits : 0;
      const data = decodeRecord(d, rec, models, what);
      if (d.overrun) throw corrupted(source, `its value stream ends inside tensor ${rec.slot.label}`);
      restoreSlot(rec.slot, { dtype: rec.dtype, dims: rec.dims, data }, rec.storage);
      info.push({
        label: rec.slot.label,
        dtype: rec.dtype,
        numel: rec.numel,
        values: Object.keys(VALUES).find((k) => VALUES[k as keyof typeof VALUES] === rec.values)!,
        coding: codingName(rec),
        bits: d instanceof MeteredDecoder ? d.bits - before : 0,
        ...(rec.values === VALUES.float ? { mantissa: rec.mantissa } : {}),
      });
    }
    if (d.position !== payload.length)
      throw corrupted(source, `${payload.length - d.position} unread bytes after its tensors`);
  } else if (r.left) throw corrupted(source, `${r.left} unread bytes after its structure`);
  model.graph.touch();
  return {
    model,
    info: {
      structureBytes: structure.coded,
      structureMethod: METHODS[structure.method]!,
      graphBytes: graphBytes.length,
      records: info,
    },
  };
}

const CODINGS = ['raw', 'static', 'adaptive'];
function codingName(rec: RecordSpec): string {
  const main = CODINGS[rec.part.coding]!;
  return rec.entriesPart ? `${CODINGS[rec.entriesPart.coding]} + ${main}` : main;
}
