// Reading a .sqz container (docs/sqz.md) back into a Model: header, version and CRC-32 checks, then
// the version's payload (1: deflated graph + Huffman records; 2: coded structure + one range-coded
// value stream). Any damage is one UserError; nothing is returned half-decoded.

import { UserError } from '../errors.ts';
import type { Model } from '../ir/model.ts';
import { importModel } from '../onnx/import.ts';
import { validateModel } from '../onnx/validate/index.ts';
import { ByteReader, truncated } from './bytes.ts';
import { crc32 } from './crc32.ts';
import { SQZ_HEADER, SQZ_MAGIC, SQZ_VERSION } from './format.ts';
import type { SqzInfo } from './info.ts';
import { readV1 } from './v1.ts';
import { readV2 } from './v2.ts';

const HELP = 're-create it with `squish compile … -o model.sqz`';

/** Whether the bytes start with the .sqz magic. */
export function isSqz(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && SQZ_MAGIC.every((b, i) => bytes[i] === b);
}

/** The container's checked payload (header, version, length and checksum verified). */
export function sqzPayload(
  bytes: Uint8Array,
  source = '.sqz file',
): { version: number; payload: Uint8Array } {
  if (!isSqz(bytes)) throw new UserError(`${source} is not a .sqz file (no \\x89SQZ magic)`, HELP);
  if (bytes.length < SQZ_HEADER) throw truncated('the header');
  const r = new ByteReader(bytes, 'the header');
  r.pos = 4;
  const version = r.u16();
  if (version < 1 || version > SQZ_VERSION) {
    throw new UserError(
      `${source} has .sqz container version ${version}; this squish reads versions 1 to ${SQZ_VERSION}`,
      'use the squish version that wrote it, or re-create it with this one',
    );
  }
  r.u16(); // flags, reserved (0)
  const len = r.u32();
  const end = SQZ_HEADER + len;
  if (bytes.length < end + 4) {
    throw new UserError(`${source} is truncated: ${bytes.length} bytes, the header says ${end + 4}`, HELP);
  }
  if (bytes.length > end + 4) {
    throw new UserError(
      `${source} is corrupted: ${bytes.length - end - 4} stray bytes after its checksum`,
      HELP,
    );
  }
  const want = new ByteReader(bytes.subarray(end), 'the checksum').u32();
  const got = crc32(bytes.subarray(0, end));
  if (want !== got) {
    throw new UserError(
      `${source} is corrupted: CRC-32 ${got.toString(16).padStart(8, '0')} does not match the stored ${want.toString(16).padStart(8, '0')}`,
      HELP,
    );
  }
  return { version, payload: bytes.subarray(SQZ_HEADER, end) };
}

/** Decode a .sqz container and say where its bytes went (each record's bits are measured). */
export function readSqzInfo(bytes: Uint8Array, source = '.sqz file'): { model: Model; info: SqzInfo } {
  return read(bytes, source, true);
}

/** Decode a .sqz container into the model it holds (initializers restored, bit-exact). */
export function readSqz(bytes: Uint8Array, source = '.sqz file'): Model {
  return read(bytes, source, false).model;
}

function read(bytes: Uint8Array, source: string, meter: boolean): { model: Model; info: SqzInfo } {
  const { version, payload } = sqzPayload(bytes, source);
  if (version === 1) {
    const { model, graphBytes, structureBytes, records } = readV1(payload, source);
    model.graph.touch();
    const info: SqzInfo = {
      version,
      fileBytes: bytes.length,
      structureBytes,
      structureMethod: 'deflate',
      graphBytes,
      records,
    };
    return { model, info };
  }
  const { model, info } = readV2(payload, source, meter);
  return { model, info: { version, fileBytes: bytes.length, ...info } };
}

/**
 * The model in a .sqz container, checked as importModel checks ONNX (readSqz decodes the container
 * losslessly whatever the graph holds; a model to run or compile is validated once its tensors are in).
 */
export function importSqz(bytes: Uint8Array, source = '.sqz file'): Model {
  const model = readSqz(bytes, source);
  validateModel(model, source);
  return model;
}

/** A model from bytes that are either ONNX or .sqz (sniffed by the magic), validated. */
export function importAnyModel(bytes: Uint8Array, opts: Parameters<typeof importModel>[1] = {}): Model {
  return isSqz(bytes) ? importSqz(bytes, opts.source) : importModel(bytes, opts);
}
