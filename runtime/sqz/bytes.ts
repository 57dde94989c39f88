// Little-endian byte reading for the .sqz container: u8, u16, u32, LEB128 varints and slices; any
// read past the end is a UserError (the file is truncated).

import { UserError } from '../errors.ts';

export function truncated(what: string): UserError {
  return new UserError(
    `.sqz file is truncated or corrupted: ${what} runs past the end of its data`,
    're-create it with `squish compile … -o model.sqz`',
  );
}

export class ByteReader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly what = 'data',
  ) {}

  get left(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.left) throw truncated(`${this.what} (${what})`);
  }

  u8(what = 'a byte'): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what = 'a 16-bit number'): number {
    this.need(2, what);
    const b = this.bytes;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u32(what = 'a 32-bit number'): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** Unsigned LEB128 up to 2^53 − 1. */
  varint(what = 'a number'): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) {
        if (!Number.isSafeInteger(v)) break;
        return v;
      }
      mul *= 128;
    }
    throw new UserError(
      `.sqz file is corrupted: ${this.what} (${what}) is not a valid number`,
      're-create it with `squish compile … -o model.sqz`',
    );
  }

  slice(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const s = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}
