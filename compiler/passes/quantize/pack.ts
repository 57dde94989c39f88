// Byte packing of sub-byte integer codes as ONNX raw_data stores them (little-endian, low bits first).
//
// API: packSubByte(codes, bits: 4|2) → Uint8Array (int4/uint4: two per byte, first element in the low
// nibble; int2/uint2: four per byte, x0 | x1<<2 | x2<<4 | x3<<6; odd counts padded with 0);
// unpackSubByte(bytes, count, bits, signed) → Int8Array | Uint8Array (sign-extended when signed).

export function packSubByte(codes: ArrayLike<number>, bits: 4 | 2): Uint8Array {
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(Math.ceil(codes.length / per));
  for (let i = 0; i < codes.length; i++) {
    out[Math.floor(i / per)]! |= (codes[i]! & mask) << ((i % per) * bits);
  }
  return out;
}

export function unpackSubByte(
  bytes: Uint8Array,
  count: number,
  bits: 4 | 2,
  signed: boolean,
): Int8Array | Uint8Array {
  const per = 8 / bits;
  if (bytes.length < Math.ceil(count / per)) {
    throw new RangeError(
      `unpack: ${count} ${bits}-bit values need ${Math.ceil(count / per)} bytes, got ${bytes.length}`,
    );
  }
  const mask = (1 << bits) - 1;
  const sign = 1 << (bits - 1);
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = (bytes[Math.floor(i / per)]! >> ((i % per) * bits)) & mask;
    out[i] = signed && v & sign ? v - (1 << bits) : v;
  }
  return out;
}
