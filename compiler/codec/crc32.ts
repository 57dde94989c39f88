// CRC-32 for container checksums: one implementation, the runtime's (the .sqz reader needs it and
// runtime/ may not import compiler/), re-exported here for the compiler's codec users.
export { crc32 } from '../../runtime/sqz/crc32.ts';
