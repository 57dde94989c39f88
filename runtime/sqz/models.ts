// Adaptive binary models of .sqz version 2 (docs/sqz.md "Models"). A model codes through a BitCoder,
// so the same code decodes (runtime), encodes and prices (compiler/codec/range.ts) a symbol; decoder
// and encoder stay in step because both update the model with the same integer arithmetic.

import { UserError } from '../errors.ts';
import type { BitCoder } from './range.ts';

/** Counts saturate here; the update rate goes 1/1.6, 1/2.6 … down to 1/255. */
const COUNT_LIMIT = 254;
const RATE = Int32Array.from({ length: COUNT_LIMIT + 1 }, (_, n) =>
  Math.floor(32768 / Math.min(n + 1.6, 255)),
);
const P_MIN = 32;
const P_MAX = 65536 - 32;

/** Adaptive bit probabilities: per context the 16-bit chance of a 0 and how often it was seen. */
export class Probs {
  readonly p: Uint16Array;
  readonly n: Uint8Array;

  constructor(size: number, from?: Probs) {
    this.p = from ? from.p.slice() : new Uint16Array(size).fill(32768);
    this.n = from ? from.n.slice() : new Uint8Array(size);
  }

  /** Code one bit in context i, then move the context's probability toward what was coded. */
  code(c: BitCoder, i: number, bit: number): number {
    const b = c.bit(this.p[i]!, bit);
    this.update(i, b);
    return b;
  }

  /** Move context i's probability toward the bit that was coded. */
  update(i: number, bit: number): void {
    const p = this.p[i]!;
    const n = this.n[i]!;
    let q = p + ((((bit ? 0 : 65536) - p) * RATE[n]!) >> 15);
    if (q < P_MIN) q = P_MIN;
    else if (q > P_MAX) q = P_MAX;
    this.p[i] = q;
    if (n < COUNT_LIMIT) this.n[i] = n + 1;
  }

  /** A `bits`-level bit tree (contexts base + 1 … base + 2^bits − 1), most significant bit first. */
  tree(c: BitCoder, base: number, bits: number, value: number): number {
    let node = 1;
    for (let k = bits - 1; k >= 0; k--) node = node * 2 + this.code(c, base + node, (value >>> k) & 1);
    return node - (1 << bits);
  }
}

/** Integer model parameters as the container stores them. */
export interface IntModelSpec {
  /** Symbol width: symbols 0 … 2^bits − 1. */
  bits: number;
  /** Magnitude classes (1: no context). */
  classes: number;
  /** The class is ⌊log2(1 + (m >> shift))⌋ of the running magnitude m. */
  shift: number;
}

/**
 * Integer symbols (quantized codes, cluster indices): a zero flag in the context of the previous
 * symbol being zero, then symbol − 1 through a bit tree; both conditioned on a class of the running
 * magnitude m ← m − m/8 + symbol (per-channel scale changes show up in it within a few symbols).
 */
export class IntModel {
  private readonly probs: Probs;
  private mag = 0;
  private prevZero = 0;

  constructor(
    readonly spec: IntModelSpec,
    from?: IntModel,
  ) {
    this.probs = new Probs(2 * spec.classes + (spec.classes << spec.bits), from?.probs);
    if (from) {
      this.mag = from.mag;
      this.prevZero = from.prevZero;
    }
  }

  clone(): IntModel {
    return new IntModel(this.spec, this);
  }

  code(c: BitCoder, symbol: number): number {
    const { bits, classes, shift } = this.spec;
    const cls = classes > 1 ? Math.min(classes - 1, 31 - Math.clz32(1 + (this.mag >> shift))) : 0;
    if (this.probs.code(c, cls * 2 + this.prevZero, symbol === 0 ? 1 : 0)) {
      this.prevZero = 1;
      this.mag -= this.mag >> 3;
      return 0;
    }
    const s = this.probs.tree(c, 2 * classes + (cls << bits) - 1, bits, symbol - 1) + 1;
    this.prevZero = 0;
    this.mag = this.mag - (this.mag >> 3) + s;
    return s;
  }
}

/**
 * float32 bit patterns with `m` mantissa bits kept (the lower 23 − m are zero): a flag for +0.0 (a
 * pruned weight) in the context of the previous value being +0.0, then the sign and 7 exponent bits
 * through one bit tree, the next up to 8 bits through another, the rest as they are.
 */
export class FloatModel {
  private readonly probs: Probs;
  private prevZero = 0;

  constructor(from?: FloatModel) {
    this.probs = new Probs(514, from?.probs);
    if (from) this.prevZero = from.prevZero;
  }

  clone(): FloatModel {
    return new FloatModel(this);
  }

  code(c: BitCoder, bits32: number, m: number): number {
    if (this.probs.code(c, 512 + this.prevZero, bits32 === 0 ? 1 : 0)) {
      this.prevZero = 1;
      return 0;
    }
    this.prevZero = 0;
    const rest = 1 + m; // last exponent bit + the mantissa kept
    const v = bits32 >>> (23 - m);
    const hi = this.probs.tree(c, 0, 8, v >>> rest);
    const nb = Math.min(rest, 8);
    const lowBits = rest - nb;
    const mid = this.probs.tree(c, 256, nb, (v >>> lowBits) & ((1 << nb) - 1));
    const low = c.direct(lowBits, v & ((1 << lowBits) - 1));
    return (((hi * 2 ** nb + mid) * 2 ** lowBits + low) * 2 ** (23 - m)) >>> 0;
  }
}

/** Largest number codeGamma codes. */
export const GAMMA_MAX = 2 ** 24 - 2;

/**
 * Elias gamma code of v (0 … GAMMA_MAX) in equiprobable bits: the bit length of v + 1 in unary
 * (1 = one more bit), then v + 1 below its leading 1. Counts and gaps inside the value stream.
 */
export function codeGamma(c: BitCoder, v: number, what: string): number {
  const x = v + 1;
  const n = 31 - Math.clz32(x);
  let len = 0;
  while (c.direct(1, len < n ? 1 : 0)) {
    if (++len > 23) {
      throw new UserError(
        `.sqz file is corrupted: ${what} is not a valid number`,
        're-create it with `squish compile … -o model.sqz`',
      );
    }
  }
  return 2 ** len + c.direct(len, x - 2 ** n) - 1;
}
