// fast-check: random small models — op chains with random attributes and shapes, int4 weights
// through DequantizeLinear, If/Loop subgraphs reading outer values, unknown ops and domains, unused
// initializers of every dtype, doc strings and metadata — built with onnx-proto (an independent
// encoder) survive squish's import ∘ export as the identity: structurally (decoded by onnx-proto)
// and, where onnxruntime can run them, in bit-identical outputs.
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { modelStats } from '../../runtime/ir/shape/stats.ts';
import { exportModel, importModel } from '../../runtime/onnx/index.ts';
import { onnxpb } from './build.ts';

// biome-ignore lint/suspicious/noExplicitAny: onnx-proto message objects
type PB = any;
const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7 };
const enc = new TextEncoder();

const attrF = (name: string, f: number) => onnxpb.AttributeProto.create({ name, type: AT.FLOAT, f });
const attrI = (name: string, i: number) => onnxpb.AttributeProto.create({ name, type: AT.INT, i });
const attrInts = (name: string, ints: number[]) =>
  onnxpb.AttributeProto.create({ name, type: AT.INTS, ints });
const attrG = (name: string, g: PB) => onnxpb.AttributeProto.create({ name, type: AT.GRAPH, g });
const vi = (name: string, elemType: number, dims?: (number | string)[]) =>
  onnxpb.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        ...(dims
          ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } }
          : {}),
      },
    },
  });
const f32raw = (vals: number[]) => new Uint8Array(new Float32Array(vals).buffer);

type Step =
  | { op: 'unary'; type: 'Relu' | 'Sigmoid' | 'Neg' | 'Abs' | 'Identity' | 'Tanh' }
  | { op: 'leaky'; alpha: number }
  | { op: 'addc' | 'mulc'; values: number[] }
  | { op: 'clip'; lo: number; hi: number }
  | { op: 'softmax'; axis: number }
  | { op: 'transpose'; seed: number }
  | { op: 'int4'; seed: number; signed: boolean }
  | { op: 'if'; cond: boolean }
  | { op: 'loop'; trips: number }
  | { op: 'custom'; domain: string };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('unary' as const),
    type: fc.constantFrom('Relu', 'Sigmoid', 'Neg', 'Abs', 'Identity', 'Tanh'),
  }),
  fc.record({
    op: fc.constant('leaky' as const),
    alpha: fc.float({ min: Math.fround(0.01), max: 1, noNaN: true }),
  }),
  fc.record({
    op: fc.constantFrom('addc' as const, 'mulc' as const),
    values: fc.array(fc.float({ noNaN: true, min: -4, max: 4 }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    op: fc.constant('clip' as const),
    lo: fc.integer({ min: -3, max: 0 }),
    hi: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ op: fc.constant('softmax' as const), axis: fc.integer({ min: -1, max: 0 }) }),
  fc.record({ op: fc.constant('transpose' as const), seed: fc.nat() }),
  fc.record({ op: fc.constant('int4' as const), seed: fc.nat(), signed: fc.boolean() }),
  fc.record({ op: fc.constant('if' as const), cond: fc.boolean() }),
  fc.record({ op: fc.constant('loop' as const), trips: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('custom' as const), domain: fc.constantFrom('com.example', 'ai.custom.v2') }),
);

const EXTRA_DTYPES = [
  [10, 2],
  [16, 2],
  [9, 1],
  [3, 1],
  [2, 1],
  [5, 2],
  [4, 2],
  [6, 4],
  [12, 4],
  [11, 8],
  [13, 8],
  [7, 8],
  [17, 1],
  [19, 1],
] as const; // [data_type, bytes per element] stored raw

const modelArb = fc.record({
  dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  symbolicBatch: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 5 }),
  extras: fc.array(
    fc.record({
      which: fc.nat({ max: EXTRA_DTYPES.length - 1 }),
      n: fc.integer({ min: 0, max: 5 }),

      seed: fc.nat(),
    }),
    { maxLength: 3 },
  ),
  strings: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
  subbyte: fc.array(
    fc.record({ dt: fc.constantFrom(21, 22, 25, 26), n: fc.integer({ min: 1, max: 9 }), seed: fc.nat() }),
    { maxLength: 2 },
  ),
  doc: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
  meta: fc.array(fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })), { maxLength: 2 }),
});

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Build the model with onnx-proto; returns bytes, the input shape to feed, and whether ort can run it. */
type Spec = typeof modelArb extends fc.Arbitrary<infer T> ? T : never;

