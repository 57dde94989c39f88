// Protobuf wire format: a bounds-checked reader and a growable writer (varints as number or bigint).

import { UserError } from '../errors.ts';

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

const TWO32 = 4294967296;

/** Thrown (as a UserError) when the bytes are not a well-formed protobuf message. */
export function malformed(what: string, where: string): UserError {
  return new UserError(
    `not a valid ONNX model: ${what} (${where})`,
    'the file is truncated or is not an ONNX ModelProto; re-export the model',
  );
}

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    readonly where = 'model',
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a number when it fits in 53 bits, else a bigint (two's complement for int64). */
  varint(): number | bigint {
    let lo = 0;
    let shift = 0;
    let b = 0;
    // fast path: up to 4 bytes (28 bits)
    for (; shift < 28; shift += 7) {
      if (this.pos >= this.end) throw malformed('a varint runs past the end of its message', this.where);
      b = this.buf[this.pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo >>> 0;
    }
    let big = BigInt(lo >>> 0);
    let bshift = 28n;
    for (let i = 0; i < 6; i++) {
      if (this.pos >= this.end) throw malformed('a varint runs past the end of its message', this.where);
      b = this.buf[this.pos++]!;
      big |= BigInt(b & 0x7f) << bshift;
      bshift += 7n;
      if (b < 0x80) {
        big = BigInt.asUintN(64, big);
        const signed = BigInt.asIntN(64, big);
        if (signed >= -9007199254740991n && signed <= 9007199254740991n) return Number(signed);
        return signed;
      }
    }
    throw malformed('a varint is longer than 10 bytes', this.where);
  }

  /** A varint that must be a small non-negative number (tags, lengths). */
  uint(): number {
    const v = this.varint();
    if (typeof v !== 'number' || v < 0) throw malformed('a length or tag is out of range', this.where);
    return v;
  }

  fixed32(): Uint8Array {
    return this.bytes(4);
  }

  fixed64(): Uint8Array {
    return this.bytes(8);
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) {
      throw malformed(`a field claims ${n} bytes but only ${this.end - this.pos} remain`, this.where);
    }
    const s = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Skip one field's value of wire type `wt`. */
  skip(wt: number): void {
    switch (wt) {
      case WT_VARINT:
        this.varint();
        return;
      case WT_I64:
        this.bytes(8);
        return;
      case WT_LEN:
        this.bytes(this.uint());
        return;
      case WT_I32:
        this.bytes(4);
        return;
      default:
        throw malformed(`unsupported wire type ${wt}`, this.where);
    }
  }
}

export class Writer {
  private buf = new Uint8Array(1024);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  varint(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v < TWO32 && Number.isInteger(v)) {
      this.ensure(5);
      while (v >= 0x80) {
        this.buf[this.len++] = (v & 0x7f) | 0x80;
        v = v >>> 7;
      }
      this.buf[this.len++] = v;
      return;
    }
    let b = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (b >= 0x80n) {
      this.buf[this.len++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    this.buf[this.len++] = Number(b);
  }

  tag(no: number, wt: number): void {
    this.varint(no * 8 + wt);
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  lenBytes(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.raw(bytes);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** The bytes written so far, without a copy (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
