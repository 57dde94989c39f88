// The .sqz container: pack ∘ unpack is the identity on random models (ONNX bytes equal, every tensor
// bit-identical, Constant-node tensors and typed storage included) whichever coding the parts get;
// version 1 files (the fixture written by the version 1 writer) still read bit for bit; damaged
// containers (truncated, corrupted, unknown version, a v1 index stream past its tensor, v2 tables
// naming what does not exist, value streams cut short, random damage behind a valid checksum) are
// one UserError.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packSqz } from '../../compiler/pack/write.ts';
import { isUserError } from '../../runtime/errors.ts';
import type { DType } from '../../runtime/ir/dtype.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { allocData, type Tensor } from '../../runtime/ir/tensor.ts';
import { TENSOR_META } from '../../runtime/ir/tensor-meta.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { CODING, VALUES } from '../../runtime/sqz/format.ts';
import { readSqz, readSqzInfo } from '../../runtime/sqz/read.ts';
import { editPayload, editStructure, pastTensorSqz } from './bad.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

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

/** Nodes of ops squish does not know, with arbitrary names and attributes (they pass through). */
const nodeArb = fc.record({
  op: fc.constantFrom('Foo', 'Bar', 'Relu'),
  domain: fc.constantFrom('', 'com.example'),
  name: fc.string({ maxLength: 20 }),
  inputs: fc.array(fc.constantFrom('x', ''), { maxLength: 3 }),
  outputs: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 2 }),
  attrs: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 8 }),
    fc.oneof(
      fc.integer(),
      fc.float({ noNaN: true }),
      fc.string({ maxLength: 16 }),
      fc.array(fc.integer(), { maxLength: 4 }),
    ),
    { maxKeys: 3 },
  ),
});

function randomModel(
  tensors: Tensor[],
  constants: Tensor[],
  nodes: (typeof nodeArb extends fc.Arbitrary<infer N> ? N : never)[] = [],
): Model {
  const g = new Graph('g');
  g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [1, 'N'] } }];
  g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: [1, 'N'] } }];
  for (const [i, t] of tensors.entries()) g.addInitializer(`w${i}`, t);
  for (const [i, t] of constants.entries())
    g.addNode({ op: 'Constant', name: `c${i}`, outputs: [`c${i}`], attrs: { value: t } });
  for (const [i, n] of nodes.entries())
    g.addNode({ ...n, outputs: n.outputs.map((o, k) => `r${i}.${k}:${o}`) });
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
  it('is the identity on random models and graphs, whichever coding: ONNX bytes equal, tensors bit-identical', () => {
    fc.assert(
      fc.property(
        fc.array(tensorArb, { maxLength: 6 }),
        fc.array(tensorArb, { maxLength: 3 }),
        fc.array(nodeArb, { maxLength: 4 }),
        fc.constantFrom(undefined, 'raw', 'static', 'adaptive'),
        (tensors, constants, nodes, coding) => {
          const m = randomModel(tensors, constants, nodes);
          const before = exportModel(m);
          const packed = packSqz(m, coding ? { coding } : {});
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
      { numRuns: 80 },
    );
  });

  it('codes each kind of tensor its own way, losslessly, in fewer bits than raw', () => {
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
    expect(p.records.map((r) => r.label)).toEqual(['w0', 'w1', 'w2', 'w3']);
    expect(
      p.records.map((r) => Object.keys(VALUES).find((k) => VALUES[k as keyof typeof VALUES] === r.values)),
    ).toEqual(['float', 'codebook', 'float', 'zigzag']);
    const { info } = readSqzInfo(p.bytes);
    const raw = [32, 32, 32, 8];
    for (const [i, r] of info.records.entries()) expect(r.bits).toBeLessThan(n * raw[i]!);
    // shared: 2 bits of indices at most (4 values) plus a tiny codebook; pruned: a quarter of the floats
    expect(info.records[1]!.bits).toBeLessThan(n * 2.1);
    expect(info.records[2]!.bits).toBeLessThan(info.records[0]!.bits / 3);
    expect(exportModel(readSqz(p.bytes))).toEqual(exportModel(m));
  });

  it('codes sparse and clustered tensors smaller than their raw bytes', () => {
    const idx = new Uint8Array(4096);
    for (let i = 0; i < idx.length; i++) idx[i] = i % 3 === 0 ? 1 + ((i * 7) % 16) : 0;
    const m = randomModel([{ dtype: 'uint8', dims: [64, 64], data: idx }], []);
    const p = packSqz(m);
    expect(p.records[0]!.part.coding).toBe(CODING.adaptive);
    expect(p.bytes.length).toBeLessThan(4096 / 2);
    expect(exportModel(readSqz(p.bytes))).toEqual(exportModel(m));
  });

  it('reads version 1 containers: the fixture from the version 1 writer gives back its ONNX bit for bit', () => {
    const v1 = new Uint8Array(readFileSync(join(FIXTURES, 'v1.sqz')));
    expect(v1[4]).toBe(1);
    const { model, info } = readSqzInfo(v1);
    expect(exportModel(model)).toEqual(new Uint8Array(readFileSync(join(FIXTURES, 'v1.onnx'))));
    expect(info.version).toBe(1);
    expect(new Set(info.records.map((r) => r.values))).toEqual(
      new Set(['split32', 'codebook', 'zigzag', 'uint', 'raw32']),
    );
  });
});

