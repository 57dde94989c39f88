// The fixture helpers reproduce what the real models expect: onnxruntime reads the fixtures right.
import { describe, expect, it } from 'vitest';
import { argmax, clsInput, ctcDecode, detInput, fixtures, recInput, runOrt, textMapIoU } from './ocr.ts';
import { MODELS } from './paths.ts';

describe('OCR fixtures through onnxruntime-node', () => {
  it('rec reads the upright lines as their manifest text (spaces aside)', async () => {
    const lines = fixtures('lines');
    let exact = 0;
    for (const e of lines) {
      const x = await recInput(e.file);
      const out = Object.values(await runOrt(MODELS.rec, { x }))[0];
      if (ctcDecode(out).replace(/\s+/g, '') === e.text.replace(/\s+/g, '')) exact++;
    }
    expect(exact / lines.length).toBeGreaterThan(0.95);
  });
  it('cls tells upright (0) from flipped (1) lines', async () => {
    let right = 0;
    const all = [...fixtures('lines'), ...fixtures('flipped')];
    for (const e of all) {
      const x = await clsInput(e.file);
      const out = Object.values(await runOrt(MODELS.cls, { x }))[0];
      if (argmax(out)[0] === (e.kind === 'flipped' ? 1 : 0)) right++;
    }
    expect(right / all.length).toBeGreaterThan(0.9);
  });
  it('det finds text on a page', async () => {
    const [page] = fixtures('pages');
    const x = await detInput(page.file);
    const map = Object.values(await runOrt(MODELS.det, { x }))[0];
    expect(map.dims).toEqual([1, 1, 640, 640]);
    const on = (map.data as Float32Array).filter((v) => v > 0.3).length;
    expect(on / (640 * 640)).toBeGreaterThan(0.01);
    expect(textMapIoU(map, map)).toBe(1);
  });
});
