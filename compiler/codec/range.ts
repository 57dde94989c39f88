// Binary range encoding for .sqz version 2 (the decoder is runtime/sqz/range.ts): LZMA's carry-less
// range encoder with 16-bit probabilities, and a cost meter with the same interface that sums the
// information content (−log2 p) instead of writing, so the writer can price a coding before it
// commits to it.

import { type BitCoder, bitPrice, PROB_BITS, RANGE_TOP } from '../../runtime/sqz/range.ts';

const TWO32 = 2 ** 32;

export class RangeEncoder implements BitCoder {
  private low = 0;
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  private out = new Uint8Array(1 << 12);
  private n = 0;
  /** The first byte the LZMA scheme emits is always 0; it is not stored. */
  private first = true;

  /** Bytes written so far, including those still held back for a carry. */
  get length(): number {
    return this.n + this.cacheSize + 4;
  }

  private emit(b: number): void {
    if (this.first) {
      this.first = false;
      if (b !== 0) throw new Error('range encoder: the leading byte is not zero');
      return;
    }
    if (this.n === this.out.length) {
      const grown = new Uint8Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.n++] = b;
  }

  private shiftLow(): void {
    if (this.low < 0xff000000 || this.low >= TWO32) {
      const carry = this.low >= TWO32 ? 1 : 0;
      let held = this.cache;
      do {
        this.emit((held + carry) & 0xff);
        held = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = this.low >>> 24;
    }
    this.cacheSize++;
    this.low = (this.low & 0xffffff) * 256;
  }

  bit(p0: number, bit: number): number {
    const bound = (this.range >>> PROB_BITS) * p0;
    if (bit) {
      this.low += bound;
      this.range -= bound;
    } else this.range = bound;
    while (this.range < RANGE_TOP) {
      this.range = (this.range * 256) >>> 0;
      this.shiftLow();
    }
    return bit;
  }

  direct(count: number, value: number): number {
    for (let i = count - 1; i >= 0; i--) {
      this.range = this.range >>> 1;
      if ((value >>> i) & 1) this.low += this.range;
      while (this.range < RANGE_TOP) {
        this.range = (this.range * 256) >>> 0;
        this.shiftLow();
      }
    }
    return value;
  }

  /** Flush and return the stream. The encoder cannot be used afterwards. */
  finish(): Uint8Array {
    for (let i = 0; i < 5; i++) this.shiftLow();
    return this.out.slice(0, this.n);
  }
}

/** Codes nothing: sums the bits an encoder in the same state would spend. */
export class CostMeter implements BitCoder {
  bits = 0;

  bit(p0: number, bit: number): number {
    this.bits += bitPrice(p0, bit);
    return bit;
  }

  direct(count: number, value: number): number {
    this.bits += count;
    return value;
  }
}
