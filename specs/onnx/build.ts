// Spec helpers: build small ONNX models with the IR, and raw ModelProto messages for bad input.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DType } from '../../runtime/ir/dtype.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import type { Dim } from '../../runtime/ir/types.ts';
import type { Msg } from '../../runtime/onnx/codec.ts';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `squish-${tag}-`));
}

/** A model with one graph; inputs/outputs as [name, dtype, shape]. */
export function makeModel(
  inputs: [string, DType, Dim[]][],
  outputs: [string, DType, Dim[] | undefined][],
  opset = 17,
): Model {
  const g = new Graph('g');
  g.inputs = inputs.map(([name, dtype, shape]) => ({ name, type: { dtype, shape } }));
  g.outputs = outputs.map(([name, dtype, shape]) => ({ name, type: { dtype, shape } }));
  const m = new Model(g);
  m.irVersion = 8;
  m.opsetImports = [{ domain: '', version: opset }];
  return m;
}

const f32 = (vals: number[]) => new Uint8Array(new Float32Array(vals).buffer);

/** A raw ModelProto message: input x[n] → Add(x, w) → y, with the initializer `w` as given. */
export function rawModelWithInitializer(w: Msg, n = 4): Msg {
  const vi = (name: string) => ({
    name,
    type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: n }] } } },
  });
  return {
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ op_type: 'Add', input: ['x', 'w'], output: ['y'] }],
      initializer: [{ name: 'w', ...w }],
      input: [vi('x')],
      output: [vi('y')],
    },
  };
}

export { f32 };

// ---- independent view of a model through onnx-proto (protobufjs), not squish's codec ----
import onnxProto from 'onnx-proto';

// biome-ignore lint/suspicious/noExplicitAny: onnx-proto's generated types are loose here
export const onnxpb: any = (onnxProto as any).onnx;

/** The model with every node output (or the given names) added as a graph output (type left to ort). */
export function withOutputs(bytes: Uint8Array, names?: string[]): Uint8Array {
  const m = onnxpb.ModelProto.decode(bytes);
  const have = new Set(m.graph.output.map((o: { name: string }) => o.name));
  const want =
    names ??
    m.graph.node
      .filter((n: { opType: string }) => n.opType !== 'Constant')
      .flatMap((n: { output: string[] }) => n.output);
  for (const name of want)
    if (name && !have.has(name)) m.graph.output.push(onnxpb.ValueInfoProto.create({ name }));
  return onnxpb.ModelProto.encode(m).finish();
}
