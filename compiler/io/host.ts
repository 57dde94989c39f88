// The Node host: gives core compiler code files (recipes, includes, calibration data) from disk.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { UserError } from '../../runtime/errors.ts';
import type { Host } from '../data/host.ts';
import { loadImage } from './images.ts';

export function nodeHost(): Host {
  return {
    async readFile(path) {
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(
          `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`,
        );
      }
    },
    resolve: (fromFile, rel) => (isAbsolute(rel) ? rel : resolve(dirname(fromFile), rel)),
    async glob(fromFile, pattern) {
      const cwd = dirname(resolve(fromFile));
      const found = await glob(pattern, { cwd, absolute: true, onlyFiles: true });
      return found.sort();
    },
    loadImage: (path, opts) => loadImage(path, opts),
  };
}
