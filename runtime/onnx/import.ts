// importModel: ONNX bytes → Model. Lossless: fields squish does not interpret are kept on the IR
// objects (`extra`, including raw unknown fields) and written back by exportModel. No file I/O:
// external data comes through the `readExternal` callback.

import { isUserError, printable, UserError } from '../errors.ts';
import type { Attribute, AttrType } from '../ir/attribute.ts';
import { dtypeFromCode } from '../ir/dtype.ts';
import { Graph, type ValueInfo } from '../ir/graph.ts';
import { Model } from '../ir/model.ts';
import { Node } from '../ir/node.ts';
import type { Dim, ValueType } from '../ir/types.ts';
import { decodeMessage, type Msg } from './codec.ts';
import { ATTR_TYPES } from './schema.ts';
import { decodeSparse } from './sparse.ts';
import { decodeTensor, type ExternalReader } from './tensor-proto.ts';
import { validateModel } from './validate/index.ts';

export interface ImportOptions {
  /** Reads external tensor data (the host checks the location and the range). */
  readExternal?: ExternalReader;
  /** Name of the source in error messages (a file path). */
  source?: string;
  /** Check the model as the ONNX checker does (default true; the .sqz reader checks once filled). */
  validate?: boolean;
}

const ATTR_NAMES = new Map<number, AttrType>(Object.entries(ATTR_TYPES).map(([k, v]) => [v, k as AttrType]));
const ATTR_FIELD: Partial<Record<AttrType, string>> = {
  FLOAT: 'f',
  INT: 'i',
  STRING: 's',
  TENSOR: 't',
  GRAPH: 'g',
  FLOATS: 'floats',
  INTS: 'ints',
  STRINGS: 'strings',
  TENSORS: 'tensors',
  GRAPHS: 'graphs',
  SPARSE_TENSOR: 'sparse_tensor',
  SPARSE_TENSORS: 'sparse_tensors',
  TYPE_PROTO: 'tp',
  TYPE_PROTOS: 'type_protos',
};

export { ATTR_FIELD };

/** Optional string fields present in the file with an empty value (so export keeps them). */
export const EMPTY_KEY = '$empty';

function pick(msg: Msg, known: string[]): Msg {
  const extra: Msg = {};
  for (const k of Object.keys(msg)) if (!known.includes(k)) extra[k] = msg[k];
  return extra;
}

function emptyFields(msg: Msg, fields: string[]): string[] | undefined {
  const e = fields.filter((f) => msg[f] === '');
  return e.length ? e : undefined;
}

export function importModel(bytes: Uint8Array, opts: ImportOptions = {}): Model {
  try {
    return importModelUnchecked(bytes, opts);
  } catch (e) {
    // names from a damaged file may hold control characters: keep the message one printable line
    if (isUserError(e)) e.message = printable(e.message);
    throw e;
  }
}

function importModelUnchecked(bytes: Uint8Array, opts: ImportOptions): Model {
  const src = opts.source ?? 'model';
  if (bytes.length === 0)
    throw new UserError(
      `${src} is empty (0 bytes), not an ONNX model`,
      'check the path; re-export or re-download the model',
    );
  const msg = decodeMessage('ModelProto', bytes, 0, bytes.length, src);
  if (!msg.graph || msg.ir_version === undefined) {
    throw new UserError(
      `${src} is not an ONNX model (no ir_version or graph found)`,
      'pass a .onnx file (an ONNX ModelProto); re-export the model if it should be one',
    );
  }
  const graph = importGraph(msg.graph as Msg, undefined, `${src}: graph`, opts);
  checkReferences(graph, new Set(), `${src}: graph`);
  const m = new Model(graph);
  m.irVersion = msg.ir_version as number | bigint;
  const ops = (msg.opset_import as Msg[] | undefined) ?? [];
  m.opsetImports = ops.map((o) => ({ domain: (o.domain as string) ?? '', version: Number(o.version ?? 0) }));
  if (msg.producer_name !== undefined) m.producerName = msg.producer_name as string;
  if (msg.producer_version !== undefined) m.producerVersion = msg.producer_version as string;
  if (msg.domain !== undefined) m.domain = msg.domain as string;
  if (msg.model_version !== undefined) m.modelVersion = msg.model_version as number | bigint;
  if (msg.doc_string !== undefined) m.docString = msg.doc_string as string;
  const meta = (msg.metadata_props as Msg[] | undefined) ?? [];
  m.metadataProps = meta.map((e) => ({ key: (e.key as string) ?? '', value: (e.value as string) ?? '' }));
  m.extra = pick(msg, [
    'ir_version',
    'opset_import',
    'producer_name',
    'producer_version',
    'domain',
    'model_version',
    'doc_string',
    'graph',
    'metadata_props',
  ]);
  // raw lists, re-emitted while the normalized ones are unchanged
  m.extra.$opsetRaw = { norm: JSON.stringify(m.opsetImports), raw: ops };
  m.extra.$metaRaw = { norm: JSON.stringify(m.metadataProps), raw: meta };
  if (opts.validate !== false) validateModel(m, src);
  return m;
}

