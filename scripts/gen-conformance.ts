// Generates specs/ops/<Op>.json: each case of specs/ops/cases.ts is built as a one-node ONNX model, run in
// onnxruntime-node, and its inputs, attributes and outputs written as data. Run: npx tsx scripts/gen-conformance.ts

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { rng } from '../compiler/data/random.ts';
import { type DType, dtypeBits, dtypeCode } from '../runtime/ir/dtype.ts';
import { type AttrDef, CASES, type CaseDef, type InputDef } from '../specs/ops/cases/index.ts';

const { onnx } = onnxProto;
ort.env.logLevel = 'error';
const OUT = join(dirname(fileURLToPath(import.meta.url)), '../specs/ops');

type JsonNum = number | string;
export interface JsonTensor {
  dtype: DType;
  dims: number[];
  data: JsonNum[];
}

const isFloat = (d: DType) => d === 'float32' || d === 'float64';

function values(def: InputDef, rnd: () => number): number[] {
  if (def.data) return def.data;
  const n = def.dims.reduce((a, b) => a * b, 1);
  const [lo, hi] = def.range ?? (def.positive ? [0.1, 2] : isFloat(def.dtype) ? [-1, 1] : [0, 10]);
  return Array.from({ length: n }, () =>
    isFloat(def.dtype) ? Math.fround(lo + (hi - lo) * rnd()) : Math.floor(lo + (hi - lo + 1) * rnd()),
  );
}

/** Raw little-endian bytes of values in an ONNX dtype (4- and 2-bit types packed low bits first). */
function rawBytes(dtype: DType, v: number[]): Uint8Array {
  const bits = dtypeBits(dtype);
  if (bits < 8) {
    const per = 8 / bits;
    const mask = (1 << bits) - 1;
    const out = new Uint8Array(Math.ceil(v.length / per));
    v.forEach((x, i) => {
      out[Math.floor(i / per)]! |= (x & mask) << ((i % per) * bits);
    });
    return out;
  }
  const t = typedArray(dtype, v);
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

function typedArray(dtype: DType, v: number[]) {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(v);
    case 'int64':
      return BigInt64Array.from(v.map((x) => (x >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(x))));
    case 'int32':
      return Int32Array.from(v);
    case 'int8':
      return Int8Array.from(v);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(v);
    default:
      throw new Error(`no feed type for ${dtype}`);
  }
}

function attrProto(name: string, a: AttrDef) {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('ints' in a)
    return { name, type: T.INTS, ints: a.ints.map((x) => BigInt.asIntN(64, BigInt(x)).toString()) };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  return {
    name,
    type: T.TENSOR,
    t: { dims: a.t.dims, dataType: dtypeCode(a.t.dtype), rawData: rawBytes(a.t.dtype, a.t.data) },
  };
}

function attrJson(a: AttrDef): unknown {
  if ('i' in a) return a.i;
  if ('f' in a) return Math.fround(a.f);
  if ('ints' in a) return a.ints;
  if ('floats' in a) return a.floats.map(Math.fround);
  if ('s' in a) return a.s;
  return { dtype: a.t.dtype, dims: a.t.dims, data: a.t.data };
}

const FEEDABLE = new Set<DType>(['float32', 'int64', 'int32', 'int8', 'uint8']);

function jsonNum(x: number | bigint | boolean): JsonNum {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
  return Number.isFinite(x) ? x : String(x);
}

function jsonValues(dtype: DType, v: number[]): JsonNum[] {
  return dtype === 'int64' ? Array.from(typedArray(dtype, v) as BigInt64Array, jsonNum) : v.map(jsonNum);
}

function unpack(type: string, data: ArrayLike<number>, n: number): number[] {
  const bits = type.endsWith('4') ? 4 : 2;
  const signed = type.startsWith('int');
  const per = 8 / bits;
  return Array.from({ length: n }, (_, i) => {
    let v = (data[Math.floor(i / per)]! >> ((i % per) * bits)) & ((1 << bits) - 1);
    if (signed && v >= 1 << (bits - 1)) v -= 1 << bits;
    return v;
  });
}

