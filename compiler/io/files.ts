// Reading files a user (or a model) names: only regular files are read. A FIFO, a device such as
// /dev/zero or a folder is refused before a read can block or run without end, and a size cap
// applies before anything is allocated. Errors are one UserError naming the file and what it is.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { UserError } from '../../runtime/errors.ts';

/** Protobuf caps a message at 2 GiB; nothing squish reads whole is larger. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'something else';
}

/** How a file is named in messages: what it is, its name as the user gave it, optional context. */
export interface FileLabel {
  what: string;
  display: string;
  /** Prefix naming where the path came from, e.g. "model.onnx tensor 'w'". */
  where?: string;
  help?: string;
}

function openError(e: unknown, label: FileLabel): UserError {
  const { what, display } = label;
  const at = label.where ? `${label.where}: ` : '';
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new UserError(
      `${at}${what === 'file' ? what : `${what} file`} '${display}' does not exist`,
      label.help ?? 'check the path (relative paths are from the current folder)',
    );
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENAMETOOLONG'
        ? 'the path is too long'
        : code === 'ENOTDIR'
          ? 'a part of the path is not a folder'
          : code === 'ELOOP'
            ? 'too many symbolic links'
            : ((e as Error).message ?? String(e));
  return new UserError(`${at}cannot read ${what} '${display}': ${why}`, label.help ?? 'check the path');
}

/**
 * Open a regular file for reading (never blocking on a FIFO) and return its descriptor and size.
 * The caller closes the descriptor.
 */
export function openRegular(path: string, label: FileLabel): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw openError(e, label);
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    throw openError(e, label);
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw new UserError(
      `${label.where ? `${label.where}: ` : ''}${label.what} '${label.display}' is ${kind(st)}, not a regular file`,
      label.help ?? `give the path of a ${label.what} file`,
    );
  }
  return { fd, size: st.size };
}

/** Read `length` bytes at `offset` from an open descriptor (fewer at end of file). */
export function readAt(fd: number, offset: number, length: number): Uint8Array {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n <= 0) break;
    got += n;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, got);
}

/** A whole regular file, refused past `maxBytes` before it is read. */
export function readRegularFile(
  path: string,
  what: string,
  display = path,
  maxBytes = MAX_FILE_BYTES,
): Uint8Array {
  const { fd, size } = openRegular(path, { what, display });
  try {
    if (size > maxBytes)
      throw new UserError(
        `${what} '${display}' is ${size} bytes, more than squish reads (${maxBytes})`,
        `check that '${display}' is the ${what} you meant`,
      );
    return readAt(fd, 0, size);
  } finally {
    closeSync(fd);
  }
}

/** A whole regular file as UTF-8 text. */
export function readTextFile(path: string, what: string, display = path, maxBytes = 64 * 2 ** 20): string {
  const b = readRegularFile(path, what, display, maxBytes);
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
}
