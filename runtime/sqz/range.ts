// Binary range decoding for .sqz version 2 (docs/sqz.md "Range coder"): the carry-less range coder
// of LZMA with 16-bit probabilities. Every model in the container codes through the BitCoder
// interface, so one model implementation drives the decoder here, the writer's encoder and its cost
// estimate (compiler/codec/range.ts) alike.

/** One binary decision at a time: the decoder returns the decoded bit, the encoder codes `bit`. */
export interface BitCoder {
  /** A bit whose 0 has probability p0 / 65536 (1 ≤ p0 ≤ 65535); returns the bit. */
  bit(p0: number, bit: number): number;
  /** `count` (0…24) equiprobable bits of `value`, most significant first; returns the value. */
  direct(count: number, value: number): number;
}

export const PROB_BITS = 16;
/** The range is renormalized (shifted by a byte) whenever it drops below this. */
export const RANGE_TOP = 2 ** 24;

/** −log2(p / 4096) for 12-bit p: the information a coded bit carries, for size estimates. */
const PRICE = Float64Array.from({ length: 4097 }, (_, p) => (p ? -Math.log2(p / 4096) : 24));

/** Bits a binary decision costs: `bit` coded where a 0 has probability p0 / 65536. */
export function bitPrice(p0: number, bit: number): number {
  return PRICE[(bit ? 65536 - p0 : p0) >>> 4]!;
}

/**
 * Decodes the stream the encoder wrote (its always-zero first byte dropped). Reads past the end see
 * zero bytes; `overrun` says how many there were, so a caller can tell a stream that ended early.
 */
export class RangeDecoder implements BitCoder {
  private range = 0xffffffff;
  private code = 0;
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
    for (let i = 0; i < 4; i++) this.code = (this.code * 256 + this.next()) >>> 0;
  }

  /** Bytes taken from the stream so far (including the 4 the decoder reads ahead). */
  get position(): number {
    return this.pos;
  }

  /** Bytes read past the end of the stream (0 for a stream that was read exactly). */
  get overrun(): number {
    return Math.max(0, this.pos - this.end);
  }

  private next(): number {
    const p = this.pos++;
    return p < this.end ? this.bytes[p]! : 0;
  }

  bit(p0: number): number {
    const bound = (this.range >>> PROB_BITS) * p0;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      b = 0;
    } else {
      this.code -= bound;
      this.range -= bound;
      b = 1;
    }
    while (this.range < RANGE_TOP) {
      this.range = (this.range * 256) >>> 0;
      this.code = (this.code * 256 + this.next()) >>> 0;
    }
    return b;
  }

  direct(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      v = v * 2 + b;
      while (this.range < RANGE_TOP) {
        this.range = (this.range * 256) >>> 0;
        this.code = (this.code * 256 + this.next()) >>> 0;
      }
    }
    return v;
  }
}

/** A decoder that also sums the information of what it decodes (`bits`): where the bytes went. */
export class MeteredDecoder extends RangeDecoder {
  bits = 0;

  override bit(p0: number): number {
    const b = super.bit(p0);
    this.bits += bitPrice(p0, b);
    return b;
  }

  override direct(count: number): number {
    this.bits += count;
    return super.direct(count);
  }
}
