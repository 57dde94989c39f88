// Canonical Huffman decoding for the .sqz container: the code-length table as stored (symbol deltas
// + lengths) and a bit stream written MSB-first with codes assigned in (length, symbol) order, as
// compiler/codec/huffman.ts writes them. Bad tables or streams are UserErrors (corrupted data).

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

/** A sparse code-length table: varint count, then per symbol a varint gap from the previous symbol and a u8 length. */
export function readLengths(r: ByteReader, alphabet: number, what: string): Map<number, number> {
  const n = r.varint(`${what} table size`);
  if (n > alphabet) throw corrupted(`${what} table has ${n} symbols, more than its ${alphabet} possible`);
  const out = new Map<number, number>();
  let sym = -1;
  let kraft = 0;
  for (let i = 0; i < n; i++) {
    sym += r.varint(`${what} table`) + 1;
    const len = r.u8(`${what} table`);
    if (sym >= alphabet) throw corrupted(`${what} table names symbol ${sym} of ${alphabet}`);
    if (len < 1 || len > MAX_CODE_LENGTH) throw corrupted(`${what} table gives a code of ${len} bits`);
    kraft += 2 ** -len;
    out.set(sym, len);
  }
  if (kraft > 1 + 1e-12) throw corrupted(`${what} table is not a prefix code`);
  return out;
}

/** Decode `count` symbols from `bytes` (first `bitLength` bits) with the canonical code of `lengths`. */
export function huffmanDecode(
  bytes: Uint8Array,
  lengths: Map<number, number>,
  count: number,
  bitLength: number,
  what: string,
): Uint32Array {
  const limit = Math.min(bitLength, bytes.length * 8);
  if (count > limit) throw corrupted(`${what} stream of ${limit} bits cannot hold ${count} symbols`);
  let maxLen = 0;
  for (const l of lengths.values()) maxLen = Math.max(maxLen, l);
  const perLen = new Uint32Array(maxLen + 1);
  for (const l of lengths.values()) perLen[l]!++;
  const sorted = [...lengths.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map((e) => e[0]);
  const firstCode = new Float64Array(maxLen + 2);
  const firstIndex = new Uint32Array(maxLen + 2);
  let code = 0;
  let index = 0;
  for (let len = 1; len <= maxLen; len++) {
    firstCode[len] = code;
    firstIndex[len] = index;
    index += perLen[len]!;
    code = (code + perLen[len]!) * 2;
  }
  const out = new Uint32Array(count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    let c = 0;
    let len = 0;
    for (;;) {
      if (pos >= limit) throw corrupted(`${what} stream ends after ${i} of ${count} symbols`);
      c = c * 2 + ((bytes[pos >>> 3]! >>> (7 - (pos & 7))) & 1);
      pos++;
      len++;
      if (len > maxLen) throw corrupted(`${what} stream holds an invalid code at symbol ${i}`);
      const off = c - firstCode[len]!;
      if (off >= 0 && off < perLen[len]!) {
        out[i] = sorted[firstIndex[len]! + off]!;
        break;
      }
    }
  }
  return out;
}
