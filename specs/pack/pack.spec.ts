// The .sqz container (issue 9): pack ∘ unpack is the identity on random models (ONNX bytes equal,
// every tensor bit-identical, Constant-node tensors and typed storage included); the Huffman code
// lengths it uses are optimal (entropy H ≤ mean length L < H + 1) and decode with the runtime's
// decoder; damaged containers (truncated, corrupted, unknown version, index stream past its tensor)
// are one UserError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { huffmanEncode, huffmanLengths } from '../../compiler/codec/huffman.ts';
import { ByteWriter } from '../../compiler/pack/bytes.ts';
import { writeStream } from '../../compiler/pack/encode.ts';
import { packSqz } from '../../compiler/pack/write.ts';
import { isUserError } from '../../runtime/errors.ts';
import type { DType } from '../../runtime/ir/dtype.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { allocData, type Tensor } from '../../runtime/ir/tensor.ts';
import { TENSOR_META } from '../../runtime/ir/tensor-meta.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { ByteReader } from '../../runtime/sqz/bytes.ts';
import { huffmanDecode, readLengths } from '../../runtime/sqz/huffman.ts';
import { readSqz } from '../../runtime/sqz/read.ts';
import { pastTensorSqz } from './bad.ts';

const DTYPES: DType[] = [
  'float32',
  'uint8',
  'int8',
  'uint4',
  'int4',
  'uint2',
  'int2',
  'uint16',
  'int16',
  'int32',
  'int64',
  'float16',
  'bool',
];

const RANGE: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint4: [0, 15],
  int4: [-8, 7],
  uint2: [0, 3],
  int2: [-2, 1],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  float16: [0, 65535],
  bool: [0, 1],
};

/** A tensor of `dtype`: mostly zeros, a few repeated values, or arbitrary bits (NaN, −0, denormals …). */
const tensorArb = fc
  .record({
    dtype: fc.constantFrom(...DTYPES),
    dims: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 0, maxLength: 3 }),
    zeros: fc.constantFrom(0, 0.5, 0.9, 0.99),
    distinct: fc.constantFrom(2, 17, 1000),
    seed: fc.integer(),
    typed: fc.boolean(),
  })
  .map(({ dtype, dims, zeros, distinct, seed, typed }) => {
    let s = seed >>> 0;
    const rnd = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const d = dims.length && rnd() < 0.5 ? [...dims, 16] : dims; // some tensors past the coding threshold
    const n = d.reduce((a, b) => a * b, 1);
    const t: Tensor = { dtype, dims: d, data: allocData(dtype, n) };
    const palette = Array.from({ length: distinct }, () => Math.floor(rnd() * 2 ** 32) >>> 0);
    for (let i = 0; i < n; i++) {
      if (rnd() < zeros) continue;
      const bits = palette[Math.floor(rnd() * palette.length)]!;
      if (dtype === 'float32' && distinct === 1000)
        (t.data as Float32Array)[i] = (rnd() - 0.5) * 0.2; // weight-like
      else if (dtype === 'float32') new Uint32Array((t.data as Float32Array).buffer)[i] = bits;
      else if (dtype === 'int64') (t.data as BigInt64Array)[i] = BigInt(bits) - 2n ** 31n;
      else {
        const [lo, hi] = RANGE[dtype]!;
        (t.data as Int32Array)[i] = lo + (bits % (hi - lo + 1));
      }
    }
    if (typed) TENSOR_META.set(t, { storage: 'typed' });
    return t;
  });

function randomModel(tensors: Tensor[], constants: Tensor[]): Model {
  const g = new Graph('g');
  g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [1, 'N'] } }];
  g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: [1, 'N'] } }];
  for (const [i, t] of tensors.entries()) g.addInitializer(`w${i}`, t);
  for (const [i, t] of constants.entries())
    g.addNode({ op: 'Constant', name: `c${i}`, outputs: [`c${i}`], attrs: { value: t } });
  g.addNode({ op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] });
  const m = new Model(g);
  m.irVersion = 10;
  m.opsetImports = [{ domain: '', version: 21 }];
  m.setMetadata('squish.recipe', 'cluster weights of * { clusters 16 }');
  return m;
}