describe('.sqz bad input', () => {
  const idx = new Uint8Array(1024).map((_, i) => (i % 5 === 0 ? 1 + (i % 7) : 0));
  const model = randomModel([{ dtype: 'uint8', dims: [1024], data: idx }], []);
  const packed = packSqz(model);
  const good = packed.bytes;

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
    expect(userError(() => readSqz(bad))).toMatch(/version 7.*reads versions 1 to 2/);
  });

  it('version 1: an index stream that decodes past its tensor → UserError (checksum valid)', () => {
    const bad = pastTensorSqz(model, 'w0');
    expect(userError(() => readSqz(bad))).toMatch(/decodes past its tensor/);
  });

  it('version 2: a record table naming a missing model, a wrong value kind or absurd sizes → UserError', () => {
    // the table ends …, dims 1024 (0x80 0x08), value kind, coding (adaptive), model 0
    expect(packed.records[0]!.part.coding).toBe(CODING.adaptive);
    const at = (d: number) => (s: Uint8Array) => s.length - d;
    const set = (d: number, v: number) => (s: Uint8Array) => {
      s[at(d)(s)] = v;
      return s;
    };
    expect(userError(() => readSqz(editStructure(good, set(1, 9))))).toMatch(/names model 9 of 1/);
    expect(userError(() => readSqz(editStructure(good, set(3, 9))))).toMatch(/uses value kind 9/);
    const huge = (s: Uint8Array) =>
      Uint8Array.of(
        ...s.subarray(0, s.length - 5),
        0x80,
        0x80,
        0x80,
        0x80,
        0x04,
        ...s.subarray(s.length - 3),
      );
    expect(userError(() => readSqz(editStructure(good, huge)))).toMatch(/declares 1073741824 elements/);
    expect(userError(() => readSqz(editStructure(good, (s) => Uint8Array.of(...s, 0))))).toMatch(
      /unread bytes after its record table/,
    );
  });

  it('version 2: a value stream cut short or with stray bytes → UserError', () => {
    expect(userError(() => readSqz(editPayload(good, (p) => p.subarray(0, p.length - 3))))).toMatch(
      /corrupted/,
    );
    expect(userError(() => readSqz(editPayload(good, (p) => Uint8Array.of(...p, 1, 2))))).toMatch(
      /unread bytes/,
    );
  });

  it('random damage behind a valid checksum: a model or one UserError, never another error', () => {
    const mixed = randomModel(
      [
        { dtype: 'uint8', dims: [32, 32], data: idx },
        { dtype: 'float32', dims: [300], data: Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)) },
        { dtype: 'int4', dims: [200], data: Int8Array.from({ length: 200 }, (_, i) => (i % 15) - 8) },
      ],
      [],
    );
    const base = packSqz(mixed).bytes;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        (edits, cut) => {
          const bad = editPayload(base, (p) => {
            for (const e of edits) p[e.at % p.length] = e.value;
            return cut % 3 === 0 ? p.subarray(0, cut % p.length) : p;
          });
          try {
            readSqz(bad);
          } catch (e) {
            if (!isUserError(e)) throw e;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
