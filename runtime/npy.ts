// NumPy .npy (format 1.0–3.0) ↔ Tensor, on bytes: no file I/O, so it runs in a browser too.

import { UserError } from './errors.ts';
import type { DType } from './ir/dtype.ts';
import { sizeOf, type Tensor, type TensorData } from './ir/tensor.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, DType> = {
  f4: 'float32',
  f8: 'float64',
  f2: 'float16',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
};
const DTYPE_TO_DESCR: Partial<Record<DType, string>> = Object.fromEntries(
  Object.entries(DESCR_TO_DTYPE).map(([k, v]) => [v, k]),
);

function bytesPerElement(descr: string): number {
  return Number(descr.slice(1));
}

/** Parse a .npy file. `where` names the file in error messages. */
export function parseNpy(bytes: Uint8Array, where = 'input'): Tensor {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new UserError(
      `${where}: not a .npy file (missing the \\x93NUMPY magic)`,
      'save arrays with numpy.save',
    );
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw new UserError(`${where}: truncated .npy header`);
  const header = new TextDecoder().decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new UserError(`${where}: malformed .npy header: ${header.trim()}`);
  }
  if (fortran === 'True')
    throw new UserError(
      `${where}: Fortran-order arrays are not supported`,
      'save with np.ascontiguousarray(a)',
    );
  const endian = descr[0];
  const code = descr.slice(1);
  const dtype = DESCR_TO_DTYPE[code];
  if (!dtype)
    throw new UserError(
      `${where}: unsupported .npy dtype '${descr}'`,
      `use one of ${Object.keys(DESCR_TO_DTYPE).join(', ')}`,
    );
  if (endian === '>' && bytesPerElement(code) > 1)
    throw new UserError(`${where}: big-endian arrays are not supported`);
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0))
    throw new UserError(`${where}: bad shape (${shapeText})`);
  const count = sizeOf(dims);
  const need = count * bytesPerElement(code);
  if (dataStart + need > bytes.length) {
    throw new UserError(
      `${where}: data holds ${bytes.length - dataStart} bytes, shape [${dims}] needs ${need}`,
    );
  }
  const raw = bytes.slice(dataStart, dataStart + need); // copy: aligned, owned
  return { dtype, dims, data: viewAs(dtype, raw.buffer) };
}

function viewAs(dtype: DType, buf: ArrayBuffer): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'float16':
    case 'uint16':
      return new Uint16Array(buf);
    case 'int8':
      return new Int8Array(buf);
    case 'int16':
      return new Int16Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'uint32':
      return new Uint32Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'uint64':
      return new BigUint64Array(buf);
    default:
      return new Uint8Array(buf);
  }
}

/** NumPy has no 4- or 2-bit types: they are written unpacked, one value a byte (int8 / uint8). */
const WIDENED: Partial<Record<DType, string>> = { int4: 'i1', int2: 'i1', uint4: 'u1', uint2: 'u1' };

/** Serialize a tensor as .npy version 1.0. */
export function serializeNpy(t: Tensor): Uint8Array {
  const code = DTYPE_TO_DESCR[t.dtype] ?? WIDENED[t.dtype];
  if (!code || Array.isArray(t.data)) throw new UserError(`cannot write a ${t.dtype} tensor as .npy`);
  const descr = (bytesPerElement(code) === 1 ? '|' : '<') + code;
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const data = t.data as Exclude<TensorData, Uint8Array[]>;
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}
