// Context mixing for the structure of a .sqz version 2 container (docs/sqz.md "Structure"): the ONNX
// graph (names, attributes, metadata) and the record table are bytes full of repeated names and
// field tags. Each bit is predicted by order-0 … order-6 contexts (each through an adaptive
// probability and through a small bit history mapped to a learned probability) and a match model
// (the longest earlier repeat of the last bytes), the predictions mixed by online logistic
// regression, as in lpaq (Mahoney). Integer arithmetic only, so every JavaScript engine decodes the
// same bits.

import { Probs } from './models.ts';
import type { BitCoder } from './range.ts';

/** lpaq's squash: 4096 / (1 + e^(−d/256)) by interpolation in an integer table. */
const SQUASH_T = [
  1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
  3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094,
];
function squash(d: number): number {
  if (d > 2047) return 4095;
  if (d < -2047) return 1;
  const w = d & 127;
  const i = (d >> 7) + 16;
  return (SQUASH_T[i]! * (128 - w) + SQUASH_T[i + 1]! * w + 64) >> 7;
}
/** The inverse of squash over 12-bit probabilities. */
const STRETCH = (() => {
  const t = new Int16Array(4096);
  let pi = 0;
  for (let x = -2047; x <= 2047; x++) {
    const v = squash(x);
    for (let i = pi; i <= v; i++) t[i] = x;
    pi = v + 1;
  }
  for (let i = pi; i < 4096; i++) t[i] = 2047;
  return t;
})();

/** Context orders hashed into tables (order 0 is the partial byte alone). */
const ORDERS = [1, 2, 3, 4, 6];
const INPUTS = 2 * ORDERS.length + 3; // two per order, order 0, match, bias
const MATCH_MIN = 5;

const ORDER0 = ORDERS.length;
const MATCH = ORDERS.length + 1;
const BIAS = ORDERS.length + 2;
const HISTORY = ORDERS.length + 3;
const WEIGHT_LIMIT = 1 << 22;

/** A bit history after `bit`: its count + 1 (at most 15), the other count halved when over 2. */
function nextHistory(h: number, bit: number): number {
  let n0 = h >> 4;
  let n1 = h & 15;
  if (bit) {
    if (n1 < 15) n1++;
    if (n0 > 2) n0 = (n0 >> 1) + 1;
  } else {
    if (n0 < 15) n0++;
    if (n1 > 2) n1 = (n1 >> 1) + 1;
  }
  return (n0 << 4) | n1;
}

export class StructureModel {
  private readonly buf: Uint8Array;
  private pos = 0;
  private readonly bits: number;
  /** Per order and hashed context: an adaptive probability … */
  private readonly direct: Probs;
  /** … and a bit history (counts n0, n1 of 0…15 in the two nibbles) mapped to a learned probability. */
  private readonly histories: Uint8Array;
  private readonly historyProbs = new Probs(ORDERS.length * 256);
  private readonly hashes = new Int32Array(ORDERS.length);
  private readonly order0 = new Probs(256);
  private readonly matchProbs = new Probs(64);
  private readonly matchTable: Int32Array;
  private matchPtr = 0;
  private matchLen = 0;
  private readonly weights: Int32Array;
  private readonly x = new Int32Array(INPUTS);
  private readonly idx = new Int32Array(ORDERS.length);

