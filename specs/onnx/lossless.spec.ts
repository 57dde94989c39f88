// Lossless import/export: fields the old onnx-proto schema lacks (node overload and metadata,
// graph/tensor/value metadata, functions, training info, sparse initializers, quantization
// annotations) and fields no schema knows (number 99) survive import → edit → export.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encode, type Msg } from '../../runtime/onnx/codec.ts';
import { exportModel, importModel } from '../../runtime/onnx/index.ts';
import { MODELS } from '../support/paths.ts';
import { f32, onnxpb } from './build.ts';

const field99 = new Uint8Array([0x9a, 0x06, 0x03, 0x61, 0x62, 0x63]); // field 99, length-delimited "abc"
const field99v = new Uint8Array([0x98, 0x06, 0x2a]); // field 99, varint 42

function contains(hay: Uint8Array, needle: Uint8Array): number {
  let n = 0;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    n++;
  }
  return n;
}

function richModel(): Uint8Array {
  const meta = [{ key: 'k', value: 'v' }];
  const vi = (name: string): Msg => ({
    name,
    type: {
      tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 2, denotation: 'DATA_FEATURE' }] } },
      denotation: 'TENSOR',
    },
    doc_string: `doc of ${name}`,
    metadata_props: meta,
    $unknown: [field99v],
  });
  const msg: Msg = {
    ir_version: 10,
    opset_import: [
      { domain: '', version: 21 },
      { domain: 'local', version: 1 },
    ],
    producer_name: 'spec',
    producer_version: '1',
    domain: 'org.example',
    model_version: 7,
    doc_string: 'model doc',
    metadata_props: meta,
    functions: [
      {
        name: 'Twice',
        domain: 'local',
        overload: 'v1',
        input: ['a'],
        output: ['b'],
        attribute: ['unused'],
        node: [{ op_type: 'Add', input: ['a', 'a'], output: ['b'], metadata_props: meta }],
        opset_import: [{ domain: '', version: 21 }],
        metadata_props: meta,
      },
    ],
    training_info: [{ initialization_binding: meta }],
    graph: {
      name: 'g',
      doc_string: 'graph doc',
      metadata_props: meta,
      node: [
        {
          op_type: 'Twice',
          domain: 'local',
          name: 'n0',
          overload: 'v1',
          input: ['x'],
          output: ['t'],
          metadata_props: meta,
          doc_string: 'node doc',
          $unknown: [field99v],
        },
        {
          op_type: 'Add',
          name: 'n1',
          input: ['t', 'w'],
          output: ['y'],
          attribute: [],
          $unknown: [field99],
        },
        {
          op_type: 'LeakyRelu',
          name: 'n2',
          input: ['y'],
          output: ['z'],
          attribute: [{ name: 'alpha', type: 1, f: 0.5, doc_string: 'attr doc', $unknown: [field99v] }],
        },
      ],
      initializer: [
        {
          name: 'w',
          dims: [2],
          data_type: 1,
          raw_data: f32([1, 2]),
          doc_string: 'w doc',
          metadata_props: meta,
          $unknown: [field99],
        },
      ],
      sparse_initializer: [
        {
          values: { name: 'sp', dims: [1], data_type: 1, raw_data: f32([3]) },
          indices: { dims: [1], data_type: 7, int64_data: [1] },
          dims: [2],
        },
      ],
      quantization_annotation: [
        { tensor_name: 'y', quant_parameter_tensor_names: [{ key: 'SCALE_TENSOR', value: 'w' }] },
      ],
      input: [vi('x')],
      output: [vi('z')],
      value_info: [vi('t'), vi('y')],
      $unknown: [field99],
    },
    $unknown: [field99, field99v],
  };
  return encode('ModelProto', msg);
}

describe('lossless import/export', () => {
  it('a field 99 appended to a real ModelProto survives', () => {
    const base = new Uint8Array(readFileSync(MODELS.cls));
    const bytes = new Uint8Array([...base, ...field99]);
    const out = exportModel(importModel(bytes));
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
    // the old schema package drops it (why squish has its own codec)
    const pb = onnxpb.ModelProto.encode(onnxpb.ModelProto.decode(bytes)).finish();
    expect(contains(pb, field99)).toBe(0);
  });

  it('newer and unknown fields on every message survive byte for byte', () => {
    const bytes = richModel();
    const m = importModel(bytes);
    expect(Buffer.from(exportModel(m)).equals(Buffer.from(bytes))).toBe(true);
    expect(m.graph.nodes[0]!.extra.overload).toBe('v1');
    expect(m.graph.nodes[0]!.extra.metadata_props).toEqual([{ key: 'k', value: 'v' }]);
    expect(m.graph.nodes[1]!.extra.$unknown).toEqual([field99]);
    expect(m.graph.inputs[0]!.type).toEqual({ dtype: 'float32', shape: [2] });
    expect((m.extra.functions as Msg[])[0]!.name).toBe('Twice');
  });

  it('edits keep everything they do not touch', () => {
    const m = importModel(richModel());
    m.graph.nodes[2]!.setAttr('alpha', 0.25, 'FLOAT');
    m.graph.inputs[0]!.type = { dtype: 'float32', shape: ['batch'] };
    const back = decodeMessage('ModelProto', exportModel(m));
    const g = back.graph as Msg;
    const nodes = g.node as Msg[];
    const attr = (nodes[2]!.attribute as Msg[])[0]!;
    expect(attr.f).toBe(0.25);
    expect(attr.doc_string).toBe('attr doc');
    expect(attr.$unknown).toEqual([field99v]);
    expect(nodes[0]!.overload).toBe('v1');
    expect(nodes[1]!.$unknown).toEqual([field99]);
    const input = (g.input as Msg[])[0]!;
    expect(input.type).toEqual({ tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'batch' }] } } });
    expect(input.metadata_props).toEqual([{ key: 'k', value: 'v' }]);
    expect(g.sparse_initializer).toBeDefined();
    expect(g.quantization_annotation).toBeDefined();
    expect(back.$unknown).toEqual([field99, field99v]);
    expect(back.training_info).toBeDefined();
  });
});

describe('presence', () => {
  it('attributes and names absent in the file stay absent; present empty ones stay present', () => {
    const msg: Msg = {
      ir_version: 8,
      opset_import: [{ version: 13 }],
      graph: {
        name: '',
        node: [
          {
            op_type: 'Softmax',
            input: ['x'],
            output: ['y'],
            domain: '',
            attribute: [{ name: 'axis', type: 2 }],
          },
          {
            op_type: 'Identity',
            input: ['y'],
            output: ['z'],
            name: '',
            attribute: [{ name: 'empty', type: 7 }],
          },
        ],
        input: [{ name: 'x' }],
        output: [{ name: 'z' }],
      },
    };
    const bytes = encode('ModelProto', msg);
    const m = importModel(bytes);
    expect(m.graph.nodes[0]!.attrs.axis).toBe(0);
    expect(m.graph.nodes[1]!.attrs.empty).toEqual([]);
    expect(Buffer.from(exportModel(m)).equals(Buffer.from(bytes))).toBe(true);
    m.graph.nodes[0]!.setAttr('axis', 1);
    const node = ((decodeMessage('ModelProto', exportModel(m)).graph as Msg).node as Msg[])[0]!;
    expect((node.attribute as Msg[])[0]!.i).toBe(1);
  });
});
