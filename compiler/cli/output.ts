// Output paths are checked before any work starts, with words that say which flag is wrong: not a
// folder, not an input, not each other, not an existing file without --force, in a folder that
// exists and can be written, with a name the file system accepts.

import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UserError } from '../../runtime/errors.ts';

export interface NamedPath {
  /** Absolute path. */
  path: string;
  /** How the user gave it: the flag and, for outputs, what is written there ('-o', 'the model'). */
  flag: string;
  what: string;
}

function same(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return existsSync(a) && existsSync(b) && realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Longest file name most file systems accept, in UTF-8 bytes. */
const NAME_MAX = 255;

function checkOne(o: NamedPath, force: boolean): void {
  const name = basename(o.path);
  if (Buffer.byteLength(name) > NAME_MAX)
    throw new UserError(
      `${o.flag}: the file name is ${Buffer.byteLength(name)} bytes long, more than file systems accept (${NAME_MAX})`,
      'pick a shorter name',
    );
  let isDir = false;
  try {
    isDir = statSync(o.path).isDirectory();
  } catch {
    // does not exist (or cannot be inspected): decided below
  }
  if (isDir)
    throw new UserError(
      `${o.flag} ${o.path} is a folder; it needs the path of a file for ${o.what}`,
      `e.g. ${resolve(o.path, o.what === 'the report' ? 'report.json' : 'model.onnx')}`,
    );
  if (existsSync(o.path) && !force)
    throw new UserError(
      `${o.flag} ${o.path} already exists`,
      'pass --force to overwrite it, or pick another path',
    );
  const dir = dirname(o.path);
  if (!existsSync(dir))
    throw new UserError(
      `${o.flag}: the folder of ${o.path} does not exist`,
      'create it first or pick another path',
    );
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(
      `${o.flag}: cannot write in the folder ${dir} (permission denied)`,
      'pick another path',
    );
  }
}

/** Refuse outputs that are folders, inputs, each other, or (without force) existing files. */
export function checkOutputPaths(outputs: NamedPath[], inputs: NamedPath[], force: boolean): void {
  outputs.forEach((o, i) => {
    for (const inp of inputs) {
      if (same(o.path, inp.path))
        throw new UserError(
          `${o.flag} ${o.path} is ${inp.what} (${inp.flag}); squish never writes over its inputs`,
          'pick another path',
        );
    }
    for (const other of outputs.slice(0, i)) {
      if (same(o.path, other.path))
        throw new UserError(
          `${other.flag} and ${o.flag} name the same file, ${o.path}`,
          `${other.what} and ${o.what} need a file each`,
        );
    }
    checkOne(o, force);
  });
}