export function importGraph(msg: Msg, parent: Graph | undefined, where: string, opts: ImportOptions): Graph {
  const g = new Graph((msg.name as string | undefined) ?? '');
  g.parent = parent;
  const here = `${where}${g.name ? ` '${g.name}'` : ''}`;
  if (msg.doc_string !== undefined) g.docString = msg.doc_string as string;
  g.inputs = ((msg.input as Msg[]) ?? []).map((v) => importValueInfo(v, here));
  g.outputs = ((msg.output as Msg[]) ?? []).map((v) => importValueInfo(v, here));
  g.valueInfo = ((msg.value_info as Msg[]) ?? []).map((v) => importValueInfo(v, here));
  for (const t of (msg.initializer as Msg[]) ?? []) {
    const name = (t.name as string) ?? '';
    g.initializers.set(name, decodeTensor(t, `${here} initializer`, opts.readExternal));
  }
  for (const sp of (msg.sparse_initializer as Msg[]) ?? []) {
    const [name, t] = decodeSparse(sp, `${here} sparse_initializer`, opts.readExternal);
    if (g.initializers.has(name))
      throw new UserError(`${here}: initializer '${name}' is given twice (dense and sparse)`);
    g.initializers.set(name, t);
  }
  g.nodes = ((msg.node as Msg[]) ?? []).map((n) => importNode(n, g, here, opts));
  g.extra = pick(msg, [
    'node',
    'name',
    'initializer',
    'sparse_initializer',
    'doc_string',
    'input',
    'output',
    'value_info',
  ]);
  const empty = emptyFields(msg, ['name']);
  if (empty) g.extra[EMPTY_KEY] = empty;
  g.touch();
  checkSingleAssignment(g, here);
  g.topoOrder(); // a cycle is a user error, reported here
  return g;
}

/** Every value a node or graph output reads is defined in its graph or an enclosing one. */
function checkReferences(g: Graph, outer: Set<string>, where: string): void {
  const here = `${where}${g.name ? ` '${g.name}'` : ''}`;
  const defined = new Set(outer);
  for (const name of g.valueNames()) defined.add(name);
  const missing = (name: string) => name !== '' && !defined.has(name);
  for (const n of g.nodes) {
    const bad = n.inputs.find(missing);
    if (bad !== undefined) {
      throw new UserError(
        `${here}: node '${n.label}' (${n.opType}) reads '${bad}', which no node, input or initializer defines`,
        'the model is incomplete or was edited by hand; re-export it',
      );
    }
    for (const sg of n.subgraphs()) checkReferences(sg, defined, `${here} node '${n.label}' subgraph`);
  }
  const out = g.outputs.find((o) => missing(o.name));
  if (out)
    throw new UserError(
      `${here}: graph output '${out.name}' is not defined by any node, input or initializer`,
    );
}

/** Each value is defined once: by a graph input, an initializer or one node output. */
function checkSingleAssignment(g: Graph, where: string): void {
  const by = new Map<string, string>();
  for (const i of g.inputs) by.set(i.name, 'a graph input');
  for (const name of g.initializers.keys()) if (!by.has(name)) by.set(name, 'an initializer');
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      if (!o) continue;
      const prev = by.get(o);
      if (prev) {
        throw new UserError(
          `${where}: value '${o}' is defined twice (${prev} and node '${n.label}' (${n.opType}))`,
          'ONNX graphs are in single-assignment form: every value name must be produced once',
        );
      }
      by.set(o, `node '${n.label}' (${n.opType})`);
    }
  }
}

export function importNode(msg: Msg, g: Graph, where: string, opts: ImportOptions): Node {
  const n = new Node({ op: (msg.op_type as string) ?? '' });
  n.inputs = ((msg.input as string[]) ?? []).slice();
  n.outputs = ((msg.output as string[]) ?? []).slice();
  n.name = (msg.name as string) ?? '';
  n.domain = (msg.domain as string) ?? '';
  if (msg.doc_string !== undefined) n.docString = msg.doc_string as string;
  const at = `${where} node '${n.name || n.outputs[0] || n.opType}' (${n.opType})`;
  n.attributes = ((msg.attribute as Msg[]) ?? []).map((a) => importAttribute(a, g, at, opts));
  n.extra = pick(msg, ['input', 'output', 'name', 'op_type', 'domain', 'doc_string', 'attribute']);
  const empty = emptyFields(msg, ['name', 'domain', 'op_type']);
  if (empty) n.extra[EMPTY_KEY] = empty;
  n.graph = g;
  return n;
}

