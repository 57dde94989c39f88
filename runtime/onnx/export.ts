// exportModel: Model → ONNX bytes, deterministic (same model, same bytes) and lossless for what
// import kept. exportModelWithData additionally moves large tensors to an external data file.

import { UserError } from '../errors.ts';
import type { Attribute } from '../ir/attribute.ts';
import { dtypeByteLength, dtypeCode } from '../ir/dtype.ts';
import type { Graph, ValueInfo } from '../ir/graph.ts';
import type { Model } from '../ir/model.ts';
import type { Node } from '../ir/node.ts';
import { sizeOf, type Tensor } from '../ir/tensor.ts';
import { isSparse } from '../ir/tensor-meta.ts';
import { encode, type Msg } from './codec.ts';
import { ATTR_FIELD, EMPTY_KEY, typeFromProto } from './import.ts';
import { ATTR_TYPES } from './schema.ts';
import { encodeSparse } from './sparse.ts';
import { encodeTensor, TENSOR_META } from './tensor-proto.ts';

export interface ExternalDataOptions {
  /** File name (relative to the model's folder) that receives the data. */
  location: string;
  /** Tensors of at least this many bytes go external (default 1024). */
  threshold?: number;
}

interface Ctx {
  external?: ExternalDataOptions;
  chunks: Uint8Array[];
  offset: number;
}

const PROTO_LIMIT = 2 ** 31 - 1;

export function exportModel(model: Model): Uint8Array {
  return exportWith(model, { chunks: [], offset: 0 });
}

/**
 * Export with tensors ≥ threshold bytes moved to the external file `location`. Returns the .onnx
 * bytes and the data file as chunks in file order (written one after another; never one buffer, so
 * data files past 2–4 GB work).
 */
export function exportModelWithData(
  model: Model,
  external: ExternalDataOptions,
): { model: Uint8Array; data: Uint8Array[]; dataBytes: number } {
  const ctx: Ctx = { external, chunks: [], offset: 0 };
  const bytes = exportWith(model, ctx);
  return { model: bytes, data: ctx.chunks, dataBytes: ctx.offset };
}

function exportWith(model: Model, ctx: Ctx): Uint8Array {
  if (!ctx.external) {
    const size = tensorBytes(model.graph);
    if (size > PROTO_LIMIT) {
      throw new UserError(
        `the model's tensors take ${size} bytes, more than one protobuf message can hold (2 GB)`,
        'save with external data (squish writes large tensors to a .data file beside the model)',
      );
    }
  }
  const msg: Msg = { ...model.extra };
  delete msg.$opsetRaw;
  delete msg.$metaRaw;
  msg.ir_version = model.irVersion;
  const opRaw = model.extra.$opsetRaw as { norm: string; raw: Msg[] } | undefined;
  msg.opset_import =
    opRaw && opRaw.norm === JSON.stringify(model.opsetImports)
      ? opRaw.raw
      : model.opsetImports.map((o) => ({ domain: o.domain, version: o.version }));
  const metaRaw = model.extra.$metaRaw as { norm: string; raw: Msg[] } | undefined;
  msg.metadata_props =
    metaRaw && metaRaw.norm === JSON.stringify(model.metadataProps)
      ? metaRaw.raw
      : model.metadataProps.map((e) => ({ key: e.key, value: e.value }));
  if (model.producerName !== undefined) msg.producer_name = model.producerName;
  if (model.producerVersion !== undefined) msg.producer_version = model.producerVersion;
  if (model.domain !== undefined) msg.domain = model.domain;
  if (model.modelVersion !== undefined) msg.model_version = model.modelVersion;
  if (model.docString !== undefined) msg.doc_string = model.docString;
  msg.graph = exportGraph(model.graph, ctx);
  return encode('ModelProto', msg);
}

function tensorBytes(g: Graph): number {
  let n = 0;
  for (const t of g.initializers.values())
    n += t.dtype === 'string' ? 0 : dtypeByteLength(t.dtype, sizeOf(t.dims));
  for (const node of g.nodes) {
    for (const a of node.attributes) {
      if (a.type === 'TENSOR')
        n += dtypeByteLength((a.value as Tensor).dtype, sizeOf((a.value as Tensor).dims));
    }
    for (const s of node.subgraphs()) n += tensorBytes(s);
  }
  return n;
}

function keepEmpty(extra: Record<string, unknown>, field: string, value: string): boolean {
  return value !== '' || ((extra[EMPTY_KEY] as string[] | undefined)?.includes(field) ?? false);
}

function cleanExtra(extra: Record<string, unknown> | undefined): Msg {
  const m: Msg = { ...(extra ?? {}) };
  delete m[EMPTY_KEY];
  delete m.$noType;
  delete m.$noValue;
  return m;
}

