// Sparse initializers (SparseTensorProto, COO): read into a dense Tensor (indices checked before
// anything is written) and written back from the dense tensor's nonzeros. An unchanged tensor is
// re-emitted exactly as read.

import { UserError } from '../errors.ts';
import { allocData, sizeOf, type Tensor, type TensorData } from '../ir/tensor.ts';
import { TENSOR_META } from '../ir/tensor-meta.ts';
import type { Msg } from './codec.ts';
import { checkedCount, decodeTensor, type ExternalReader, encodeTensor } from './tensor-proto.ts';

function isZero(d: TensorData, i: number): boolean {
  if (Array.isArray(d)) return d[i]!.length === 0;
  const v = d[i]!;
  // -0 and NaN payloads are kept: only all-zero bits count as zero
  if (d instanceof Float32Array || d instanceof Float64Array) return v === 0 && !Object.is(v, -0);
  return v === 0 || v === 0n;
}

function sameBits(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i]))
    return false;
  if (Array.isArray(a.data) || Array.isArray(b.data)) {
    const x = a.data as Uint8Array[];
    const y = b.data as Uint8Array[];
    return (
      x.length === y.length &&
      x.every((s, i) => s.length === y[i]!.length && s.every((c, k) => c === y[i]![k]))
    );
  }
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.length === y.length && x.every((c, i) => c === y[i]);
}

/** SparseTensorProto → [name, dense tensor]; the tensor remembers it was sparse. */
export function decodeSparse(msg: Msg, where: string, readExternal?: ExternalReader): [string, Tensor] {
  const vmsg = (msg.values as Msg | undefined) ?? {};
  const name = (vmsg.name as string | undefined) ?? '';
  const at = `${where} sparse tensor '${name}'`;
  const dims = (msg.dims as (number | bigint)[] | undefined) ?? [];
  const size = checkedCount(dims, at);
  const values = decodeTensor(vmsg, `${where} sparse`, readExternal);
  const nnz = sizeOf(values.dims);
  if (values.dims.length !== 1)
    throw new UserError(`${at}: values must be 1-D, got shape [${values.dims.join(', ')}]`);
  const imsg = msg.indices as Msg | undefined;
  if (!imsg) throw new UserError(`${at}: has no indices`);
  const indices = decodeTensor(imsg, `${where} sparse`, readExternal);
  if (indices.dtype !== 'int64') throw new UserError(`${at}: indices must be int64, got ${indices.dtype}`);
  const idx = indices.data as BigInt64Array;
  const rank = dims.length;
  const twoD = indices.dims.length === 2;
  if (
    !(
      (indices.dims.length === 1 && indices.dims[0] === nnz) ||
      (twoD && indices.dims[0] === nnz && indices.dims[1] === rank)
    )
  ) {
    throw new UserError(
      `${at}: indices shape [${indices.dims.join(', ')}] does not fit ${nnz} values of a rank-${rank} tensor`,
    );
  }
  const shape = dims.map(Number);
  const linear = new Array<number>(nnz);
  for (let k = 0; k < nnz; k++) {
    let lin = 0;
    if (twoD) {
      for (let r = 0; r < rank; r++) {
        const v = Number(idx[k * rank + r]!);
        if (v < 0 || v >= shape[r]!)
          throw new UserError(`${at}: index ${v} out of range for dim ${r} of size ${shape[r]}`);
        lin = lin * shape[r]! + v;
      }
    } else {
      lin = Number(idx[k]!);
      if (lin < 0 || lin >= size)
        throw new UserError(`${at}: index ${lin} out of range for ${size} elements`);
    }
    linear[k] = lin;
  }
  const data = allocData(values.dtype, size);
  const src = values.data;
  for (let k = 0; k < nnz; k++) (data as unknown[])[linear[k]!] = (src as unknown[])[k];
  const t: Tensor = { dtype: values.dtype, dims: shape, data };
  TENSOR_META.set(t, { storage: 'sparse', sparseRaw: msg });
  return [name, t];
}

/** Dense tensor → SparseTensorProto (linear int64 indices of the nonzero elements). */
export function encodeSparse(t: Tensor, name: string): Msg {
  const meta = TENSOR_META.get(t);
  const raw = meta?.sparseRaw as Msg | undefined;
  if (raw && ((raw.values as Msg | undefined)?.name ?? '') === name) {
    try {
      if (sameBits(decodeSparse(raw, 'export')[1], t)) return raw;
    } catch {
      // fall through to a fresh encoding
    }
  }
  const n = sizeOf(t.dims);
  const nz: number[] = [];
  for (let i = 0; i < n; i++) if (!isZero(t.data, i)) nz.push(i);
  const vals = allocData(t.dtype, nz.length);
  nz.forEach((i, k) => {
    (vals as unknown[])[k] = (t.data as unknown[])[i];
  });
  const values = encodeTensor({ dtype: t.dtype, dims: [nz.length], data: vals }, name);
  const indices = encodeTensor(
    { dtype: 'int64', dims: [nz.length], data: BigInt64Array.from(nz, (i) => BigInt(i)) },
    undefined,
    'raw',
  );
  return { values, indices, dims: [...t.dims] };
}