function build(spec: Spec) {
  const nodes: PB[] = [];
  const inits: PB[] = [];
  let shape: number[] = [...spec.dims];
  let cur = 'x';
  let k = 0;
  let runnable = true;
  const fresh = (p: string) => `${p}_${k++}`;
  for (const st of spec.steps as Step[]) {
    const out = fresh('v');
    const last = shape[shape.length - 1]!;
    switch (st.op) {
      case 'unary':
        nodes.push(
          onnxpb.NodeProto.create({ opType: st.type, input: [cur], output: [out], name: fresh(st.type) }),
        );
        break;
      case 'leaky':
        nodes.push(
          onnxpb.NodeProto.create({
            opType: 'LeakyRelu',
            input: [cur],
            output: [out],
            attribute: [attrF('alpha', st.alpha)],
          }),
        );
        break;
      case 'addc':
      case 'mulc': {
        const c = fresh('c');
        const vals = Array.from({ length: last }, (_, i) => st.values[i % st.values.length]!);
        inits.push(onnxpb.TensorProto.create({ name: c, dims: [last], dataType: 1, floatData: vals }));
        nodes.push(
          onnxpb.NodeProto.create({
            opType: st.op === 'addc' ? 'Add' : 'Mul',
            input: [cur, c],
            output: [out],
            docString: 'const op',
          }),
        );
        break;
      }
      case 'clip': {
        const lo = fresh('lo');
        const hi = fresh('hi');
        inits.push(onnxpb.TensorProto.create({ name: lo, dims: [], dataType: 1, rawData: f32raw([st.lo]) }));
        inits.push(onnxpb.TensorProto.create({ name: hi, dims: [], dataType: 1, rawData: f32raw([st.hi]) }));
        nodes.push(onnxpb.NodeProto.create({ opType: 'Clip', input: [cur, lo, hi], output: [out] }));
        break;
      }
      case 'softmax':
        nodes.push(
          onnxpb.NodeProto.create({
            opType: 'Softmax',
            input: [cur],
            output: [out],
            attribute: [attrI('axis', st.axis)],
          }),
        );
        break;
      case 'transpose': {
        const r = rng(st.seed);
        const perm = shape.map((_, i) => i).sort(() => r() - 0.5);
        nodes.push(
          onnxpb.NodeProto.create({
            opType: 'Transpose',
            input: [cur],
            output: [out],
            attribute: [attrInts('perm', perm)],
          }),
        );
        shape = perm.map((p) => shape[p]!);
        break;
      }
      case 'int4': {
        const r = rng(st.seed);
        const vals = Array.from({ length: last }, () =>
          st.signed ? Math.floor(r() * 16) - 8 : Math.floor(r() * 16),
        );
        const packed = new Uint8Array(Math.ceil(last / 2));
        vals.forEach((v, i) => {
          packed[i >> 1]! |= (v & 0xf) << ((i & 1) * 4);
        });
        const w = fresh('w4');
        const s = fresh('scale');
        const z = fresh('zp');
        const dq = fresh('dq');
        const dt = st.signed ? 22 : 21;
        inits.push(onnxpb.TensorProto.create({ name: w, dims: [last], dataType: dt, rawData: packed }));
        inits.push(onnxpb.TensorProto.create({ name: s, dims: [], dataType: 1, floatData: [0.25] }));
        inits.push(
          onnxpb.TensorProto.create({
            name: z,
            dims: [],
            dataType: dt,
            rawData: new Uint8Array([st.signed ? 0x0f : 0x03]),
          }),
        );
        nodes.push(onnxpb.NodeProto.create({ opType: 'DequantizeLinear', input: [w, s, z], output: [dq] }));
        nodes.push(onnxpb.NodeProto.create({ opType: 'Add', input: [cur, dq], output: [out] }));
        break;
      }
      case 'if': {
        const cond = fresh('cond');
        inits.push(
          onnxpb.TensorProto.create({ name: cond, dims: [], dataType: 9, int32Data: [st.cond ? 1 : 0] }),
        );
        const branch = (op: string, name: string) =>
          onnxpb.GraphProto.create({
            name,
            node: [onnxpb.NodeProto.create({ opType: op, input: [cur], output: [`${name}_out`] })],
            output: [vi(`${name}_out`, 1)],
          });
        nodes.push(
          onnxpb.NodeProto.create({
            opType: 'If',
            input: [cond],
            output: [out],
            attribute: [
              attrG('then_branch', branch('Relu', fresh('then'))),
              attrG('else_branch', branch('Neg', fresh('else'))),
            ],
          }),
        );
        break;
      }
      case 'loop': {
        const trips = fresh('trips');
        const one = fresh('one');
        inits.push(onnxpb.TensorProto.create({ name: trips, dims: [], dataType: 7, int64Data: [st.trips] }));
        inits.push(onnxpb.TensorProto.create({ name: one, dims: [], dataType: 1, rawData: f32raw([1]) }));
        const b = fresh('body');
        const body = onnxpb.GraphProto.create({
          name: b,
          input: [vi(`${b}_i`, 7, []), vi(`${b}_c`, 9, []), vi(`${b}_v`, 1)],
          node: [
            onnxpb.NodeProto.create({ opType: 'Identity', input: [`${b}_c`], output: [`${b}_co`] }),
            onnxpb.NodeProto.create({ opType: 'Add', input: [`${b}_v`, one], output: [`${b}_vo`] }),
          ],
          output: [vi(`${b}_co`, 9, []), vi(`${b}_vo`, 1)],
        });
        nodes.push(
          onnxpb.NodeProto.create({
            opType: 'Loop',
            input: [trips, '', cur],
            output: [out],
            attribute: [attrG('body', body)],
          }),
        );
        break;
      }
      case 'custom':
        runnable = false;
        nodes.push(
          onnxpb.NodeProto.create({
            opType: 'FancyOp',
            domain: st.domain,
            input: [cur],
            output: [out],
            attribute: [
              attrF('gain', 1.5),
              onnxpb.AttributeProto.create({ name: 'mode', type: AT.STRING, s: enc.encode('fast') }),
            ],
          }),
        );
        break;
    }
    cur = out;
  }
  nodes.push(onnxpb.NodeProto.create({ opType: 'Identity', input: [cur], output: ['y'] }));
  // unused initializers of many dtypes (raw_data), strings, packed sub-byte types
  for (const e of spec.extras) {
    const [dt, size] = EXTRA_DTYPES[e.which]!;
    const r = rng(e.seed);
    const raw = Uint8Array.from({ length: e.n * size }, () => Math.floor(r() * 256));
    if (dt === 9) for (let i = 0; i < raw.length; i++) raw[i] = raw[i]! & 1;
    inits.push(onnxpb.TensorProto.create({ name: fresh('extra'), dims: [e.n], dataType: dt, rawData: raw }));
  }
  if (spec.strings.length) {
    inits.push(
      onnxpb.TensorProto.create({
        name: fresh('str'),
        dims: [spec.strings.length],
        dataType: 8,
        stringData: spec.strings.map((s: string) => enc.encode(s)),
      }),
    );
  }
  for (const sb of spec.subbyte) {
    const r = rng(sb.seed);
    const per = sb.dt <= 22 ? 2 : 4;
    const bits = 8 / per;
    const packed = new Uint8Array(Math.ceil(sb.n / per));
    for (let i = 0; i < sb.n; i++)
      packed[(i / per) | 0]! |= Math.floor(r() * 2 ** bits) << ((i % per) * bits);
    inits.push(
      onnxpb.TensorProto.create({ name: fresh('packed'), dims: [sb.n], dataType: sb.dt, rawData: packed }),
    );
  }
  const inDims: (number | string)[] = spec.symbolicBatch ? ['N', ...spec.dims.slice(1)] : spec.dims;
  const model = onnxpb.ModelProto.create({
    irVersion: 10,
    producerName: 'fast-check',
    docString: spec.doc,
    opsetImport: [
      { domain: '', version: 21 },
      ...(runnable
        ? []
        : [
            { domain: 'com.example', version: 1 },
            { domain: 'ai.custom.v2', version: 3 },
          ]),
    ],
    metadataProps: spec.meta.map(([key, value]: [string, string]) => ({ key, value })),
    graph: onnxpb.GraphProto.create({
      name: 'random',
      node: nodes,
      initializer: inits,
      input: [vi('x', 1, inDims)],
      output: [vi('y', 1)],
    }),
  });
  return {
    bytes: onnxpb.ModelProto.encode(model).finish() as Uint8Array,
    runnable,
    dims: spec.dims as number[],
  };
}

