// fast-check: one random op at a time (layout, pooling, reductions, resize, pad, matmul …) with
// random attributes and constant shape inputs — squish's inferred output shapes equal the shapes
// onnxruntime produces.
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { inferShapes } from '../../runtime/ir/shape/infer.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';

const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);
const i64 = (v: number[]): Tensor => ({
  dtype: 'int64',
  dims: [v.length],
  data: BigInt64Array.from(v.map(BigInt)),
});
const f32w = (d: number[]): Tensor => ({
  dtype: 'float32',
  dims: d,
  data: new Float32Array(prod(d)).fill(0.5),
});
const f32 = (v: number[]): Tensor => ({ dtype: 'float32', dims: [v.length], data: Float32Array.from(v) });

interface Case {
  op: string;
  inputs: number[][]; // data input shapes (float32 graph inputs x0, x1 …)
  consts?: (Tensor | null)[]; // constant inputs after the data inputs (null = absent optional input)
  attrs?: Record<string, unknown>;
  outputs?: number;
  opset?: number;
}

async function check(c: Case) {
  const g = new Graph('one');
  const names: string[] = [];
  c.inputs.forEach((s, i) => {
    g.inputs.push({ name: `x${i}`, type: { dtype: 'float32', shape: s } });
    names.push(`x${i}`);
  });
  (c.consts ?? []).forEach((t, i) => {
    if (!t) {
      names.push('');
      return;
    }
    g.addInitializer(`c${i}`, t);
    names.push(`c${i}`);
  });
  const outs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `y${i}`);
  g.addNode({ op: c.op, inputs: names, outputs: outs, attrs: (c.attrs ?? {}) as never });
  g.outputs = outs.map((name) => ({ name }));
  const m = new Model(g);
  m.opsetImports = [{ domain: '', version: c.opset ?? 13 }];
  const inferred = inferShapes(g, { opset: c.opset ?? 13 });
  expect(inferred.problems).toEqual([]);
  const s = await ort.InferenceSession.create(exportModel(m), { logSeverityLevel: 3 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    c.inputs.forEach((sh, i) => {
      feeds[`x${i}`] = new ort.Tensor(
        'float32',
        new Float32Array(prod(sh)).map((_, k) => k % 7),
        sh,
      );
    });
    const r = await s.run(feeds);
    for (const o of outs)
      expect(
        inferred.types.get(o)?.shape,
        `${c.op} ${o} ${JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}`,
      ).toEqual([...r[o]!.dims]);
  } finally {
    await s.release();
  }
}

const dims = (min = 1, max = 4) =>
  fc.array(fc.integer({ min: 1, max: 4 }), { minLength: min, maxLength: max });

const reshapeCase = dims(1, 4).chain((d) =>
  fc
    .tuple(fc.array(fc.boolean(), { minLength: d.length, maxLength: d.length }), fc.nat(d.length))
    .map(([cuts, minus]) => {
      // group contiguous dims; one group becomes -1, a group of one dim at the same index may be 0
      const groups: number[][] = [];
      d.forEach((x, i) => {
        if (i === 0 || cuts[i]) groups.push([x]);
        else groups[groups.length - 1]!.push(x);
      });
      const target = groups.map((gr, i) =>
        i === minus % groups.length
          ? -1
          : gr.length === 1 && gr === groups[i] && i < d.length && d[i] === gr[0] && cuts[0]
            ? 0
            : prod(gr),
      );
      return { op: 'Reshape', inputs: [d], consts: [i64(target)] } as Case;
    }),
);

const sliceCase = dims(1, 3).chain((d) =>
  fc
    .array(
      fc.tuple(
        fc.integer({ min: -5, max: 5 }),
        fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(2 ** 31 - 1)),
        fc.constantFrom(1, 2, -1),
      ),
      { minLength: d.length, maxLength: d.length },
    )
    .map(
      (p) =>
        ({
          op: 'Slice',
          inputs: [d],
          consts: [
            i64(p.map((x) => x[0])),
            i64(p.map((x) => (x[2] < 0 && x[1] === 2 ** 31 - 1 ? -(2 ** 31) : x[1]))),
            i64(d.map((_, i) => i)),
            i64(p.map((x) => x[2])),
          ],
        }) as Case,
    ),
);

const transposeCase = dims(1, 4).chain((d) =>
  fc
    .shuffledSubarray(
      d.map((_, i) => i),
      { minLength: d.length, maxLength: d.length },
    )
    .map((perm) => ({ op: 'Transpose', inputs: [d], attrs: { perm } }) as Case),
);

