// The Node host: gives core compiler code files (recipes, includes, calibration data) from disk.

import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { UserError } from '../../runtime/errors.ts';
import type { Host } from '../data/host.ts';
import { loadImage } from './images.ts';

/** Relative recipe paths are taken from `cwd` (the CLI passes its working folder). */
export function nodeHost(cwd = process.cwd()): Host {
  const abs = (p: string) => resolve(cwd, p);
  return {
    async readFile(path) {
      try {
        return new Uint8Array(await readFile(abs(path)));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(
          `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`,
        );
      }
    },
    resolve: (fromFile, rel) => (isAbsolute(rel) ? rel : resolve(dirname(abs(fromFile)), rel)),
    async glob(fromFile, pattern) {
      const dir = dirname(abs(fromFile));
      const found = await glob(pattern, { cwd: dir, absolute: true, onlyFiles: true });
      return found.sort();
    },
    readText: (path) => (existsSync(abs(path)) ? readFileSync(abs(path), 'utf8') : undefined),
    loadImage: (path, opts) => loadImage(abs(path), opts),
  };
}
