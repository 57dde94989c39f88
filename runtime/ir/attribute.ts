// Node attributes: the ONNX-faithful form (type + value, kept for lossless export) and the
// kernel-facing view (`Attrs` of ir/types.ts: ints → number[], string → string, graph → Graph).

import type { Graph } from './graph.ts';
import type { Tensor } from './tensor.ts';
import type { Attrs, AttrValue } from './types.ts';

export type AttrType =
  | 'FLOAT'
  | 'INT'
  | 'STRING'
  | 'TENSOR'
  | 'GRAPH'
  | 'FLOATS'
  | 'INTS'
  | 'STRINGS'
  | 'TENSORS'
  | 'GRAPHS'
  | 'SPARSE_TENSOR'
  | 'SPARSE_TENSORS'
  | 'TYPE_PROTO'
  | 'TYPE_PROTOS'
  | 'UNDEFINED';

/** One attribute as ONNX stores it. int64 values beyond 2^53 stay bigint so export is exact. */
export interface Attribute {
  name: string;
  type: AttrType;
  /**
   * FLOAT number · INT number|bigint · STRING Uint8Array · TENSOR Tensor · GRAPH Graph ·
   * FLOATS number[] · INTS (number|bigint)[] · STRINGS Uint8Array[] · TENSORS Tensor[] ·
   * GRAPHS Graph[] · SPARSE_*, TYPE_PROTO* the decoded protobuf message(s), kept as read.
   */
  value: unknown;
  docString?: string;
  /** Set in function bodies: the value comes from the calling node's attribute of that name. */
  refAttrName?: string;
  /** Protobuf fields squish does not interpret (kept and re-emitted on export). */
  extra?: Record<string, unknown>;
}

const utf8d = new TextDecoder();
const utf8e = new TextEncoder();

function toNum(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** The kernel-facing value of an attribute. */
export function attrView(a: Attribute): AttrValue {
  const v = a.value;
  switch (a.type) {
    case 'FLOAT':
      return v as number;
    case 'INT':
      return toNum(v as number | bigint);
    case 'STRING':
      return utf8d.decode(v as Uint8Array);
    case 'TENSOR':
      return v as Tensor;
    case 'GRAPH':
      return v as Graph;
    case 'FLOATS':
      return Array.from(v as ArrayLike<number>);
    case 'INTS':
      return (v as (number | bigint)[]).map(toNum);
    case 'STRINGS':
      return (v as Uint8Array[]).map((s) => utf8d.decode(s));
    case 'TENSORS':
      return v as Tensor[];
    case 'GRAPHS':
      return v as Graph[];
    default:
      return undefined;
  }
}

export function attrsView(list: readonly Attribute[]): Attrs {
  const out: Record<string, AttrValue> = {};
  for (const a of list) out[a.name] = attrView(a);
  return out;
}

function isGraph(v: unknown): v is Graph {
  return typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'graph';
}
function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'dims' in v && 'data' in v;
}

/**
 * Build an attribute from a kernel-style value. The type is inferred (an integral number → INT,
 * other numbers → FLOAT, number[] all integral → INTS) unless given: pass 'FLOAT'/'FLOATS' for
 * float attributes whose values happen to be integral.
 */
export function makeAttribute(name: string, value: AttrValue | Graph | Graph[], type?: AttrType): Attribute {
  const t = type ?? inferAttrType(name, value);
  switch (t) {
    case 'STRING':
      return { name, type: t, value: typeof value === 'string' ? utf8e.encode(value) : value };
    case 'STRINGS':
      return {
        name,
        type: t,
        value: (value as (string | Uint8Array)[]).map((s) => (typeof s === 'string' ? utf8e.encode(s) : s)),
      };
    case 'FLOATS':
      return { name, type: t, value: Array.from(value as number[]) };
    case 'INTS':
      return { name, type: t, value: [...(value as (number | bigint)[])] };
    default:
      return { name, type: t, value };
  }
}

function inferAttrType(name: string, v: unknown): AttrType {
  if (typeof v === 'bigint') return 'INT';
  if (typeof v === 'number') return Number.isInteger(v) ? 'INT' : 'FLOAT';
  if (typeof v === 'string' || v instanceof Uint8Array) return 'STRING';
  if (isGraph(v)) return 'GRAPH';
  if (isTensor(v)) return 'TENSOR';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'INTS';
    if (v.every((x) => typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x))))
      return 'INTS';
    if (v.every((x) => typeof x === 'number')) return 'FLOATS';
    if (v.every((x) => typeof x === 'string' || x instanceof Uint8Array)) return 'STRINGS';
    if (v.every(isGraph)) return 'GRAPHS';
    if (v.every(isTensor)) return 'TENSORS';
  }
  throw new Error(`cannot infer the ONNX type of attribute '${name}'; pass the type explicitly`);
}