const squeezeCase = fc
  .tuple(dims(1, 3), fc.array(fc.nat(3), { minLength: 1, maxLength: 2 }))
  .map(([d, at]) => {
    const shape = [...d];
    for (const a of at) shape.splice(Math.min(a, shape.length), 0, 1);
    const axes = shape.flatMap((x, i) => (x === 1 ? [i - (i % 2 ? shape.length : 0)] : []));
    return { op: 'Squeeze', inputs: [shape], consts: [i64(axes)] } as Case;
  });

const unsqueezeCase = fc
  .tuple(dims(0, 3), fc.nat(3))
  .map(([d, a]) => ({ op: 'Unsqueeze', inputs: [d], consts: [i64([a % (d.length + 1), -1])] }) as Case);

const concatCase = fc
  .tuple(dims(1, 3), fc.nat(3), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }))
  .map(([d, a, sizes]) => {
    const axis = a % d.length;
    return {
      op: 'Concat',
      inputs: sizes.map((s) => d.map((x, i) => (i === axis ? s : x))),
      attrs: { axis: axis - (a % 2 ? d.length : 0) },
    } as Case;
  });

const gatherCase = fc.tuple(dims(1, 3), fc.nat(3), dims(0, 2)).map(([d, a, idxShape]) => {
  const axis = a % d.length;
  const n = prod(idxShape);
  return {
    op: 'Gather',
    inputs: [d],
    consts: [
      {
        dtype: 'int64',
        dims: idxShape,
        data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i % d[axis]!)),
      } as Tensor,
    ],
    attrs: { axis },
  } as Case;
});

const splitCase = fc.tuple(dims(1, 3), fc.nat(3), fc.integer({ min: 2, max: 3 })).map(([d, a, n]) => {
  const axis = a % d.length;
  const shape = d.map((x, i) => (i === axis ? x + n : x));
  const sizes = Array.from({ length: n }, (_, i) => (i === 0 ? shape[axis]! - (n - 1) : 1));
  return { op: 'Split', inputs: [shape], consts: [i64(sizes)], attrs: { axis }, outputs: n } as Case;
});

const padCase = dims(1, 3).chain((d) =>
  fc
    .array(fc.nat(2), { minLength: 2 * d.length, maxLength: 2 * d.length })
    .map((pads) => ({ op: 'Pad', inputs: [d], consts: [i64(pads)] }) as Case),
);

const poolCase = fc
  .record({
    op: fc.constantFrom('MaxPool', 'AveragePool'),
    k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    p: fc.nat(1),
    ceil: fc.nat(1),
    hw: fc.tuple(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 3, max: 9 })),
  })
  .map(
    (c) =>
      ({
        op: c.op,
        inputs: [[1, 2, ...c.hw]],
        attrs: {
          kernel_shape: [c.k, c.k],
          strides: [c.s, c.s],
          pads: [c.p, c.p, 0, c.p].map((p) => Math.min(p, c.k - 1)),
          ceil_mode: c.ceil,
        },
      }) as Case,
  );

const reduceCase = fc
  .tuple(dims(1, 4), fc.constantFrom('ReduceMean', 'ReduceMax', 'ReduceL2'), fc.nat(1), fc.nat(7))
  .map(([d, op, keepdims, a]) => ({ op, inputs: [d], attrs: { axes: [a % d.length], keepdims } }) as Case);
const reduceSumCase = fc
  .tuple(dims(1, 4), fc.nat(1), fc.nat(7))
  .map(
    ([d, keepdims, a]) =>
      ({ op: 'ReduceSum', inputs: [d], consts: [i64([a % d.length])], attrs: { keepdims } }) as Case,
  );

const resizeCase = fc
  .tuple(
    fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
    fc.constantFrom(0.5, 1, 1.5, 2, 3),
    fc.boolean(),
  )
  .map(([hw, sc, useSizes]) =>
    useSizes
      ? ({
          op: 'Resize',
          inputs: [[1, 1, ...hw]],
          consts: [null, null, i64([1, 1, hw[0] * 2, hw[1] + 1])],
        } as Case)
      : ({ op: 'Resize', inputs: [[1, 1, ...hw]], consts: [null, f32([1, 1, sc, sc])] } as Case),
  );

const flattenCase = fc
  .tuple(dims(1, 4), fc.nat(4))
  .map(([d, a]) => ({ op: 'Flatten', inputs: [d], attrs: { axis: a % (d.length + 1) } }) as Case);
