// CRC-32 (IEEE 802.3, polynomial 0xEDB88320, as zlib/PNG compute it): the .sqz container checksum.
//
// API: crc32(bytes, previous = 0) → unsigned 32-bit CRC; pass the previous result to continue a
// running checksum over several chunks (crc32(b, crc32(a)) === crc32(a ++ b)).

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
