// Sparse initializers: squish writes a mostly-zero weight as a SparseTensorProto (COO), onnxruntime
// runs it bit-identically to the dense model, squish reads it back to the same dense tensor and
// re-exports the same bytes; bad indices are a UserError.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../runtime/errors.ts';
import { modelStats } from '../../runtime/ir/shape/stats.ts';
import { markSparse } from '../../runtime/ir/tensor-meta.ts';
import { decodeMessage, encode, type Msg } from '../../runtime/onnx/codec.ts';
import { exportModel, importModel } from '../../runtime/onnx/index.ts';
import { makeModel } from './build.ts';

function model(sparse: boolean) {
  const m = makeModel([['x', 'float32', [2, 6]]], [['y', 'float32', [2, 5]]], 13);
  const w = new Float32Array(30);
  w[3] = 1.5;
  w[17] = -2;
  w[29] = 0.25;
  const t = { dtype: 'float32' as const, dims: [6, 5], data: w };
  if (sparse) markSparse(t);
  m.graph.addInitializer('w', t);
  m.graph.addNode({ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] });
  return m;
}

async function run(bytes: Uint8Array) {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const x = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);
    return (await s.run({ x: new ort.Tensor('float32', x, [2, 6]) })).y!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('sparse initializers', () => {
  it('written as COO, run bit-identically by onnxruntime, read back dense, re-exported byte-identical', async () => {
    const dense = exportModel(model(false));
    const sparse = exportModel(model(true));
    const g = decodeMessage('ModelProto', sparse).graph as Msg;
    expect(g.initializer).toBeUndefined();
    const sp = (g.sparse_initializer as Msg[])[0]!;
    expect((sp.values as Msg).dims).toEqual([3]);
    expect(sp.dims).toEqual([6, 5]);
    expect(Buffer.from(await run(sparse)).equals(Buffer.from(await run(dense)))).toBe(true);
    const back = importModel(sparse);
    const w = back.graph.constant('w')!;
    expect(w.dims).toEqual([6, 5]);
    expect([...(w.data as Float32Array)]).toEqual([
      ...(model(false).graph.constant('w')!.data as Float32Array),
    ]);
    expect(Buffer.from(exportModel(back)).equals(Buffer.from(sparse))).toBe(true);
    expect(modelStats(back).totals.bytes).toBe(3 * 4 + 3 * 8);
    expect(modelStats(back).totals.params).toBe(30);
  });

  it('editing the dense data re-encodes it', () => {
    const m = importModel(exportModel(model(true)));
    (m.graph.constant('w')!.data as Float32Array)[0] = 7;
    const sp = ((decodeMessage('ModelProto', exportModel(m)).graph as Msg).sparse_initializer as Msg[])[0]!;
    expect((sp.values as Msg).dims).toEqual([4]);
  });

  it('indices out of range are a UserError', () => {
    const msg = decodeMessage('ModelProto', exportModel(model(true)));
    const sp = ((msg.graph as Msg).sparse_initializer as Msg[])[0]!;
    const idx = sp.indices as Msg;
    idx.raw_data = new Uint8Array(BigInt64Array.of(3n, 17n, 30n).buffer);
    let err: unknown;
    try {
      importModel(encode('ModelProto', msg));
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/sparse tensor 'w': index 30 out of range for 30 elements/);
  });
});
