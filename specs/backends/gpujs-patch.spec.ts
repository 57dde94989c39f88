// The gpu.js patch (patches/gpu.js+2.24.1.patch, applied at install) is in place and keeps results
// exact: loop counters compile to i32 locals, lane-contiguous reads equal the clamped gather.
import * as gpujs from 'gpu.js';
import { describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: gpu.js internals are untyped
const g = gpujs as any;
const input = g.input as (v: Float32Array, size: number[]) => unknown;

describe('patched gpu.js webasm backend', () => {
  it('compiles `for (let i = 0; …; i++)` counters as i32 on every walk (scalar and SIMD)', () => {
    const proto = g.WebAssemblyFunctionNode.prototype;
    const original = proto.setScalarLocal;
    const seen: string[] = [];
    proto.setScalarLocal = function (
      this: { _analysisPass: boolean },
      name: string,
      wtype: string,
      ...rest: unknown[]
    ) {
      if (!this._analysisPass && name === 'i') seen.push(wtype);
      return original.call(this, name, wtype, ...rest);
    };
    try {
      const gpu = new g.GPU({ mode: 'webasm' });
      const k = gpu
        .createKernel(function (this: { thread: { x: number } }, a: number[]) {
          let s = 0;
          for (let i = 0; i < 8; i++) s += a[i * 8 + this.thread.x] as number;
          return s;
        })
        .setOutput([8]);
      const a = Float32Array.from({ length: 64 }, (_, i) => i);
      const out = k(a) as Float32Array;
      expect(Array.from(out)).toEqual(Array.from({ length: 8 }, (_, x) => 8 * x + 8 * 28));
      gpu.destroy();
    } finally {
      proto.setScalarLocal = original;
    }
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set(['i32']));
  });

  it('keeps a `const` with an Integer initializer as i32 (a `let` still decays to f32)', () => {
    const proto = g.WebAssemblyFunctionNode.prototype;
    const original = proto.setScalarLocal;
    const seen = new Map<string, string>();
    proto.setScalarLocal = function (
      this: { _analysisPass: boolean },
      name: string,
      wtype: string,
      ...rest: unknown[]
    ) {
      if (!this._analysisPass) seen.set(name, wtype);
      return original.call(this, name, wtype, ...rest);
    };
    try {
      const gpu = new g.GPU({ mode: 'webasm' });
      const k = gpu
        .createKernel(function (this: { thread: { x: number; y: number } }, a: number[]) {
          const base = this.thread.y * 8;
          // biome-ignore lint/style/useConst: the point is a `let`
          let f = this.thread.y * 8;
          const q = this.thread.x / 2;
          return (a[base + this.thread.x] as number) + f + q;
        })
        .setOutput([8, 3]);
      const a = Float32Array.from({ length: 24 }, (_, i) => i * 3);
      const out = k(input(a, [24])) as Float32Array[];
      const want = Array.from({ length: 3 }, (_, y) =>
        Array.from({ length: 8 }, (_, x) => a[y * 8 + x]! + y * 8 + x / 2),
      );
      expect(out.map((r) => Array.from(r))).toEqual(want);
      gpu.destroy();
    } finally {
      proto.setScalarLocal = original;
    }
    expect(seen.get('base')).toBe('i32');
    expect(seen.get('f')).toBe('f32');
    expect(seen.get('q')).toBe('f32');
  });

  it('lane-contiguous reads (v128.load) give what JS gives, also where a branch masks lanes off', () => {
    const gpu = new g.GPU({ mode: 'webasm' });
    for (const n of [40, 37, 13]) {
      const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 10);
      const k = gpu
        .createKernel(function (this: { thread: { x: number }; constants: { cut: number } }, v: number[]) {
          // quads straddling the cut read past the end (first branch) or before the start (second)
          // on lanes the branch turns off: those take the clamped gather, the rest one v128.load
          if (this.thread.x < this.constants.cut) {
            return (v[this.thread.x + 5] as number) * 2 + (v[this.thread.x] as number);
          }
          return v[this.thread.x - 5] as number;
        })
        .setConstants({ cut: n - 5 })
        .setConstantTypes({ cut: 'Integer' })
        .setOutput([n]);
      const out = k(input(a, [n])) as Float32Array;
      const want = Float32Array.from({ length: n }, (_, x) =>
        x < n - 5
          ? Math.fround(Math.fround((a[x + 5] as number) * 2) + (a[x] as number))
          : (a[x - 5] as number),
      );
      expect(Array.from(out)).toEqual(Array.from(want));
    }
    expect(typeof g.WebAssemblyFunctionNode.prototype.vContiguousLoad).toBe('function');
    gpu.destroy();
  });

  it("writes Array(4) results planar with componentLayout: 'planar' (masked lanes, tails, threads)", async () => {
    const gpu = new g.GPU({ mode: 'webasm' });
    for (const w of [8, 7]) {
      const k = gpu.createKernel(
        function (this: { thread: { x: number; y: number }; constants: { W: number } }, a: number[]) {
          const v = a[this.thread.y * this.constants.W + this.thread.x] as number;
          if (this.thread.x === 2) {
            return [v, -v, 2 * v, 100];
          }
          return [v, v + 1, v + 2, v + 3];
        },
        {
          output: [w, 3],
          returnType: 'Array(4)',
          componentLayout: 'planar',
          constants: { W: w },
          constantTypes: { W: 'Integer' },
        },
      );
      const a = Float32Array.from({ length: w * 3 }, (_, i) => i);
      const r = k(input(a, [w * 3])) as Float32Array[][];
      for (let y = 0; y < 3; y++) {
        for (let x = 0; x < w; x++) {
          const v = y * w + x;
          const want = x === 2 ? [v, -v, 2 * v, 100] : [v, v + 1, v + 2, v + 3];
          expect([0, 1, 2, 3].map((c) => r[c]?.[y]?.[x])).toEqual(want);
        }
      }
    }
    const k = gpu.createKernel(
      function (this: { thread: { x: number; y: number } }, a: number[]) {
        const v = a[this.thread.y * 64 + this.thread.x] as number;
        return [v, v * 2, v * 3, v * 4];
      },
      { output: [64, 128], returnType: 'Array(4)', componentLayout: 'planar', asyncMode: true },
    );
    const a = Float32Array.from({ length: 64 * 128 }, (_, i) => i);
    const r = (await k(input(a, [a.length]))) as Float32Array[][];
    expect(k.kernel._lastRunPath).toBe('threaded');
    for (let c = 0; c < 4; c++) {
      for (const y of [0, 77, 127]) expect(r[c]?.[y]?.[63]).toBe((y * 64 + 63) * (c + 1));
    }
    gpu.destroy();
  });
});
