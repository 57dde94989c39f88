// Byte encodings the assembler shares: LEB128 integers, IEEE floats, names, value types.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

export const VAL_TYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export function uleb(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 of a 32-bit value (u32 bit patterns given as positive numbers encode alike). */
export function sleb(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Signed LEB128 of a 64-bit value. */
export function sleb64(value: bigint, out: number[]): void {
  let v = BigInt.asIntN(64, value);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

const scratch = new DataView(new ArrayBuffer(16));

export function f32Bytes(value: number, out: number[]): void {
  scratch.setFloat32(0, value, true);
  for (let i = 0; i < 4; i++) out.push(scratch.getUint8(i));
}

export function i32x4Bytes(lanes: readonly number[], out: number[]): void {
  for (let l = 0; l < 4; l++) scratch.setInt32(l * 4, lanes[l] as number, true);
  for (let i = 0; i < 16; i++) out.push(scratch.getUint8(i));
}

export function f32x4Bytes(lanes: readonly number[], out: number[]): void {
  for (let l = 0; l < 4; l++) scratch.setFloat32(l * 4, lanes[l] as number, true);
  for (let i = 0; i < 16; i++) out.push(scratch.getUint8(i));
}

export function name(text: string, out: number[]): void {
  const bytes = new TextEncoder().encode(text);
  uleb(bytes.length, out);
  for (const b of bytes) out.push(b);
}

export function section(id: number, payload: number[], out: number[]): void {
  out.push(id);
  uleb(payload.length, out);
  for (const b of payload) out.push(b);
}
