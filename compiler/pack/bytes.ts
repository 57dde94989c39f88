// Little-endian byte writing for the .sqz container: u8, u16, u32, LEB128 varints, byte runs.

export class ByteWriter {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(4096);
  private n = 0;
  private total = 0;

  get length(): number {
    return this.total + this.n;
  }

  private room(k: number): void {
    if (this.n + k <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.n));
    this.total += this.n;
    this.cur = new Uint8Array(Math.max(4096, k));
    this.n = 0;
  }

  u8(v: number): this {
    this.room(1);
    this.cur[this.n++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }

  u32(v: number): this {
    return this.u8(v)
      .u8(v >>> 8)
      .u8(v >>> 16)
      .u8(v >>> 24);
  }

  varint(v: number): this {
    if (!(Number.isSafeInteger(v) && v >= 0))
      throw new RangeError(`varint: ${v} is not a non-negative integer`);
    let x = v;
    while (x >= 0x80) {
      this.u8((x % 128) | 0x80);
      x = Math.floor(x / 128);
    }
    return this.u8(x);
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.cur.set(b, this.n);
    this.n += b.length;
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of [...this.chunks, this.cur.subarray(0, this.n)]) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
