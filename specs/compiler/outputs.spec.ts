// The shared recipes compile to the same bytes as before the statement table, the folder moves and
// the rule engine rewrite: the sizes and SHA-256 below were computed by main at 1bb8ac8 (the code
// before those changes), each shared recipe on the model it was written for (deep-compression on
// cls with its random calibration at x = 1×3×48×192, written as ONNX: its .sqz container belongs to
// the pack specs and changes with them, the model inside is what this spec pins). A refactor that
// changes an output fails here; a change meant to change outputs updates the figures here, saying
// why, computed by the code before the change.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import '../../compiler/passes/lossy.ts';
import { ortRunner } from '../factorize/rec.ts';
import { MODELS, RECIPES } from '../support/paths.ts';

const CASES: {
  recipe: string;
  model: string;
  shapes?: Record<string, number[]>;
  /** Written as ONNX (`output { format onnx }` in place of sqz). */
  onnx?: boolean;
  bytes: number;
  sha256: string;
}[] = [
  {
    recipe: 'cls-int8',
    model: MODELS.cls,
    bytes: 196500,
    sha256: '68e10fa50c73726a1a2d09e2685e2d45e4fe3ddc5c793b25ded8f4a31ec82cf8',
  },
  {
    recipe: 'deep-compression',
    model: MODELS.cls,
    shapes: { x: [1, 3, 48, 192] },
    onnx: true,
    bytes: 203657,
    sha256: 'c67f807010ec4844ba911672c83ae6ffc958279c56ad9336ab7656e4dcad3332',
  },
  {
    recipe: 'rec-int4',
    model: MODELS.rec,
    bytes: 2385529,
    sha256: '76f5fd3d26f1712cf29afe7d43798b01deb8a97076ae27bea556fcf5c2443ca8',
  },
  {
    recipe: 'det-slim',
    model: MODELS.det,
    bytes: 1096116,
    sha256: '06285b6d82bd1a1369da09131b9a09649944adf39b77c914186d1cdc2ec73da1',
  },
];

describe('shared recipes compile to the bytes the code before the refactor wrote', () => {
  for (const c of CASES) {
    it(`${c.recipe}.squish`, { timeout: 600_000 }, async () => {
      const file = join(RECIPES, `${c.recipe}.squish`);
      const text = readFileSync(file, 'utf8');
      const recipe = c.onnx ? text.replace('output { format sqz }', 'output { format onnx }') : text;
      expect(recipe.includes('format sqz')).toBe(false);
      const r = await compileModel(new Uint8Array(readFileSync(c.model)), recipe, {
        recipeFile: file,
        host: nodeHost(),
        runner: ortRunner,
        ...(c.shapes ? { inputShapes: c.shapes } : {}),
      });
      const sha256 = createHash('sha256').update(r.model).digest('hex');
      expect({ bytes: r.model.length, sha256 }).toEqual({ bytes: c.bytes, sha256: c.sha256 });
    });
  }
});
