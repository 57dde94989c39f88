// Schema-driven protobuf codec for ONNX messages that never drops a field: fields the schema does
// not know (or that arrive with an unexpected wire type) are kept as raw bytes and written back.
// Encoding is deterministic: known fields in field-number order, then unknown fields as read.

import { type FieldDef, type MessageName, SCHEMA, type Scalar } from './schema.ts';
import { malformed, Reader, Writer, WT_I32, WT_I64, WT_LEN, WT_VARINT } from './wire.ts';

/** A decoded message: field name → value; repeated floats/doubles are typed arrays (bit-exact). */
export interface Msg {
  [field: string]: unknown;
  /** Raw bytes (tag included) of fields this schema does not know, in the order read. */
  $unknown?: Uint8Array[];
}

const BY_NO = new Map<MessageName, Map<number, FieldDef>>();
const SORTED = new Map<MessageName, FieldDef[]>();
for (const [name, fields] of Object.entries(SCHEMA) as [MessageName, FieldDef[]][]) {
  BY_NO.set(name, new Map(fields.map((fd) => [fd.no, fd])));
  SORTED.set(
    name,
    [...fields].sort((a, b) => a.no - b.no),
  );
}

const utf8 = new TextDecoder('utf-8');
const utf8e = new TextEncoder();
const MAX_DEPTH = 64;

function isScalar(t: FieldDef['type']): t is Scalar {
  return !(t in SCHEMA);
}

function wireTypeOf(t: FieldDef['type']): number {
  switch (t) {
    case 'float':
      return WT_I32;
    case 'double':
      return WT_I64;
    case 'string':
    case 'bytes':
      return WT_LEN;
    case 'int64':
    case 'int32':
    case 'uint64':
    case 'enum':
    case 'bool':
      return WT_VARINT;
    default:
      return WT_LEN;
  }
}

function readVarintScalar(r: Reader, t: Scalar): number | bigint | boolean {
  const v = r.varint();
  if (t === 'bool') return v !== 0;
  if (t === 'int32' || t === 'enum') return typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : v | 0;
  if (t === 'uint64' && (typeof v === 'bigint' || v < 0)) {
    const u = BigInt.asUintN(64, BigInt(v));
    return u <= 9007199254740991n ? Number(u) : u;
  }
  return v;
}

