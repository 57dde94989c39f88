// import → export of the three OCR models: onnxruntime-node gives bit-identical outputs to the
// originals on fixture images — also after re-storing every weight in the typed *_data fields
// and reordering nothing but the encoding (a different file, the same model).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { exportModel, importModel, TENSOR_META } from '../../runtime/onnx/index.ts';
import { clsInput, detInput, fixtures, recInput, runOrt } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

function sameBits(a: Tensor, b: Tensor): boolean {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  return (
    JSON.stringify(a.dims) === JSON.stringify(b.dims) &&
    Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
      Buffer.from(y.buffer, y.byteOffset, y.byteLength),
    )
  );
}

/** The same model with every tensor stored in float_data/int64_data instead of raw_data. */
function retyped(bytes: Uint8Array): Uint8Array {
  const m = importModel(bytes);
  const tensors: Tensor[] = [...m.graph.initializers.values()];
  for (const n of m.graph.nodes)
    for (const a of n.attributes) if (a.type === 'TENSOR') tensors.push(a.value as Tensor);
  for (const t of tensors) {
    const meta = TENSOR_META.get(t);
    if (meta) meta.storage = 'typed';
  }
  return exportModel(m);
}

const CASES = [
  { key: 'cls', input: clsInput, files: fixtures('flipped').slice(0, 2) },
  { key: 'rec', input: (f: string) => recInput(f), files: fixtures('lines').slice(0, 2) },
  { key: 'det', input: detInput, files: fixtures('pages').slice(0, 1) },
] as const;

describe('OCR models through import → export run bit-identically in onnxruntime', () => {
  for (const c of CASES) {
    it(`${c.key}: ${c.files.map((f) => f.name).join(', ')}`, async () => {
      const original = new Uint8Array(readFileSync(MODELS[c.key]));
      const exported = exportModel(importModel(original));
      const typed = retyped(original);
      expect(Buffer.from(typed).equals(Buffer.from(original))).toBe(false); // really a different file
      for (const f of c.files) {
        const x = await c.input(f.file);
        const want = await runOrt(original, { x });
        for (const variant of [exported, typed]) {
          const got = await runOrt(variant, { x });
          expect(Object.keys(got)).toEqual(Object.keys(want));
          for (const k of Object.keys(want))
            expect(sameBits(got[k]!, want[k]!), `${c.key} ${f.name} ${k}`).toBe(true);
        }
      }
    });
  }
});
