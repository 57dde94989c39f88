// External data: squish writes large tensors (initializers and Constant-node values) to a .data
// file beside the model, atomically; onnxruntime runs that pair bit-identically to the original,
// and squish reads it back to the same model.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFile, saveModelFile } from '../../compiler/io/model-file.ts';
import { isUserError } from '../../runtime/errors.ts';
import { decodeMessage, type Msg } from '../../runtime/onnx/codec.ts';
import { exportModel, importModel } from '../../runtime/onnx/index.ts';
import { clsInput, fixtures, runOrt } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';
import { tempDir } from './build.ts';

const dir = tempDir('ext');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('external data', () => {
  it('cls saved with external data: small .onnx, onnxruntime bit-identical, reads back to the same model', async () => {
    const original = new Uint8Array(readFileSync(MODELS.cls));
    const target = join(dir, 'cls.onnx');
    saveModelFile(target, importModel(original), { externalData: { location: 'cls.data', threshold: 1024 } });
    saveModelFile(target, importModel(original), { externalData: { location: 'cls.data', threshold: 1024 } }); // overwrite
    expect(readdirSync(dir).sort()).toEqual(['cls.data', 'cls.onnx']); // no temp files left
    expect(statSync(target).size).toBeLessThan(original.length / 2);
    const msg = decodeMessage('ModelProto', new Uint8Array(readFileSync(target)));
    const external = ((msg.graph as Msg).node as Msg[]).filter(
      (n) => ((n.attribute as Msg[])?.[0]?.t as Msg)?.data_location === 1,
    );
    expect(external.length).toBeGreaterThan(10);
    const x = await clsInput(fixtures('flipped')[0]!.file);
    const want = Object.values(await runOrt(original, { x }))[0]!.data as Float32Array;
    const got = Object.values(await runOrt(target, { x }))[0]!.data as Float32Array;
    expect(
      Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(
        Buffer.from(want.buffer, want.byteOffset, want.byteLength),
      ),
    ).toBe(true);
    // read back through the loader and embed again: the original file, byte for byte
    expect(Buffer.from(exportModel(loadModelFile(target))).equals(Buffer.from(original))).toBe(true);
  });

  it('a model whose tensors exceed 2 GB is refused in one protobuf, with the way out', () => {
    const m = importModel(new Uint8Array(readFileSync(MODELS.cls)));
    // dims claim 2^31 floats; the check runs on sizes before any encoding or allocation
    m.graph.addInitializer('huge', { dtype: 'float32', dims: [2 ** 31], data: new Float32Array(1) });
    let err: unknown;
    try {
      exportModel(m);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/more than one protobuf message can hold \(2 GB\)/);
  });
});
