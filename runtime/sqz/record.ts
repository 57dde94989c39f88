// One coded tensor of a version 1 .sqz container (docs/sqz.md "Version 1"): shape, value mapping, optional
// codebook, dense or sparse layout (relative-index gaps, Huffman-coded), then the values.

import { UserError } from '../errors.ts';
import type { DType } from '../ir/dtype.ts';
import { allocData, type Tensor } from '../ir/tensor.ts';
import type { ByteReader } from './bytes.ts';
import { intAlphabet, LAYOUT, SQZ_MAX_ELEMENTS, STORAGE, unzigzag, VALUES, valueKinds } from './format.ts';
import { huffmanDecode, readLengths } from './huffman.ts';
import { relativeDecode } from './relindex.ts';

const HELP = 're-create it with `squish compile … -o model.sqz`';

function corrupted(what: string): UserError {
  return new UserError(`.sqz file is corrupted: ${what}`, HELP);
}

/** A Huffman stream as stored: code-length table, varint bit length, the bytes. */
function readStream(r: ByteReader, alphabet: number, count: number, what: string): Uint32Array {
  const lengths = readLengths(r, alphabet, what);
  const bits = r.varint(`${what} bit length`);
  const bytes = r.slice(Math.ceil(bits / 8), `${what} stream`);
  if (count === 0) return new Uint32Array(0);
  if (lengths.size === 0) throw corrupted(`${what} has ${count} symbols but no code`);
  return huffmanDecode(bytes, lengths, count, bits, what);
}

export function decodeRecord(
  r: ByteReader,
  dtype: DType,
  what: string,
): { tensor: Tensor; storage: number; values: string } {
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
  if (numel > SQZ_MAX_ELEMENTS) throw corrupted(`${what} declares ${numel} elements`);
  const kind = r.u8(`${what} value kind`);
  if (!valueKinds(dtype).includes(kind)) throw corrupted(`${what} (${dtype}) uses value kind ${kind}`);
  let codebook: Uint32Array | undefined;
  if (kind === VALUES.codebook) {
    const c = r.varint(`${what} codebook size`);
    if (c > r.left / 4) throw corrupted(`${what} codebook of ${c} entries runs past the data`);
    codebook = new Uint32Array(c);
    for (let i = 0; i < c; i++) codebook[i] = r.u32(`${what} codebook`);
  }
  const alphabet = codebook ? codebook.length + 1 : kind === VALUES.split32 ? 256 : intAlphabet(dtype);
  const layout = r.u8(`${what} layout`);
  let positions: Uint32Array | undefined;
  if (layout === LAYOUT.sparse) {
    const gapBits = r.u8(`${what} gap bits`);
    if (gapBits < 1 || gapBits > 16) throw corrupted(`${what} uses ${gapBits}-bit gaps`);
    const entries = r.varint(`${what} entry count`);
    if (entries > numel) throw corrupted(`${what} has ${entries} entries for ${numel} elements`);
    const gaps = readStream(r, 2 ** gapBits, entries, `${what} sparse index`);
    positions = relativeDecode(gaps, numel, what);
  } else if (layout !== LAYOUT.dense) throw corrupted(`${what} has layout ${layout}`);
  const count = positions ? positions.length : numel;
  let symbols: Uint32Array;
  if (kind === VALUES.raw32) {
    if (count > r.left / 4) throw corrupted(`${what} values run past the data`);
    symbols = new Uint32Array(count);
    for (let i = 0; i < count; i++) symbols[i] = r.u32(`${what} values`);
  } else {
    symbols = readStream(r, alphabet, count, `${what} values`);
    if (kind === VALUES.split32) {
      const low = r.slice(count * 3, `${what} low bytes`);
      for (let i = 0; i < count; i++)
        symbols[i] =
          ((symbols[i]! << 24) | low[3 * i]! | (low[3 * i + 1]! << 8) | (low[3 * i + 2]! << 16)) >>> 0;
    }
  }
  // scatter into the element bit patterns / integers
  const data = allocData(dtype, numel) as Exclude<
    ReturnType<typeof allocData>,
    Uint8Array[] | BigInt64Array | BigUint64Array
  >;
  const bits = dtype === 'float32' ? new Uint32Array(data.buffer, data.byteOffset, numel) : undefined;
  const put = (i: number, s: number) => {
    if (bits)
      bits[i] = codebook ? (s === 0 ? 0 : codebook[s - 1]!) : s; // raw32/split32: the bits
    else data[i] = kind === VALUES.zigzag ? unzigzag(s) : s;
  };
  if (positions) for (let i = 0; i < count; i++) put(positions[i]!, symbols[i]!);
  else for (let i = 0; i < count; i++) put(i, symbols[i]!);
  const values = Object.keys(VALUES).find((k) => VALUES[k as keyof typeof VALUES] === kind)!;
  return { tensor: { dtype, dims, data }, storage, values };
}
