// TensorProto ↔ Tensor for every ONNX dtype: raw_data (little-endian, int4/int2 packed low bits
// first), the typed *_data fields, and external data (through a host callback). Sizes are checked
// before anything is allocated. How a tensor was stored is remembered so export writes it back alike.

import { UserError } from '../errors.ts';
import { type DType, dtypeByteLength, dtypeCode, dtypeFromCode } from '../ir/dtype.ts';
import { packedBits, packSubByte, unpackSubByte } from '../ir/packing.ts';
import { allocData, type Tensor, type TensorData } from '../ir/tensor.ts';
import { TENSOR_META, type TensorMeta } from '../ir/tensor-meta.ts';
import type { Msg } from './codec.ts';

export type ExternalReader = (req: {
  location: string;
  offset: number;
  length: number;
  tensor: string;
}) => Uint8Array;

export { TENSOR_META, type TensorMeta } from '../ir/tensor-meta.ts';

/** The largest tensor squish will allocate (elements); anything larger is refused as absurd. */
export const MAX_ELEMENTS = 2 ** 32;

const KNOWN = new Set([
  'dims',
  'data_type',
  'name',
  'raw_data',
  'float_data',
  'int32_data',
  'string_data',
  'int64_data',
  'double_data',
  'uint64_data',
  'doc_string',
  'external_data',
  'data_location',
]);

function fail(where: string, what: string, help?: string): UserError {
  return new UserError(`${where}: ${what}`, help);
}

/** The typed field a dtype uses when not in raw_data. */
function typedField(dtype: DType): string {
  switch (dtype) {
    case 'float32':
    case 'complex64':
      return 'float_data';
    case 'float64':
    case 'complex128':
      return 'double_data';
    case 'int64':
      return 'int64_data';
    case 'uint32':
    case 'uint64':
      return 'uint64_data';
    case 'string':
      return 'string_data';
    default:
      return 'int32_data';
  }
}

/** Element count of `dims`, validated (non-negative integers, not absurd). */
export function checkedCount(dims: readonly (number | bigint)[], where: string): number {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number' || d < 0 || !Number.isInteger(d)) {
      throw fail(where, `invalid dimension ${String(d)} in shape [${dims.join(', ')}]`);
    }
    n *= d;
  }
  if (n > MAX_ELEMENTS) {
    throw fail(
      where,
      `shape [${dims.join(', ')}] has ${n} elements, more than squish accepts (${MAX_ELEMENTS})`,
    );
  }
  return n;
}

/** Decode raw little-endian bytes into the layout of tensor.ts. */
export function fromRawBytes(dtype: DType, bytes: Uint8Array, count: number): TensorData {
  if (packedBits(dtype)) return unpackSubByte(dtype, bytes, count);
  const data = allocData(dtype, count);
  const view = data as Exclude<TensorData, Uint8Array[]>;
  new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(bytes.subarray(0, view.byteLength));
  return data;
}

/** Encode a tensor's data as raw little-endian bytes (packed for sub-byte types). */
export function toRawBytes(t: Tensor): Uint8Array {
  if (t.dtype === 'string') throw new Error('string tensors have no raw_data form');
  if (packedBits(t.dtype)) return packSubByte(t.dtype, t.data as Int8Array | Uint8Array);
  const v = t.data as Exclude<TensorData, Uint8Array[]>;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
}

