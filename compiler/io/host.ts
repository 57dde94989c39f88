// The Node host: gives core compiler code files (recipes, includes, calibration data) from disk.

import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { UserError } from '../../runtime/errors.ts';
import type { Host } from '../data/host.ts';
import { readRegularFile } from './files.ts';
import { loadImage } from './images.ts';

/** Relative recipe paths are taken from `cwd` (the CLI passes its working folder). */
export function nodeHost(cwd = process.cwd()): Host {
  const abs = (p: string) => resolve(cwd, p);
  return {
    async readFile(path) {
      return readRegularFile(abs(path), 'file', path);
    },
    resolve: (fromFile, rel) => (isAbsolute(rel) ? rel : resolve(dirname(abs(fromFile)), rel)),
    async glob(fromFile, pattern) {
      const dir = dirname(abs(fromFile));
      try {
        const found = await glob(pattern, { cwd: dir, absolute: true, onlyFiles: true });
        return found.sort();
      } catch (e) {
        throw new UserError(
          `cannot search for files matching "${pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern}" (${pattern.length} characters): ${(e as Error).message}`,
          'write a shorter glob (relative to the recipe file)',
        );
      }
    },
    readText: (path) => readRecipeText(abs(path)),
    loadImage: (path, opts) => loadImage(abs(path), opts),
  };
}

/** Recipes (includes) are small regular files: a FIFO, device or huge file would block or fill memory. */
const MAX_RECIPE_BYTES = 4_000_000;

function readRecipeText(path: string): string | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  if (!st.isFile()) throw new Error(`${path} is not a regular file (a folder, FIFO or device)`);
  if (st.size > MAX_RECIPE_BYTES) throw new Error(`${path} is ${st.size} bytes; a recipe is at most 4 MB`);
  return readFileSync(path, 'utf8');
}
