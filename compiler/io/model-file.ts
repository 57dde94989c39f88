// The Node loader/saver for ONNX model files: reads a model and its external data (locations must
// stay inside the model's folder — no absolute paths, no `..` escapes, no symlinks out; ranges are
// checked against the file size before anything is allocated) and writes atomically (temp + rename).

import { closeSync, lstatSync, openSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { exportModel, exportModelWithData } from '../../runtime/onnx/export.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { importSqz, isSqz } from '../../runtime/sqz/read.ts';
import { openRegular, readAt, readRegularFile } from './files.ts';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Resolve an external-data `location` against the model folder, refusing anything that leaves it
 * (absolute paths, drive letters, `..` escapes also when nested, symlinks pointing out).
 */
export function resolveExternalLocation(modelDir: string, location: string, what: string): string {
  const refuse = (why: string) =>
    new UserError(
      `${what}: external data location '${location}' ${why}`,
      'external data files must sit in the model folder (or below it), named by a relative path',
    );
  if (!location || location.includes('\0')) throw refuse('is empty or has a NUL character');
  if (
    isAbsolute(location) ||
    /^[a-zA-Z]:/.test(location) ||
    location.startsWith('\\') ||
    location.startsWith('/')
  ) {
    throw refuse('is an absolute path');
  }
  const parts = location.split(/[\\/]+/);
  let depth = 0;
  for (const p of parts) {
    if (p === '..') depth--;
    else if (p !== '.' && p !== '') depth++;
    if (depth < 0) throw refuse('leaves the model folder');
  }
  if (parts.includes('..')) throw refuse("contains '..'");
  const root = resolve(modelDir);
  const full = resolve(root, ...parts);
  if (!inside(root, full)) throw refuse('leaves the model folder');
  // symlinks: the real target must be inside the real model folder
  let realRoot = root;
  try {
    realRoot = realpathSync(root);
  } catch {
    // folder missing: nothing can point anywhere yet
  }
  let existing = full;
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch {
      const up = dirname(existing);
      if (up === existing || !inside(root, up)) {
        existing = '';
        break;
      }
      existing = up;
    }
  }
  if (existing) {
    const real = realpathSync(existing);
    if (real !== realRoot && !inside(realRoot, real))
      throw refuse('is a symlink (or under one) that points outside the model folder');
  }
  return full;
}

function readRange(path: string, offset: number, length: number, what: string): Uint8Array {
  const { fd, size } = openRegular(path, {
    what: 'external data file',
    display: basename(path),
    where: what,
    help: 'external data must be a regular file in the model folder',
  });
  try {
    if (offset > size || length > size - offset) {
      throw new UserError(
        `${what}: external data range [${offset}, ${offset + length}) is past the end of '${basename(path)}' (${size} bytes)`,
        'the external data file is truncated or does not belong to this model',
      );
    }
    return readAt(fd, offset, length);
  } finally {
    closeSync(fd);
  }
}

/** Read an ONNX model file (and its external data) or a .sqz container into the IR. Bad input → UserError. */
export function loadModelFile(path: string, display = path): Model {
  const bytes = readRegularFile(path, 'model', display);
  if (isSqz(bytes)) return importSqz(bytes, display); // a .sqz container holds all its data
  const dir = dirname(resolve(path));
  return importModel(bytes, {
    source: display,
    readExternal: ({ location, offset, length, tensor }) => {
      const what = `${display} tensor '${tensor}'`;
      const file = resolveExternalLocation(dir, location, what);
      return readRange(file, offset, length, what);
    },
  });
}

function writeAtomic(target: string, parts: Uint8Array[]): void {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (const p of parts) {
        let done = 0;
        while (done < p.length) done += writeSync(fd, p, done, p.length - done);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write '${target}': ${(e as Error).message}`);
  }
}

export interface SaveOptions {
  /** Write tensors of at least `threshold` bytes (default 1024) to `location` beside the model. */
  externalData?: { location: string; threshold?: number };
}

/** Write a model (and its external data file) atomically. Returns the bytes of the .onnx file. */
export function saveModelFile(path: string, model: Model, opts: SaveOptions = {}): Uint8Array {
  const dir = dirname(resolve(path));
  if (opts.externalData) {
    const file = resolveExternalLocation(dir, opts.externalData.location, path);
    if (file === resolve(path)) {
      throw new UserError(
        `${path}: external data location '${opts.externalData.location}' is the model file itself`,
        'name the data file differently, e.g. model.onnx.data',
      );
    }
    const { model: bytes, data } = exportModelWithData(model, opts.externalData);
    writeAtomic(file, data);
    writeAtomic(resolve(path), [bytes]);
    return bytes;
  }
  const bytes = exportModel(model);
  writeAtomic(resolve(path), [bytes]);
  return bytes;
}