const expandCase = dims(1, 3).chain((d) =>
  fc
    .array(fc.boolean(), { minLength: d.length, maxLength: d.length })
    .map(
      (ones) =>
        ({ op: 'Expand', inputs: [d.map((x, i) => (ones[i] ? 1 : x))], consts: [i64([2, ...d])] }) as Case,
    ),
);
const tileCase = dims(1, 3).chain((d) =>
  fc
    .array(fc.integer({ min: 1, max: 3 }), { minLength: d.length, maxLength: d.length })
    .map((r) => ({ op: 'Tile', inputs: [d], consts: [i64(r)] }) as Case),
);
const matmulCase = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.nat(3),
  )
  .map(([m, k, n, form]) => {
    const a = form & 1 ? [k] : [2, m, k];
    const b = form & 2 ? [k] : [k, n];
    return { op: 'MatMul', inputs: [a, b] } as Case;
  });
const shapeCase = fc
  .tuple(dims(1, 4), fc.integer({ min: -4, max: 4 }), fc.integer({ min: -4, max: 4 }))
  .map(([d, start, end]) => ({ op: 'Shape', inputs: [d], attrs: { start, end }, opset: 15 }) as Case);
const convCase = fc
  .record({
    auto: fc.constantFrom('NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
    k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    d: fc.integer({ min: 1, max: 2 }),
    hw: fc.tuple(fc.integer({ min: 5, max: 9 }), fc.integer({ min: 5, max: 9 })),
  })
  .map(
    (c) =>
      ({
        op: 'Conv',
        inputs: [[1, 2, ...c.hw]],
        consts: [f32w([3, 2, c.k, c.k])],
        attrs: {
          auto_pad: c.auto,
          strides: [c.s, c.s],
          ...(c.auto === 'NOTSET' || c.auto === 'VALID' ? { dilations: [c.d, c.d] } : {}),
        },
      }) as Case,
  );
const convTCase = fc
  .record({
    k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    p: fc.nat(1),
    op: fc.nat(2),
    hw: fc.integer({ min: 2, max: 5 }),
    auto: fc.constantFrom('NOTSET', 'SAME_UPPER', 'VALID'),
  })
  .map(
    (c) =>
      ({
        op: 'ConvTranspose',
        inputs: [[1, 2, c.hw, c.hw]],
        consts: [f32w([2, 3, c.k, c.k])],
        attrs:
          c.auto === 'NOTSET'
            ? {
                strides: [c.s, c.s],
                pads: [c.p, 0, 0, c.p].map((x) => Math.min(x, c.k - 1)),
                output_padding: [Math.min(c.op, c.s - 1), 0],
              }
            : { strides: [c.s, c.s], auto_pad: c.auto },
      }) as Case,
  );
const qCase = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
  .map(
    ([m, k, n]) =>
      ({
        op: 'QLinearMatMul',
        inputs: [],
        consts: [
          { dtype: 'uint8', dims: [m, k], data: new Uint8Array(m * k).fill(3) },
          { dtype: 'float32', dims: [], data: Float32Array.of(0.5) },
          { dtype: 'uint8', dims: [], data: Uint8Array.of(1) },
          { dtype: 'uint8', dims: [k, n], data: new Uint8Array(k * n).fill(2) },
          { dtype: 'float32', dims: [], data: Float32Array.of(0.25) },
          { dtype: 'uint8', dims: [], data: Uint8Array.of(0) },
          { dtype: 'float32', dims: [], data: Float32Array.of(1) },
          { dtype: 'uint8', dims: [], data: Uint8Array.of(0) },
        ],
      }) as Case,
  );
const globalCase = dims(3, 4).map((d) => ({ op: 'GlobalAveragePool', inputs: [d] }) as Case);

const FAMILIES = {
  reshapeCase,
  sliceCase,
  transposeCase,
  squeezeCase,
  unsqueezeCase,
  concatCase,
  gatherCase,
  splitCase,
  padCase,
  poolCase,
  reduceCase,
  reduceSumCase,
  resizeCase,
  flattenCase,
  expandCase,
  tileCase,
  matmulCase,
  shapeCase,
  globalCase,
  convCase,
  convTCase,
  qCase,
};

describe('inferred shapes equal onnxruntime’s, op by op', () => {
  for (const [name, arb] of Object.entries(FAMILIES)) {
    it(name.replace(/Case$/, ''), async () => {
      await fc.assert(fc.asyncProperty(arb, check), { numRuns: 12 });
    });
  }
});