async function runCase(c: CaseDef, seed: number) {
  const rnd = rng(seed);
  const inputs = c.inputs.map((d) => (d ? { def: d, v: values(d, rnd) } : null));
  const names = inputs.map((x, i) => (x ? `in${i}` : ''));
  const nOut = c.outputs ?? 1;
  const outNames = Array.from({ length: nOut }, (_, i) => `out${i}`);
  const nodeOuts = c.packedOut ? [`raw0`, ...outNames.slice(1)] : outNames;
  const extraNodes = c.packedOut
    ? [
        {
          opType: 'Cast',
          input: ['raw0'],
          output: ['out0'],
          attribute: [
            {
              name: 'to',
              type: onnx.AttributeProto.AttributeType.INT,
              i: c.packedOut.startsWith('u') ? 2 : 3,
            },
          ],
        },
      ]
    : [];
  const graphInputs: unknown[] = [];
  const initializers: unknown[] = [];
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((x, i) => {
    if (!x) return;
    const { def, v } = x;
    if (def.init || !FEEDABLE.has(def.dtype)) {
      initializers.push({
        name: names[i],
        dims: def.dims,
        dataType: dtypeCode(def.dtype),
        rawData: rawBytes(def.dtype, v),
      });
      return;
    }
    graphInputs.push({
      name: names[i],
      type: {
        tensorType: {
          elemType: dtypeCode(def.dtype),
          shape: { dim: def.dims.map((d) => ({ dimValue: d })) },
        },
      },
    });
    feeds[names[i]!] = new ort.Tensor(
      def.dtype as 'float32',
      typedArray(def.dtype, v) as Float32Array,
      def.dims,
    );
  });
  // trailing absent optional inputs are dropped
  let last = names.length;
  while (last > 0 && !names[last - 1]) last--;
  const model = onnx.ModelProto.create({
    irVersion: c.opset >= 23 ? 11 : c.opset >= 21 ? 10 : 7,
    opsetImport: [{ domain: '', version: c.opset }],
    producerName: 'squish gen-conformance',
    graph: {
      name: 'case',
      node: [
        {
          opType: c.op,
          input: names.slice(0, last),
          output: nodeOuts,
          attribute: Object.entries(c.attrs ?? {}).map(([k, a]) => attrProto(k, a)),
        },
        ...extraNodes,
      ],
      input: graphInputs,
      initializer: initializers,
      output: outNames.map((name) => ({ name })),
    },
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  const session = await ort.InferenceSession.create(bytes);
  const res = await session.run(feeds);
  await session.release();
  const outputs: JsonTensor[] = outNames.map((n, k) => {
    const t = res[n]!;
    const count = t.dims.reduce((a, b) => a * b, 1);
    const type = t.type as string;
    const data =
      type === 'int4' || type === 'uint4'
        ? unpack(type, t.data as Uint8Array, count)
        : Array.from(t.data as ArrayLike<number | bigint>, jsonNum);
    const dtype = k === 0 && c.packedOut ? c.packedOut : (type as DType);
    return { dtype, dims: [...t.dims], data: data as JsonNum[] };
  });
  return {
    name: c.name,
    opset: c.opset,
    attrs: Object.fromEntries(Object.entries(c.attrs ?? {}).map(([k, a]) => [k, attrJson(a)])),
    inputs: inputs.map((x) =>
      x ? { dtype: x.def.dtype, dims: x.def.dims, data: jsonValues(x.def.dtype, x.v) } : null,
    ),
    outputs,
    ...(c.tol ? { tol: c.tol } : {}),
  };
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const byOp = new Map<string, unknown[]>();
  const failed: string[] = [];
  for (let i = 0; i < CASES.length; i++) {
    const c = CASES[i]!;
    try {
      if (process.env.VERBOSE) console.log(c.op, c.name);
      const res = await runCase(c, 1000 + i);
      if (!byOp.has(c.op)) byOp.set(c.op, []);
      byOp.get(c.op)!.push(res);
    } catch (e) {
      failed.push(`${c.op} / ${c.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  for (const [op, cases] of byOp) {
    const doc = {
      op,
      generator: 'scripts/gen-conformance.ts',
      oracle: `onnxruntime-node ${ort.env.versions.node}`,
      cases,
    };
    writeFileSync(join(OUT, `${op}.json`), `${JSON.stringify(doc)}\n`);
  }
  console.log(`wrote ${byOp.size} files, ${CASES.length - failed.length} cases`);
  if (failed.length) {
    console.log(`onnxruntime-node rejected ${failed.length} cases (not written):\n  ${failed.join('\n  ')}`);
  }
}

await main();