function copyBytes(src: Uint8Array): ArrayBuffer {
  const ab = new ArrayBuffer(src.length);
  new Uint8Array(ab).set(src);
  return ab;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function decodeMessage(
  type: MessageName,
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  where: string = type,
  depth = 0,
): Msg {
  if (depth > MAX_DEPTH) throw malformed(`messages nested deeper than ${MAX_DEPTH}`, where);
  const fields = BY_NO.get(type)!;
  const r = new Reader(buf, start, end, where);
  const msg: Msg = {};
  // repeated float/double parts collected as raw little-endian bytes, turned into typed arrays at the end
  const rawParts = new Map<string, Uint8Array[]>();
  while (!r.done) {
    const fieldStart = r.pos;
    const key = r.uint();
    const no = Math.floor(key / 8);
    const wt = key & 7;
    if (no === 0) throw malformed('field number 0', where);
    const fd = fields.get(no);
    const expected = fd ? wireTypeOf(fd.type) : -1;
    const packedOk = fd?.repeated && isScalar(fd.type) && expected !== WT_LEN && wt === WT_LEN;
    if (!fd || (wt !== expected && !packedOk)) {
      r.skip(wt);
      (msg.$unknown ??= []).push(buf.subarray(fieldStart, r.pos));
      continue;
    }
    const t = fd.type;
    if (fd.repeated && (t === 'float' || t === 'double')) {
      const part = wt === WT_LEN ? r.bytes(r.uint()) : r.bytes(t === 'float' ? 4 : 8);
      if (part.length % (t === 'float' ? 4 : 8) !== 0) throw malformed(`packed ${fd.name} length`, where);
      let parts = rawParts.get(fd.name);
      if (!parts) rawParts.set(fd.name, (parts = []));
      parts.push(part);
      continue;
    }
    if (packedOk) {
      const len = r.uint();
      const sub = new Reader(buf, r.pos, r.pos + len, where);
      r.bytes(len);
      const arr = ((msg[fd.name] as unknown[]) ??= []);
      while (!sub.done) arr.push(readVarintScalar(sub, t as Scalar));
      continue;
    }
    let value: unknown;
    if (isScalar(t)) {
      switch (t) {
        case 'float':
          value = new DataView(copyBytes(r.fixed32())).getFloat32(0, true);
          break;
        case 'double':
          value = new DataView(copyBytes(r.fixed64())).getFloat64(0, true);
          break;
        case 'string':
          value = utf8.decode(r.bytes(r.uint()));
          break;
        case 'bytes':
          value = r.bytes(r.uint());
          break;
        default:
          value = readVarintScalar(r, t);
      }
    } else {
      const len = r.uint();
      const s = r.pos;
      r.bytes(len);
      value = decodeMessage(t, buf, s, s + len, `${where}.${fd.name}`, depth + 1);
    }
    if (fd.repeated) ((msg[fd.name] as unknown[]) ??= []).push(value);
    else msg[fd.name] = value;
  }
  for (const [name, parts] of rawParts) {
    const fd = [...fields.values()].find((x) => x.name === name)!;
    const bytes = concat(parts);
    const ab = copyBytes(bytes);
    msg[name] = fd.type === 'float' ? new Float32Array(ab) : new Float64Array(ab);
  }
  return msg;
}

function writeScalar(w: Writer, t: Scalar, v: unknown): void {
  switch (t) {
    case 'float': {
      const dv = new DataView(new ArrayBuffer(4));
      dv.setFloat32(0, v as number, true);
      w.raw(new Uint8Array(dv.buffer));
      return;
    }
    case 'double': {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, v as number, true);
      w.raw(new Uint8Array(dv.buffer));
      return;
    }
    case 'string':
      w.lenBytes(utf8e.encode(v as string));
      return;
    case 'bytes':
      w.lenBytes(v as Uint8Array);
      return;
    case 'bool':
      w.varint(v ? 1 : 0);
      return;
    default:
      w.varint(v as number | bigint);
  }
}

function typedBytes(v: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export function encodeMessage(type: MessageName, msg: Msg, w = new Writer()): Writer {
  for (const fd of SORTED.get(type)!) {
    const v = msg[fd.name];
    if (v === undefined || v === null) continue;
    const t = fd.type;
    const wt = wireTypeOf(t);
    if (!fd.repeated) {
      w.tag(fd.no, wt);
      if (isScalar(t)) writeScalar(w, t, v);
      else w.lenBytes(encodeMessage(t, v as Msg).view());
      continue;
    }
    if (t === 'float' || t === 'double') {
      const arr = v instanceof Float32Array || v instanceof Float64Array ? v : null;
      const typed =
        arr ?? (t === 'float' ? Float32Array.from(v as number[]) : Float64Array.from(v as number[]));
      if (typed.length === 0) continue;
      const bytes = typedBytes(typed);
      if (fd.packed) {
        w.tag(fd.no, WT_LEN);
        w.lenBytes(bytes);
      } else {
        const size = t === 'float' ? 4 : 8;
        for (let i = 0; i < bytes.length; i += size) {
          w.tag(fd.no, wt);
          w.raw(bytes.subarray(i, i + size));
        }
      }
      continue;
    }
    const arr = v as unknown[];
    if (arr.length === 0) continue;
    if (fd.packed && isScalar(t)) {
      const sub = new Writer();
      for (const x of arr) writeScalar(sub, t, x);
      w.tag(fd.no, WT_LEN);
      w.lenBytes(sub.view());
      continue;
    }
    for (const x of arr) {
      w.tag(fd.no, wt);
      if (isScalar(t)) writeScalar(w, t, x);
      else w.lenBytes(encodeMessage(t, x as Msg).view());
    }
  }
  if (msg.$unknown) for (const u of msg.$unknown) w.raw(u);
  return w;
}

export function encode(type: MessageName, msg: Msg): Uint8Array {
  return encodeMessage(type, msg).finish();
}
