// Every recipe in examples/ runs as shipped on a model `npm ci` installs (issue 19, item 21): it
// checks against PP-OCR's direction classifier with no diagnostics and compiles to a model that
// onnxruntime-node loads and runs. Recipes that train (distill/finetune: minutes of training by
// design) are checked here and compiled as written by `npm run bench:distill`, as are the det-*/rec-*
// recipes: they are checked against the model they are written for (their names say which), and
// their minutes-long compiles belong to the bench.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../dsl/parse.ts';
import { recipeTrains } from '../../dsl/table/train.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { isSqz, readSqz } from '../../runtime/sqz/read.ts';
import { tempDir } from '../onnx/build.ts';
import { runCli } from '../support/cli.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const dir = tempDir('examples');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.squish'));
const trains = (name: string) =>
  recipeTrains(parseRecipe(readFileSync(join(ROOT, 'examples', name), 'utf8')).ast);
/** The model a recipe is written for: det-*.squish and rec-*.squish name theirs, the rest are cls's. */
const modelOf = (name: string) =>
  name.startsWith('det-') ? MODELS.det : name.startsWith('rec-') ? MODELS.rec : MODELS.cls;

describe('examples/*.squish on the bundled models', () => {
  it('there are examples to run', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of EXAMPLES) {
    it(`${name}: check finds every selector, compile succeeds, onnxruntime runs the result`, async () => {
      const recipe = join('examples', name);
      const model = modelOf(name);
      const check = await runCli(['check', recipe, '--model', model], ROOT);
      expect(check.stderr, check.stderr).not.toMatch(/error|warning/);
      expect(check.code).toBe(0);
      if (trains(name) || model !== MODELS.cls) return;
      const out = join(dir, `${name}.out`);
      const r = await runCli(['compile', MODELS.cls, '--recipe', recipe, '-o', out, '-q'], ROOT);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const bytes = new Uint8Array(readFileSync(out));
      const onnx = isSqz(bytes) ? exportModel(readSqz(bytes, out)) : bytes;
      const session = await ort.InferenceSession.create(onnx);
      try {
        const x = new ort.Tensor('float32', new Float32Array(3 * 48 * 192).fill(0.5), [1, 3, 48, 192]);
        const y = Object.values(await session.run({ x }))[0]!;
        expect(y.dims).toEqual([1, 2]);
        expect(Array.from(y.data as Float32Array).every(Number.isFinite)).toBe(true);
      } finally {
        await session.release();
      }
    });
  }
});
