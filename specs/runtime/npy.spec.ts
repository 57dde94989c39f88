// .npy codec: reads what numpy.save writes (fixtures in ./npy, written by numpy 2.4), round-trips every
// supported dtype, writes 4/2-bit tensors widened to int8/uint8, and rejects what it cannot read.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../runtime/errors.ts';
import type { DType } from '../../runtime/ir/dtype.ts';
import { allocData, sizeOf, type Tensor } from '../../runtime/ir/tensor.ts';
import { parseNpy, serializeNpy } from '../../runtime/npy.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'npy');
const load = (f: string) => parseNpy(new Uint8Array(readFileSync(join(DIR, f))), f);
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>);

describe('.npy', () => {
  it('reads numpy.save output', () => {
    const f = load('f32_2x3.npy');
    expect([f.dtype, f.dims]).toEqual(['float32', [2, 3]]);
    expect(values(f)).toEqual([1.5, -2, 0.25, 3, Number.POSITIVE_INFINITY, -0]);
    const i = load('i64_4.npy');
    expect([i.dtype, i.dims, values(i)]).toEqual(['int64', [4], [1n, -3n, 48n, 2n ** 40n]]);
    const b = load('bool_2x2.npy');
    expect([b.dtype, b.dims, values(b)]).toEqual(['bool', [2, 2], [1, 0, 0, 1]]);
    const s = load('f64_scalar.npy');
    expect([s.dtype, s.dims, values(s)]).toEqual(['float64', [], [3.25]]);
    const u = load('u8_3.npy');
    expect([u.dtype, u.dims, values(u)]).toEqual(['uint8', [3], [0, 128, 255]]);
  });

  it('rejects Fortran order, big-endian, truncated and non-.npy bytes with a UserError', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => load('i32_fortran.npy'), /Fortran-order/],
      [() => load('f32_big_endian.npy'), /big-endian/],
      [
        () => parseNpy(new Uint8Array(readFileSync(join(DIR, 'f32_2x3.npy'))).subarray(0, 140), 'cut.npy'),
        /cut.npy: data holds/,
      ],
      [() => parseNpy(new TextEncoder().encode('hello, world'), 'x.txt'), /x.txt: not a .npy file/],
    ];
    for (const [f, msg] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isUserError(err), String(err)).toBe(true);
      expect((err as Error).message).toMatch(msg);
    }
  });

  it('writes 4- and 2-bit tensors unpacked as int8 / uint8', () => {
    const t = parseNpy(serializeNpy({ dtype: 'int4', dims: [3], data: Int8Array.of(-8, 0, 7) }));
    expect([t.dtype, values(t)]).toEqual(['int8', [-8, 0, 7]]);
    const u = parseNpy(serializeNpy({ dtype: 'uint2', dims: [2], data: Uint8Array.of(3, 1) }));
    expect([u.dtype, values(u)]).toEqual(['uint8', [3, 1]]);
  });

  it('round-trips every supported dtype and shape (headers 64-byte aligned)', () => {
    const dtypes: DType[] = [
      'float32',
      'float64',
      'int8',
      'uint8',
      'int16',
      'uint16',
      'int32',
      'uint32',
      'int64',
      'bool',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...dtypes),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 255 }),
        (dtype, dims, seed) => {
          const data = allocData(dtype, sizeOf(dims)) as unknown as {
            [i: number]: number | bigint;
            length: number;
          };
          for (let i = 0; i < data.length; i++) {
            const v = (seed + i * 37) % (dtype === 'bool' ? 2 : 100);
            data[i] = dtype === 'int64' ? BigInt(v) : v;
          }
          const t = { dtype, dims, data } as unknown as Tensor;
          const bytes = serializeNpy(t);
          const headerLen = bytes[8]! | (bytes[9]! << 8);
          expect((10 + headerLen) % 64).toBe(0);
          const back = parseNpy(bytes);
          expect([back.dtype, back.dims, values(back)]).toEqual([dtype, dims, values(t)]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