const asObject = (b: Uint8Array) =>
  onnxpb.ModelProto.toObject(onnxpb.ModelProto.decode(b), {
    longs: String,
    bytes: String,
    defaults: false,
    arrays: false,
  });

async function run(bytes: Uint8Array, x: Float32Array, dims: number[]) {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const r = await s.run({ x: new ort.Tensor('float32', x, dims) });
    return r.y!;
  } finally {
    await s.release();
  }
}

describe('random models survive import ∘ export', () => {
  it('structurally identical (onnx-proto view) and bit-identical in onnxruntime', async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(modelArb, async (spec) => {
        const { bytes, runnable, dims } = build(spec);
        const once = exportModel(importModel(bytes));
        // layer stats never throw, and their params equal a count over the protobuf
        const pb = onnxpb.ModelProto.decode(bytes);
        const want = pb.graph.initializer.reduce(
          (s: number, t: PB) => s + t.dims.reduce((p: number, d: PB) => p * Number(d), 1),
          0,
        );
        expect(modelStats(importModel(bytes)).totals.params).toBe(want);
        expect(asObject(once)).toEqual(asObject(bytes));
        // a second trip gives the same bytes (deterministic, a fixed point)
        expect(Buffer.from(exportModel(importModel(once))).equals(Buffer.from(once))).toBe(true);
        if (!runnable) return;
        const n = dims.reduce((a, b) => a * b, 1);
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + dims.length));
        const [a, b] = [await run(bytes, x, dims), await run(once, x, dims)];
        expect([...b.dims]).toEqual([...a.dims]);
        const av = a.data as Float32Array;
        const bv = b.data as Float32Array;
        expect(
          Buffer.from(bv.buffer, bv.byteOffset, bv.byteLength).equals(
            Buffer.from(av.buffer, av.byteOffset, av.byteLength),
          ),
        ).toBe(true);
        ran++;
      }),
      { numRuns: 40 },
    );
    expect(ran).toBeGreaterThan(5);
  });
});
