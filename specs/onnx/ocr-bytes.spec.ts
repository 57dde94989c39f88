// The three real OCR models survive import → export byte for byte, and weights stored as
// Constant nodes are visible as constants.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportModel, importModel } from '../../runtime/onnx/index.ts';
import { MODELS } from '../support/paths.ts';

describe('OCR models: import → export', () => {
  for (const key of ['det', 'rec', 'cls'] as const) {
    it(`${key}: export(import(bytes)) is byte-identical`, () => {
      const bytes = new Uint8Array(readFileSync(MODELS[key]));
      const model = importModel(bytes);
      const out = exportModel(model);
      expect(out.length).toBe(bytes.length);
      expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
      // deterministic: a second export gives the same bytes
      expect(Buffer.from(exportModel(model)).equals(Buffer.from(out))).toBe(true);
    });
  }
  it('Constant-node weights are constants', () => {
    const m = importModel(new Uint8Array(readFileSync(MODELS.cls)));
    const convs = m.graph.nodes.filter((n) => n.opType === 'Conv');
    expect(convs.length).toBeGreaterThan(0);
    for (const c of convs) {
      const w = m.graph.constant(c.inputs[1]!);
      expect(w?.dtype).toBe('float32');
      expect(w?.dims.length).toBe(4);
      expect(m.graph.producer(c.inputs[1]!)?.opType).toBe('Constant');
    }
  });
});