function isDefault(v: unknown): boolean {
  if (v === 0 || v === 0n) return !Object.is(v, -0);
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length === 0;
  return false;
}

export function exportGraph(g: Graph, ctx: Ctx = { chunks: [], offset: 0 }): Msg {
  const msg = cleanExtra(g.extra);
  msg.node = g.nodes.map((n) => exportNode(n, ctx));
  if (keepEmpty(g.extra, 'name', g.name)) msg.name = g.name;
  const inits = [...g.initializers];
  msg.initializer = inits.filter(([, t]) => !isSparse(t)).map(([name, t]) => exportTensor(t, name, ctx));
  msg.sparse_initializer = inits.filter(([, t]) => isSparse(t)).map(([name, t]) => encodeSparse(t, name));
  if (g.docString !== undefined) msg.doc_string = g.docString;
  msg.input = g.inputs.map(exportValueInfo);
  msg.output = g.outputs.map(exportValueInfo);
  msg.value_info = g.valueInfo.map(exportValueInfo);
  return msg;
}

function exportTensor(t: Tensor, name: string | undefined, ctx: Ctx): Msg {
  const ext = ctx.external;
  const bytes = t.dtype === 'string' ? 0 : dtypeByteLength(t.dtype, sizeOf(t.dims));
  if (ext && t.dtype !== 'string' && bytes >= (ext.threshold ?? 1024)) {
    const msg = encodeTensor(t, name, 'raw');
    const raw = msg.raw_data as Uint8Array;
    delete msg.raw_data;
    msg.data_location = 1;
    msg.external_data = [
      { key: 'location', value: ext.location },
      { key: 'offset', value: String(ctx.offset) },
      { key: 'length', value: String(raw.length) },
    ];
    ctx.chunks.push(raw);
    ctx.offset += raw.length;
    return msg;
  }
  const meta = TENSOR_META.get(t);
  // a tensor read from external data is embedded (raw) when no external file is being written
  if (meta?.storage === 'external') {
    const msg = encodeTensor(t, name, 'raw');
    return msg;
  }
  return encodeTensor(t, name);
}

function exportNode(n: Node, ctx: Ctx): Msg {
  const msg = cleanExtra(n.extra);
  msg.input = n.inputs;
  msg.output = n.outputs;
  if (keepEmpty(n.extra, 'name', n.name)) msg.name = n.name;
  if (keepEmpty(n.extra, 'op_type', n.opType)) msg.op_type = n.opType;
  if (keepEmpty(n.extra, 'domain', n.domain)) msg.domain = n.domain;
  if (n.docString !== undefined) msg.doc_string = n.docString;
  msg.attribute = n.attributes.map((a) => exportAttribute(a, ctx));
  return msg;
}

function exportAttribute(a: Attribute, ctx: Ctx): Msg {
  const msg = cleanExtra(a.extra);
  msg.name = a.name;
  if (!a.extra?.$noType) msg.type = ATTR_TYPES[a.type];
  if (a.docString !== undefined) msg.doc_string = a.docString;
  if (a.refAttrName !== undefined) msg.ref_attr_name = a.refAttrName;
  const field = ATTR_FIELD[a.type];
  if (!field || a.value === undefined) return msg;
  if (a.extra?.$noValue && isDefault(a.value)) return msg; // absent in the file: keep it absent
  switch (a.type) {
    case 'TENSOR':
      msg[field] = exportTensor(a.value as Tensor, undefined, ctx);
      break;
    case 'TENSORS':
      msg[field] = (a.value as Tensor[]).map((t) => encodeTensor(t, undefined));
      break;
    case 'GRAPH':
      msg[field] = exportGraph(a.value as Graph, ctx);
      break;
    case 'GRAPHS':
      msg[field] = (a.value as Graph[]).map((s) => exportGraph(s, ctx));
      break;
    case 'FLOATS':
      msg[field] = Float32Array.from(a.value as ArrayLike<number>);
      break;
    default:
      msg[field] = a.value;
  }
  return msg;
}

function exportValueInfo(v: ValueInfo): Msg {
  const msg = cleanExtra(v.extra);
  msg.name = v.name;
  if (v.typeProto && JSON.stringify(typeFromProto(v.typeProto, v.name)) === JSON.stringify(v.type)) {
    msg.type = v.typeProto;
  } else if (v.type) {
    msg.type = {
      tensor_type: {
        elem_type: dtypeCode(v.type.dtype),
        ...(v.type.shape
          ? {
              shape: {
                dim: v.type.shape.map((d) =>
                  typeof d === 'number' ? { dim_value: d } : d === '?' ? {} : { dim_param: d },
                ),
              },
            }
          : {}),
      },
    };
  }
  if (v.docString !== undefined) msg.doc_string = v.docString;
  return msg;
}