export function decodeTensor(msg: Msg, where: string, readExternal?: ExternalReader): Tensor {
  const name = (msg.name as string | undefined) ?? '';
  const at = `${where}${name ? ` tensor '${name}'` : ' tensor'}`;
  const code = (msg.data_type as number | undefined) ?? 0;
  const dtype = dtypeFromCode(code);
  if (!dtype) {
    throw fail(
      at,
      `unknown data_type ${code}`,
      'ONNX DataType numbers are 1–26 (see onnx.proto); is the file from a newer ONNX?',
    );
  }
  const dims = (msg.dims as (number | bigint)[] | undefined) ?? [];
  const count = checkedCount(dims, at);
  const need = dtypeByteLength(dtype, count);
  const meta: TensorMeta = { storage: 'typed' };
  if (msg.doc_string !== undefined) meta.docString = msg.doc_string as string;
  if (msg.name !== undefined) meta.name = name;
  const extra: Msg = {};
  for (const k of Object.keys(msg)) if (!KNOWN.has(k)) extra[k] = msg[k];
  if (Object.keys(extra).length) meta.extra = extra;
  let data: TensorData;
  if (msg.data_location === 1) {
    meta.storage = 'external';
    meta.external = (msg.external_data as { key: string; value: string }[] | undefined) ?? [];
    if (dtype === 'string') throw fail(at, 'string tensors cannot use external data');
    const get = (k: string) => meta.external!.find((e) => e.key === k)?.value;
    const location = get('location');
    if (!location) throw fail(at, 'external data without a location');
    const offset = Number(get('offset') ?? 0);
    const length = get('length') === undefined ? need : Number(get('length'));
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw fail(at, `external data offset ${get('offset')} / length ${get('length')} is not a valid size`);
    }
    if (length < need)
      throw fail(at, `external data holds ${length} bytes but shape [${dims.join(', ')}] needs ${need}`);
    if (!readExternal) {
      throw fail(
        at,
        `data is stored in external file '${location}'`,
        'load the model from a file so its external data can be read',
      );
    }
    const bytes = readExternal({ location, offset, length, tensor: name });
    if (bytes.length < need)
      throw fail(at, `external data gave ${bytes.length} bytes but shape [${dims.join(', ')}] needs ${need}`);
    data = fromRawBytes(dtype, bytes, count);
  } else if (msg.raw_data !== undefined) {
    meta.storage = 'raw';
    const raw = msg.raw_data as Uint8Array;
    if (dtype === 'string') throw fail(at, 'string tensors cannot use raw_data');
    if (raw.length < need) {
      throw fail(
        at,
        `data is shorter than its shape: ${raw.length} bytes, shape [${dims.join(', ')}] needs ${need}`,
      );
    }
    if (raw.length > need)
      throw fail(
        at,
        `data is longer than its shape: ${raw.length} bytes, shape [${dims.join(', ')}] needs ${need}`,
      );
    data = fromRawBytes(dtype, raw, count);
  } else {
    data = decodeTyped(dtype, msg, count, at, dims);
  }
  const t: Tensor = { dtype, dims: dims.map(Number), data };
  TENSOR_META.set(t, meta);
  return t;
}

function decodeTyped(
  dtype: DType,
  msg: Msg,
  count: number,
  at: string,
  dims: readonly (number | bigint)[],
): TensorData {
  const field = typedField(dtype);
  const src = (msg[field] ?? []) as ArrayLike<number | bigint> | Uint8Array[];
  const bits = packedBits(dtype);
  const per = dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
  const entries = src.length;
  const needEntries = bits ? Math.ceil(count / (8 / bits)) : count * per;
  if (entries < needEntries) {
    throw fail(
      at,
      `data is shorter than its shape: ${entries} values in ${field}, shape [${dims.join(', ')}] needs ${needEntries}`,
    );
  }
  if (entries > needEntries) {
    throw fail(
      at,
      `data is longer than its shape: ${entries} values in ${field}, shape [${dims.join(', ')}] needs ${needEntries}`,
    );
  }
  if (dtype === 'string') return (src as Uint8Array[]).slice();
  if (bits) {
    // each int32 entry holds 8/bits packed values, low bits first
    const bytes = Uint8Array.from(src as ArrayLike<number>, (x) => Number(x) & 0xff);
    return unpackSubByte(dtype, bytes, count);
  }
  const data = allocData(dtype, count) as Exclude<TensorData, Uint8Array[]>;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const s = src as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) data[i] = BigInt(s[i]!) as never;
  } else if (src instanceof Float32Array || src instanceof Float64Array) {
    (data as Float32Array).set(src);
  } else {
    const s = src as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) (data as Int32Array)[i] = Number(s[i]!);
  }
  return data;
}

/** Encode a tensor as a TensorProto message (storage as remembered, raw_data by default). */
export function encodeTensor(t: Tensor, name: string | undefined, storage?: 'raw' | 'typed'): Msg {
  const meta = TENSOR_META.get(t);
  const msg: Msg = { ...(meta?.extra ?? {}) };
  msg.dims = [...t.dims];
  msg.data_type = dtypeCode(t.dtype);
  const n = name ?? meta?.name;
  if (n !== undefined) msg.name = n;
  if (meta?.docString !== undefined) msg.doc_string = meta.docString;
  const how = storage ?? (meta?.storage === 'typed' || t.dtype === 'string' ? 'typed' : 'raw');
  if (how === 'raw' && t.dtype !== 'string') {
    msg.raw_data = toRawBytes(t);
    return msg;
  }
  const field = typedField(t.dtype);
  const bits = packedBits(t.dtype);
  const d = t.data;
  if (t.dtype === 'string') msg[field] = (d as Uint8Array[]).slice();
  else if (bits) msg[field] = Array.from(packSubByte(t.dtype, d as Int8Array | Uint8Array));
  else if (field === 'float_data') msg[field] = Float32Array.from(d as Float32Array);
  else if (field === 'double_data') msg[field] = Float64Array.from(d as Float64Array);
  else if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    msg[field] = Array.from(d, (x) => (x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : x));
  } else msg[field] = Array.from(d as ArrayLike<number>);
  return msg;
}