function bitsOf(t: Tensor): Uint8Array {
  const d = t.data as Exclude<Tensor['data'], Uint8Array[]>;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function userError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isUserError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('.sqz pack ∘ unpack', () => {
  it('is the identity on random models: ONNX bytes equal, tensors bit-identical', () => {
    fc.assert(
      fc.property(
        fc.array(tensorArb, { maxLength: 6 }),
        fc.array(tensorArb, { maxLength: 3 }),
        (tensors, constants) => {
          const m = randomModel(tensors, constants);
          const before = exportModel(m);
          const packed = packSqz(m);
          expect(exportModel(m)).toEqual(before); // packing leaves the model alone
          const back = readSqz(packed.bytes);
          expect(exportModel(back)).toEqual(before);
          const got = [...back.graph.initializers.values()];
          tensors.forEach((t, i) => {
            expect(got[i]!.dtype).toBe(t.dtype);
            expect(got[i]!.dims).toEqual(t.dims);
            expect(bitsOf(got[i]!)).toEqual(bitsOf(t));
          });
          const cs = back.graph.nodes.filter((n) => n.opType === 'Constant');
          for (const [i, t] of constants.entries())
            expect(bitsOf(cs[i]!.attrs.value as Tensor)).toEqual(bitsOf(t));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('codes each kind of tensor its own way, losslessly', () => {
    const n = 4096;
    let s = 7;
    const rnd = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const weights = Float32Array.from({ length: n }, () => (rnd() - 0.5) * 0.2);
    const shared = Float32Array.from({ length: n }, () => [0, 0.25, -0.5, 1.5][Math.floor(rnd() * 4)]!);
    const pruned = Float32Array.from(weights, (x, i) => (i % 4 ? 0 : x));
    const codes = Int8Array.from({ length: n }, () => Math.round((rnd() - 0.5) * 20));
    const m = randomModel(
      [
        { dtype: 'float32', dims: [n], data: weights },
        { dtype: 'float32', dims: [n], data: shared },
        { dtype: 'float32', dims: [n], data: pruned },
        { dtype: 'int8', dims: [n], data: codes },
      ],
      [],
    );
    const p = packSqz(m);
    const kind = (k: string) => `${p.records.get(k)!.values}/${p.records.get(k)!.layout}`;
    expect([kind('w0'), kind('w1'), kind('w2'), kind('w3')]).toEqual([
      'split32/dense',
      'codebook/dense',
      'split32/sparse',
      'zigzag/dense',
    ]);
    for (const k of ['w0', 'w1', 'w2', 'w3']) expect(p.records.get(k)!.bytes).toBeLessThan(n * 4);
    expect(exportModel(readSqz(p.bytes))).toEqual(exportModel(m));
  });

  it('codes sparse and clustered tensors smaller than their raw bytes', () => {
    const idx = new Uint8Array(4096);
    for (let i = 0; i < idx.length; i++) idx[i] = i % 3 === 0 ? 1 + ((i * 7) % 16) : 0;
    const m = randomModel([{ dtype: 'uint8', dims: [64, 64], data: idx }], []);
    const p = packSqz(m);
    const rec = p.records.get('w0')!;
    expect(rec.layout).toBe('sparse');
    expect(rec.bytes).toBeLessThan(4096 / 2);
    expect(exportModel(readSqz(p.bytes))).toEqual(exportModel(m));
  });
});

describe('Huffman code lengths in the container', () => {
  it('are optimal for their frequencies (H ≤ L < H + 1) and decode with the runtime decoder', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(40), { minLength: 1, maxLength: 400 }), (symbols) => {
        const alphabet = 41;
        const freqs = new Float64Array(alphabet);
        for (const s of symbols) freqs[s]!++;
        const lengths = huffmanLengths(freqs);
        const n = symbols.length;
        let H = 0;
        let L = 0;
        let used = 0;
        for (let s = 0; s < alphabet; s++) {
          if (!freqs[s]) continue;
          used++;
          const p = freqs[s]! / n;
          H -= p * Math.log2(p);
          L += p * lengths[s]!;
        }
        if (used > 1) {
          expect(L).toBeGreaterThanOrEqual(H - 1e-9);
          expect(L).toBeLessThan(H + 1);
        } else expect(L).toBe(1);
        // the stream as the container stores it, read back by runtime/sqz
        const w = new ByteWriter();
        writeStream(w, symbols, alphabet);
        const r = new ByteReader(w.finish());
        const table = readLengths(r, alphabet, 'spec');
        const bits = r.varint();
        const got = huffmanDecode(r.slice(Math.ceil(bits / 8)), table, n, bits, 'spec');
        expect(Array.from(got)).toEqual(symbols);
        expect(bits).toBe(huffmanEncode(symbols, lengths).bitLength);
      }),
      { numRuns: 100 },
    );
  });
});

describe('.sqz bad input', () => {
  const idx = new Uint8Array(1024).map((_, i) => (i % 5 === 0 ? 1 + (i % 7) : 0));
  const model = randomModel([{ dtype: 'uint8', dims: [32, 32], data: idx }], []);
  const good = packSqz(model).bytes;

  it('truncated at any length → UserError', () => {
    for (const k of [0, 3, 8, 11, 12, 40, good.length - 5, good.length - 1]) {
      const msg = userError(() => readSqz(good.slice(0, k)));
      expect(msg).toMatch(k < 4 ? /not a \.sqz file/ : /truncated/);
    }
  });

  it('a corrupted byte → checksum UserError; trailing bytes → UserError', () => {
    for (const at of [12, 20, Math.floor(good.length / 2), good.length - 6]) {
      const bad = good.slice();
      bad[at]! ^= 0x10;
      expect(userError(() => readSqz(bad))).toMatch(/CRC-32/);
    }
    expect(userError(() => readSqz(Uint8Array.of(...good, 0)))).toMatch(/stray bytes/);
  });

  it('an unknown version → UserError naming it', () => {
    const bad = good.slice();
    bad[4] = 7;
    expect(userError(() => readSqz(bad))).toMatch(/version 7.*reads version 1/);
  });

  it('an index stream that decodes past its tensor → UserError (checksum valid)', () => {
    const bad = pastTensorSqz(model, 'w0');
    expect(userError(() => readSqz(bad))).toMatch(/decodes past its tensor/);
  });
});
