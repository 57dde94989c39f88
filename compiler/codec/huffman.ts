// Canonical Huffman coding: optimal code lengths (optionally length-limited by package-merge),
// canonical codes, bit-stream encode and table-free canonical decode.
//
// API: huffmanLengths(freqs, maxLength = 24) → Uint8Array (0 for symbols with frequency 0; a lone
//   symbol gets length 1); optimal among prefix codes, and among those no longer than maxLength when
//   plain Huffman would exceed it (package-merge, Larmore–Hirschberg).
//   canonicalCodes(lengths) → Uint32Array (codes assigned in (length, symbol) order, DEFLATE-style).
//   huffmanEncode(symbols, lengths) → {bytes, bitLength}: codes written MSB-first, last byte 0-padded.
//   huffmanDecode(bytes, lengths, count, bitLength?) → Uint32Array of `count` symbols; a stream that
//   ends early or holds a code no symbol has throws a UserError (corrupted or truncated data).

import { UserError } from '../../runtime/errors.ts';
import { huffmanDecode as decodeCanonical } from '../../runtime/sqz/huffman.ts';

interface Node {
  w: number;
  sym: number;
  left?: Node;
  right?: Node;
}

function plainLengths(freqs: ArrayLike<number>, used: number[]): Uint8Array | null {
  const out = new Uint8Array(freqs.length);
  if (used.length === 1) {
    out[used[0]!] = 1;
    return out;
  }
  // Two-queue Huffman on leaves sorted by weight: internal nodes come out in non-decreasing weight.
  const leaves = used.slice().sort((a, b) => freqs[a]! - freqs[b]! || a - b);
  const n = leaves.length;
  const parent = new Int32Array(2 * n - 1).fill(-1);
  const weight = new Float64Array(2 * n - 1);
  for (let i = 0; i < n; i++) weight[i] = freqs[leaves[i]!]!;
  let li = 0;
  let qi = n;
  let next = n;
  const take = (): number => {
    if (li < n && (qi >= next || weight[li]! <= weight[qi]!)) return li++;
    return qi++;
  };
  while (next < 2 * n - 1) {
    const a = take();
    const b = take();
    weight[next] = weight[a]! + weight[b]!;
    parent[a] = next;
    parent[b] = next;
    next++;
  }
  const depth = new Int32Array(2 * n - 1);
  for (let i = 2 * n - 3; i >= 0; i--) depth[i] = depth[parent[i]!]! + 1;
  for (let i = 0; i < n; i++) {
    if (depth[i]! > 255) return null;
    out[leaves[i]!] = depth[i]!;
  }
  return out;
}

/** Package-merge: optimal lengths with every length ≤ L (needs 2^L ≥ number of used symbols). */
function limitedLengths(freqs: ArrayLike<number>, used: number[], L: number): Uint8Array {
  const leaves: Node[] = used
    .map((s) => ({ w: freqs[s]!, sym: s }))
    .sort((a, b) => a.w - b.w || a.sym - b.sym);
  const n = leaves.length;
  let list = leaves.slice();
  for (let level = 1; level < L; level++) {
    const packages: Node[] = [];
    for (let i = 0; i + 1 < list.length; i += 2) {
      packages.push({ w: list[i]!.w + list[i + 1]!.w, sym: -1, left: list[i]!, right: list[i + 1]! });
    }
    // Merge leaves and packages by weight (leaves first on ties).
    const merged: Node[] = [];
    let a = 0;
    let b = 0;
    while (a < n || b < packages.length) {
      if (b >= packages.length || (a < n && leaves[a]!.w <= packages[b]!.w)) merged.push(leaves[a++]!);
      else merged.push(packages[b++]!);
    }
    list = merged;
  }
  const out = new Uint8Array(freqs.length);
  const stack: Node[] = list.slice(0, 2 * n - 2);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.sym >= 0) out[node.sym]!++;
    else stack.push(node.left!, node.right!);
  }
  return out;
}

export function huffmanLengths(freqs: ArrayLike<number>, maxLength = 24): Uint8Array {
  const used: number[] = [];
  for (let s = 0; s < freqs.length; s++) {
    const f = freqs[s]!;
    if (!(f >= 0) || !Number.isFinite(f)) throw new RangeError(`huffman: frequency of symbol ${s} is ${f}`);
    if (f > 0) used.push(s);
  }
  if (used.length === 0) return new Uint8Array(freqs.length);
  if (2 ** maxLength < used.length) {
    throw new RangeError(`huffman: ${used.length} symbols cannot fit codes of at most ${maxLength} bits`);
  }
  const plain = plainLengths(freqs, used);
  if (plain !== null && Math.max(...plain) <= maxLength) return plain;
  return limitedLengths(freqs, used, maxLength);
}

export function canonicalCodes(lengths: ArrayLike<number>): Uint32Array {
  const maxLen = Math.max(0, ...Array.from(lengths));
  const count = new Uint32Array(maxLen + 1);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]! > 0) count[lengths[s]!]!++;
  const next = new Float64Array(maxLen + 1);
  let code = 0;
  for (let len = 1; len <= maxLen; len++) {
    next[len] = code;
    code = (code + count[len]!) * 2;
  }
  const codes = new Uint32Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l > 0) codes[s] = next[l]!++;
  }
  return codes;
}

export function huffmanEncode(
  symbols: ArrayLike<number>,
  lengths: ArrayLike<number>,
): { bytes: Uint8Array; bitLength: number } {
  const codes = canonicalCodes(lengths);
  let total = 0;
  for (let i = 0; i < symbols.length; i++) {
    const l = lengths[symbols[i]!];
    if (!l) throw new RangeError(`huffman: symbol ${symbols[i]} at ${i} has no code`);
    total += l;
  }
  const bytes = new Uint8Array(Math.ceil(total / 8));
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i]!;
    const l = lengths[s]!;
    const c = codes[s]!;
    for (let b = l - 1; b >= 0; b--) {
      if ((c / 2 ** b) & 1) bytes[pos >>> 3]! |= 0x80 >>> (pos & 7);
      pos++;
    }
  }
  return { bytes, bitLength: total };
}

/** Decode with the runtime's canonical decoder (the .sqz reader's; one implementation). */
export function huffmanDecode(
  bytes: Uint8Array,
  lengths: ArrayLike<number>,
  count: number,
  bitLength = bytes.length * 8,
): Uint32Array {
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new UserError(`Huffman stream cannot hold ${count} symbols`, 'the data is corrupted');
  }
  const table = new Map<number, number>();
  for (let s = 0; s < lengths.length; s++) if (lengths[s]! > 0) table.set(s, lengths[s]!);
  return decodeCanonical(bytes, table, count, bitLength, 'Huffman');
}
