// The shared recipes compile to the same bytes as before the statement table, the folder moves and
// the rule engine rewrite: the sizes and SHA-256 below were computed by main at 1bb8ac8 (the code
// before those changes), each shared recipe on the model it was written for (deep-compression on
// cls with its random calibration at x = 1×3×48×192, written as ONNX: its .sqz container belongs to
// the pack specs and changes with them, the model inside is what this spec pins). A refactor that
// changes an output fails here; a change meant to change outputs updates the figures here, saying
// why, computed by the code before the change. Recomputed on main at 1e65373: the webasm backend
// (which calibration, channel statistics and the activation guard run on) became squish's own wasm
// kernels, whose float sums run in another order than gpu.js's, so calibration ranges moved by ulps.
// The held-apart split changed every one (the fits see 18 of cls-int8's 24 lines, 5 of
// deep-compression's 8 random inputs, 12 of rec-int4's 16, 2 of det-slim's 4 pages): the figures
// below are this change's. Main at 4d9b985 compiling each recipe with its calibrate block replaced
// by `tensors` of exactly those fitting samples (dumped as .npy) wrote the same four models but for
// the recipe text and plan kept in the metadata (SHA-256 equal with squish.recipe* and squish.plan
// dropped).
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
    bytes: 196610,
    sha256: 'f1ec2b8288eee0f30bde66449ef5ec97ce16778478c38914659a722153d9c478',
  },
  {
    recipe: 'deep-compression',
    model: MODELS.cls,
    shapes: { x: [1, 3, 48, 192] },
    onnx: true,
    bytes: 203657,
    sha256: 'e16def60923e84c7b7fa1b1dc72941b6a8d1fde7d706fbc5ce7d4758c2907899',
  },
  {
    recipe: 'rec-int4',
    model: MODELS.rec,
    bytes: 2385529,
    sha256: 'a1baaf59201e63aa7e12117b65e77686627bf08c32cef9d88a72610feb47bc43',
  },
  {
    recipe: 'det-slim',
    model: MODELS.det,
    bytes: 1096116,
    sha256: 'f126a5abdf0910ed2710c24a4e99b5c10c4a0f911083035c33b69f4597c4a346',
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
