// Every ONNX dtype through TensorProto (raw_data and the typed fields) and back; int4/uint4/int2/
// uint2 packing low bits first; onnxruntime reads squish's packed int4/int2 and float16/bfloat16.
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DTYPE_CODES, type DType } from '../../runtime/ir/dtype.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { packSubByte, subByteRange, unpackSubByte } from '../../runtime/ir/packing.ts';
import { allocData, type Tensor } from '../../runtime/ir/tensor.ts';
import { decodeMessage, encode } from '../../runtime/onnx/codec.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { decodeTensor, encodeTensor } from '../../runtime/onnx/tensor-proto.ts';

const ALL = Object.keys(DTYPE_CODES) as DType[];

function randomTensor(dtype: DType, n: number, seed: number): Tensor {
  let s = seed >>> 0 || 7;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s;
  };
  const data = allocData(dtype, n);
  if (Array.isArray(data)) {
    for (let i = 0; i < n; i++) data[i] = Uint8Array.from({ length: next() % 5 }, () => next() & 0xff);
  } else if (dtype === 'int4' || dtype === 'int2' || dtype === 'uint4' || dtype === 'uint2') {
    const [lo, hi] = subByteRange(dtype);
    for (let i = 0; i < n; i++) (data as Int8Array)[i] = lo + (next() % (hi - lo + 1));
  } else if (dtype === 'float4e2m1') {
    for (let i = 0; i < n; i++) (data as Uint8Array)[i] = next() & 0xf;
  } else if (dtype === 'bool') {
    for (let i = 0; i < n; i++) (data as Uint8Array)[i] = next() & 1;
  } else {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
    if (data instanceof Float32Array || data instanceof Float64Array) {
      for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) data[i] = i; // NaN payloads aside
    }
  }
  return { dtype, dims: [n], data };
}

const bitsOf = (t: Tensor) =>
  Array.isArray(t.data)
    ? t.data.map((b) => Buffer.from(b).toString('hex'))
    : Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

describe('dtypes', () => {
  it('packs int4/uint4/int2/uint2 low bits first (ONNX spec examples)', () => {
    expect([...packSubByte('int4', Int8Array.of(1, -2, 3))]).toEqual([0xe1, 0x03]);
    expect([...packSubByte('uint4', Uint8Array.of(15, 0, 7))]).toEqual([0x0f, 0x07]);
    expect([...packSubByte('int2', Int8Array.of(1, -1, -2, 0, 1))]).toEqual([0x2d, 0x01]);
    expect([...packSubByte('uint2', Uint8Array.of(3, 2, 1, 0))]).toEqual([0x1b]);
    expect([...unpackSubByte('int4', Uint8Array.of(0xe1, 0x03), 3)]).toEqual([1, -2, 3]);
  });

  it('pack ∘ unpack is the identity, ceil(n·bits/8) bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DType>('int4', 'uint4', 'int2', 'uint2'),
        fc.nat({ max: 40 }),
        fc.nat(),
        (dt, n, seed) => {
          const t = randomTensor(dt, n, seed);
          const packed = packSubByte(dt, t.data as Int8Array);
          expect(packed.length).toBe(Math.ceil((n * (dt.endsWith('4') ? 4 : 2)) / 8));
          expect([...unpackSubByte(dt, packed, n)]).toEqual([...(t.data as Int8Array)]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('every dtype survives TensorProto (raw and typed fields) bit for bit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        fc.nat({ max: 9 }),
        fc.nat(),
        fc.boolean(),
        (dt, n, seed, typed) => {
          const t = randomTensor(dt, n, seed);
          const msg = encodeTensor(t, 't', typed ? 'typed' : 'raw');
          const back = decodeTensor(decodeMessage('TensorProto', encode('TensorProto', msg)), 'spec');
          expect(back.dtype).toBe(dt);
          expect(back.dims).toEqual([n]);
          expect(bitsOf(back)).toEqual(bitsOf(t));
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** Half and bfloat16 bits → number, written here independently of squish. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
const bf16ToFloat = (b: number) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!;

async function runOne(m: Model): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(exportModel(m), { logSeverityLevel: 3 });
  try {
    const r = await s.run({});
    return r.y!.data as Float32Array;
  } finally {
    await s.release();
  }
}

function dqModel(dt: DType, values: number[], zp: number, scale: number, opset: number): Model {
  const g = new Graph('dq');
  const n = values.length;
  const data = allocData(dt, n) as Int8Array;
  data.set(values);
  g.addInitializer('w', { dtype: dt, dims: [n], data });
  const z = allocData(dt, 1) as Int8Array;
  z[0] = zp;
  g.addInitializer('zp', { dtype: dt, dims: [], data: z });
  g.addInitializer('scale', { dtype: 'float32', dims: [], data: Float32Array.of(scale) });
  g.addNode({ op: 'DequantizeLinear', inputs: ['w', 'scale', 'zp'], outputs: ['y'] });
  g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: [n] } }];
  const m = new Model(g);
  m.irVersion = opset >= 25 ? 13 : 10;
  m.opsetImports = [{ domain: '', version: opset }];
  return m;
}

describe('onnxruntime reads what squish writes', () => {
  for (const [dt, opset] of [
    ['int4', 21],
    ['uint4', 21],
    ['int2', 25],
    ['uint2', 25],
  ] as const) {
    it(`${dt} weights through DequantizeLinear (opset ${opset})`, async () => {
      const [lo, hi] = subByteRange(dt);
      const values = Array.from({ length: 11 }, (_, i) => lo + ((i * 5) % (hi - lo + 1)));
      const zp = lo + 1;
      const y = await runOne(dqModel(dt, values, zp, 0.5, opset));
      expect([...y]).toEqual(values.map((v) => (v - zp) * 0.5));
    });
  }

  for (const dt of ['float16', 'bfloat16'] as const) {
    it(`${dt} bits through Cast to float32`, async () => {
      const bits = Uint16Array.from({ length: 64 }, (_, i) => (i * 2654435761) >>> 16).map((b) =>
        (((b >> 7) & 0xff) === 0xff && dt === 'bfloat16') || ((b >> 10) & 0x1f) === 0x1f ? b & 0x3fff : b,
      );
      const g = new Graph('cast');
      g.addInitializer('w', { dtype: dt, dims: [bits.length], data: bits });
      g.addNode({ op: 'Cast', inputs: ['w'], outputs: ['y'], attrs: { to: 1 } });
      g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: [bits.length] } }];
      const m = new Model(g);
      m.opsetImports = [{ domain: '', version: 17 }];
      const y = await runOne(m);
      expect([...y]).toEqual(
        [...bits].map((b) => Math.fround(dt === 'float16' ? halfToFloat(b) : bf16ToFloat(b))),
      );
    });
  }
});