export function importAttribute(msg: Msg, g: Graph, where: string, opts: ImportOptions): Attribute {
  const name = (msg.name as string) ?? '';
  let type: AttrType | undefined =
    msg.type !== undefined ? (ATTR_NAMES.get(msg.type as number) ?? undefined) : undefined;
  if (type === undefined && msg.type !== undefined) {
    throw new UserError(`${where}: attribute '${name}' has unknown type ${msg.type}`);
  }
  if (type === undefined) {
    // IR version 1 files carry no type: the one value field present decides
    type =
      (Object.entries(ATTR_FIELD).find(([, f]) => msg[f!] !== undefined)?.[0] as AttrType) ?? 'UNDEFINED';
  }
  const field = ATTR_FIELD[type];
  const at = `${where} attribute '${name}'`;
  const raw = field ? msg[field] : undefined;
  let value: unknown;
  switch (type) {
    case 'FLOAT':
      value = raw ?? 0;
      break;
    case 'INT':
      value = raw ?? 0;
      break;
    case 'STRING':
      value = raw ?? new Uint8Array(0);
      break;
    case 'TENSOR':
      value = raw ? decodeTensor(raw as Msg, at, opts.readExternal) : undefined;
      break;
    case 'GRAPH':
      value = raw ? importGraph(raw as Msg, g, `${at}: graph`, opts) : undefined;
      break;
    case 'FLOATS':
      value = raw ? Array.from(raw as Float32Array) : [];
      break;
    case 'TENSORS':
      value = ((raw as Msg[]) ?? []).map((t) => decodeTensor(t, at, opts.readExternal));
      break;
    case 'GRAPHS':
      value = ((raw as Msg[]) ?? []).map((s) => importGraph(s, g, `${at}: graph`, opts));
      break;
    case 'INTS':
    case 'STRINGS':
    case 'SPARSE_TENSORS':
    case 'TYPE_PROTOS':
      value = raw ?? [];
      break;
    default:
      value = raw;
  }
  const a: Attribute = { name, type, value };
  if (msg.doc_string !== undefined) a.docString = msg.doc_string as string;
  if (msg.ref_attr_name !== undefined) a.refAttrName = msg.ref_attr_name as string;
  const extra = pick(msg, ['name', 'type', 'doc_string', 'ref_attr_name', ...(field ? [field] : [])]);
  if (msg.type === undefined) extra.$noType = true;
  if (field && raw === undefined) extra.$noValue = true; // e.g. INT with no i: proto2 default 0
  if (Object.keys(extra).length) a.extra = extra;
  return a;
}

/** TypeProto → ValueType (tensor types only; undefined for others or an undefined elem type). */
export function typeFromProto(tp: Msg | undefined, where: string): ValueType | undefined {
  const tt = tp?.tensor_type as Msg | undefined;
  if (!tt || tt.elem_type === undefined || tt.elem_type === 0) return undefined;
  const dtype = dtypeFromCode(tt.elem_type as number);
  if (!dtype) {
    throw new UserError(
      `${where}: unknown elem_type ${tt.elem_type}`,
      'ONNX DataType numbers are 1–26 (see onnx.proto); is the file from a newer ONNX?',
    );
  }
  const shape = tt.shape as Msg | undefined;
  if (!shape) return { dtype, shape: undefined };
  const dims: Dim[] = ((shape.dim as Msg[]) ?? []).map((d) =>
    d.dim_value !== undefined
      ? Number(d.dim_value)
      : d.dim_param !== undefined
        ? (d.dim_param as string)
        : '?',
  );
  return { dtype, shape: dims };
}

function importValueInfo(msg: Msg, where: string): ValueInfo {
  const name = (msg.name as string) ?? '';
  const v: ValueInfo = { name };
  if (msg.type) {
    v.typeProto = msg.type as Msg;
    v.type = typeFromProto(msg.type as Msg, `${where} value '${name}'`);
  }
  if (msg.doc_string !== undefined) v.docString = msg.doc_string as string;
  const extra = pick(msg, ['name', 'type', 'doc_string']);
  if (Object.keys(extra).length) v.extra = extra;
  return v;
}
