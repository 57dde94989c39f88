// Canonical Huffman decoding for the .sqz container: code-length tables (symbol gaps + lengths) and
// codes assigned in (length, symbol) order, as in DEFLATE and as compiler/codec/huffman.ts writes
// them. Version 1 stores the table in bytes and the codes MSB-first in a byte stream; version 2
// codes both as equiprobable bits of its range coder. Bad tables or streams are UserErrors.

import { UserError } from '../errors.ts';
import type { ByteReader } from './bytes.ts';

/** Longest code squish writes (compiler/codec huffmanLengths' default limit). */
export const MAX_CODE_LENGTH = 24;

function corrupted(what: string): UserError {
  return new UserError(
    `.sqz file is corrupted: ${what}`,
    're-create it with `squish compile … -o model.sqz`',
  );
}

/**
 * A code-length table of `count` used symbols, each given by its gap from the previous used symbol
 * (minus one) and its length; checked to be a prefix code over `alphabet` symbols.
 */
export function lengthTable(
  count: number,
  gap: () => number,
  length: () => number,
  alphabet: number,
  what: string,
): Map<number, number> {
  if (count > alphabet)
    throw corrupted(`${what} table has ${count} symbols, more than its ${alphabet} possible`);
  const out = new Map<number, number>();
  let sym = -1;
  let kraft = 0;
  for (let i = 0; i < count; i++) {
    sym += gap() + 1;
    const len = length();
    if (sym >= alphabet) throw corrupted(`${what} table names symbol ${sym} of ${alphabet}`);
    if (len < 1 || len > MAX_CODE_LENGTH) throw corrupted(`${what} table gives a code of ${len} bits`);
    kraft += 2 ** -len;
    out.set(sym, len);
  }
  if (kraft > 1 + 1e-12) throw corrupted(`${what} table is not a prefix code`);
  return out;
}

/** Version 1: varint count, then per symbol a varint gap and a u8 length. */
export function readLengths(r: ByteReader, alphabet: number, what: string): Map<number, number> {
  const n = r.varint(`${what} table size`);
  return lengthTable(
    n,
    () => r.varint(`${what} table`),
    () => r.u8(`${what} table`),
    alphabet,
    what,
  );
}

/** Canonical decoding of one symbol at a time from a source of bits. */
export class CanonicalDecoder {
  private readonly maxLen: number;
  private readonly perLen: Uint32Array;
  private readonly firstCode: Float64Array;
  private readonly firstIndex: Uint32Array;
  private readonly sorted: number[];

  constructor(lengths: Map<number, number>) {
    let maxLen = 0;
    for (const l of lengths.values()) maxLen = Math.max(maxLen, l);
    this.maxLen = maxLen;
    this.perLen = new Uint32Array(maxLen + 1);
    for (const l of lengths.values()) this.perLen[l]!++;
    this.sorted = [...lengths.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map((e) => e[0]);
    this.firstCode = new Float64Array(maxLen + 2);
    this.firstIndex = new Uint32Array(maxLen + 2);
    let code = 0;
    let index = 0;
    for (let len = 1; len <= maxLen; len++) {
      this.firstCode[len] = code;
      this.firstIndex[len] = index;
      index += this.perLen[len]!;
      code = (code + this.perLen[len]!) * 2;
    }
  }

  /** The next symbol; `bit()` gives the next bit, or −1 when the data has ended. */
  symbol(bit: () => number, what: string, i: number, count: number): number {
    let c = 0;
    for (let len = 1; len <= this.maxLen; len++) {
      const b = bit();
      if (b < 0) throw corrupted(`${what} stream ends after ${i} of ${count} symbols`);
      c = c * 2 + b;
      const off = c - this.firstCode[len]!;
      if (off >= 0 && off < this.perLen[len]!) return this.sorted[this.firstIndex[len]! + off]!;
    }
    throw corrupted(`${what} stream holds an invalid code at symbol ${i}`);
  }
}

/** Version 1: decode `count` symbols from `bytes` (first `bitLength` bits, MSB first). */
export function huffmanDecode(
  bytes: Uint8Array,
  lengths: Map<number, number>,
  count: number,
  bitLength: number,
  what: string,
): Uint32Array {
  const limit = Math.min(bitLength, bytes.length * 8);
  if (count > limit) throw corrupted(`${what} stream of ${limit} bits cannot hold ${count} symbols`);
  const code = new CanonicalDecoder(lengths);
  let pos = 0;
  const bit = () => {
    if (pos >= limit) return -1;
    const b = (bytes[pos >>> 3]! >>> (7 - (pos & 7))) & 1;
    pos++;
    return b;
  };
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = code.symbol(bit, what, i, count);
  return out;
}