  /** A model for `size` bytes (tables sized to it, so small graphs decode with little memory). */
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.bits = Math.max(12, Math.min(22, Math.ceil(Math.log2(Math.max(1, size) * 4))));
    this.direct = new Probs(ORDERS.length << this.bits);
    this.histories = new Uint8Array(ORDERS.length << this.bits);
    this.matchTable = new Int32Array(1 << Math.max(10, this.bits - 2));
    this.weights = new Int32Array(256 * INPUTS).fill(1 << 14);
    this.x[BIAS] = 256;
  }

  /** Code one byte (decoding: `byte` is ignored and the decoded byte returned). */
  code(c: BitCoder, byte: number): number {
    const { x, idx, weights, direct, histories, historyProbs, hashes, bits } = this;
    const dp = direct.p;
    const hp = historyProbs.p;
    const shift = 32 - bits;
    const expected = this.matchLen > 0 ? this.buf[this.matchPtr]! | 256 : 0;
    const matchCtx = Math.min(this.matchLen, 31) * 2;
    let c0 = 1;
    for (let k = 7; k >= 0; k--) {
      const mixed = Math.imul(c0, 0x2c9277b5);
      for (let j = 0; j < ORDERS.length; j++) {
        const i = (j << bits) + (Math.imul(hashes[j]! ^ mixed, 0x9e3779b1) >>> shift);
        idx[j] = i;
        x[j] = STRETCH[4095 - (dp[i]! >>> 4)]!;
        x[HISTORY + j] = STRETCH[4095 - (hp[(j << 8) + histories[i]!]! >>> 4)]!;
      }
      x[ORDER0] = STRETCH[4095 - (this.order0.p[c0]! >>> 4)]!;
      // the match model: the bit the earlier repeat predicts, as sure as matches of this length were
      let mctx = -1;
      if (expected && expected >>> (k + 1) === c0) {
        mctx = matchCtx + ((expected >>> k) & 1);
        x[MATCH] = STRETCH[4095 - (this.matchProbs.p[mctx]! >>> 4)]!;
      } else x[MATCH] = 0;
      const w = c0 * INPUTS;
      let dot = 0;
      for (let j = 0; j < INPUTS; j++) dot += x[j]! * weights[w + j]!;
      let d = Math.floor(dot / 65536);
      if (d > 2047) d = 2047;
      else if (d < -2047) d = -2047;
      const p1 = squash(d);
      const b = c.bit((4096 - p1) * 16, (byte >>> k) & 1);
      const err = (b << 12) - p1;
      for (let j = 0; j < INPUTS; j++) {
        let v = weights[w + j]! + Math.floor((x[j]! * err) / 1024);
        if (v > WEIGHT_LIMIT) v = WEIGHT_LIMIT;
        else if (v < -WEIGHT_LIMIT) v = -WEIGHT_LIMIT;
        weights[w + j] = v;
      }
      for (let j = 0; j < ORDERS.length; j++) {
        const i = idx[j]!;
        direct.update(i, b);
        const h = histories[i]!;
        historyProbs.update((j << 8) + h, b);
        histories[i] = nextHistory(h, b);
      }
      this.order0.update(c0, b);
      if (mctx >= 0) this.matchProbs.update(mctx, b);
      c0 = c0 * 2 + b;
    }
    const got = c0 & 255;
    this.push(got);
    return got;
  }

  private push(byte: number): void {
    const buf = this.buf;
    buf[this.pos++] = byte;
    const pos = this.pos;
    for (let j = 0; j < ORDERS.length; j++) {
      let h = ORDERS[j]! * 0x3c6ef372;
      for (let k = 1; k <= ORDERS[j]! && k <= pos; k++) h = Math.imul(h ^ buf[pos - k]!, 0x01000193) + k;
      this.hashes[j] = h;
    }
    if (this.matchLen > 0 && buf[this.matchPtr] === byte) {
      this.matchLen++;
      this.matchPtr++;
    } else this.matchLen = 0;
    if (pos >= MATCH_MIN) {
      let h = 0;
      for (let k = 1; k <= MATCH_MIN; k++) h = Math.imul(h ^ buf[pos - k]!, 0x2f0b3c5) + 1;
      const slot = (h >>> 0) % this.matchTable.length;
      if (this.matchLen === 0) {
        const cand = this.matchTable[slot]!;
        if (cand > 0) {
          let len = 0;
          while (len < 32 && len < cand && buf[cand - 1 - len] === buf[pos - 1 - len]) len++;
          if (len >= MATCH_MIN) {
            this.matchLen = len;
            this.matchPtr = cand;
          }
        }
      }
      this.matchTable[slot] = pos;
    }
  }
}

/** Decode `size` bytes of structure. */
export function decodeStructure(c: BitCoder, size: number): Uint8Array {
  const m = new StructureModel(size);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = m.code(c, 0);
  return out;
}
