// Bench-only ONNX loader (onnx-proto): graph nodes with value names, constants decoded to tensors.
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { GraphNode } from '../runtime/backends/backend.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import type { AttrValue } from '../runtime/ops/registry.ts';

// biome-ignore lint/suspicious/noExplicitAny: onnx-proto's generated types are loose
type Any = any;
const { onnx } = onnxProto as Any;

export interface LoadedModel {
  nodes: GraphNode[];
  consts: Map<string, Tensor>;
  inputs: string[];
  outputs: string[];
  opset: number;
}

const num = (v: Any): number => (typeof v === 'number' ? v : Number(v?.toString?.() ?? v));

function tensorOf(t: Any): Tensor {
  const dims = (t.dims as Any[]).map(num);
  const raw: Uint8Array | undefined = t.rawData?.length ? t.rawData : undefined;
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = (n: number) => {
    const b = new Uint8Array(n);
    if (raw) b.set(raw.subarray(0, n));
    return b.buffer;
  };
  switch (t.dataType) {
    case 1:
      return {
        dtype: 'float32',
        dims,
        data: raw ? new Float32Array(bytes(count * 4)) : Float32Array.from(t.floatData),
      };
    case 7:
      return {
        dtype: 'int64',
        dims,
        data: raw
          ? new BigInt64Array(bytes(count * 8))
          : BigInt64Array.from((t.int64Data as Any[]).map((v) => BigInt(v.toString()))),
      };
    case 6:
      return {
        dtype: 'int32',
        dims,
        data: raw ? new Int32Array(bytes(count * 4)) : Int32Array.from(t.int32Data),
      };
    default:
      throw new Error(`bench loader: tensor ${t.name} has unsupported data type ${t.dataType}`);
  }
}

function attrOf(a: Any): AttrValue {
  switch (a.type) {
    case 1:
      return a.f;
    case 2:
      return num(a.i);
    case 3:
      return new TextDecoder().decode(a.s);
    case 4:
      return tensorOf(a.t);
    case 6:
      return Array.from(a.floats as number[]);
    case 7:
      return (a.ints as Any[]).map(num);
    default:
      return undefined;
  }
}

export function loadModel(path: string): LoadedModel {
  const m = onnx.ModelProto.decode(readFileSync(path));
  const g = m.graph;
  const consts = new Map<string, Tensor>();
  for (const t of g.initializer) consts.set(t.name, tensorOf(t));
  const nodes: GraphNode[] = [];
  for (const n of g.node) {
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute) attrs[a.name] = attrOf(a);
    if (n.opType === 'Constant') {
      consts.set(n.output[0], attrs.value as Tensor);
      continue;
    }
    nodes.push({
      op: n.opType,
      domain: n.domain ?? '',
      name: n.name || n.output[0],
      attrs,
      inputs: [...n.input],
      outputs: [...n.output],
      inputTypes: n.input.map((i: string) => {
        const c = consts.get(i);
        return c ? { dtype: c.dtype, shape: [...c.dims] } : undefined;
      }),
      constInputs: n.input.map((i: string) => consts.get(i)),
      outputTypes: n.output.map(() => undefined),
    });
  }
  const initNames = new Set(consts.keys());
  return {
    nodes,
    consts,
    inputs: g.input.map((i: Any) => i.name).filter((n: string) => !initNames.has(n)),
    outputs: g.output.map((o: Any) => o.name),
    opset: num(m.opsetImport.find((o: Any) => !o.domain)?.version ?? 11),
  };
}
