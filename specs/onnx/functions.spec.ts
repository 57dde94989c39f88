// Model-local functions pass through untouched, and inlineFunctions turns calls into ordinary nodes
// (attribute references resolved, nested calls too): onnxruntime gives the same outputs, and shape
// inference then sees through the former calls.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../runtime/ir/shape/infer.ts';
import { encode, type Msg } from '../../runtime/onnx/codec.ts';
import { exportModel, importModel, inlineFunctions } from '../../runtime/onnx/index.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from './build.ts';

const vi = (name: string, dims: number[]): Msg => ({
  name,
  type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
});

function model(): Uint8Array {
  const msg: Msg = {
    ir_version: 10,
    opset_import: [
      { domain: '', version: 18 },
      { domain: 'local', version: 1 },
    ],
    functions: [
      {
        // y = LeakyRelu(a, alpha=@alpha) + b  (alpha defaults to 0.5)
        name: 'LeakyAdd',
        domain: 'local',
        input: ['a', 'b'],
        output: ['y'],
        attribute_proto: [{ name: 'alpha', type: 1, f: 0.5 }],
        node: [
          {
            op_type: 'LeakyRelu',
            input: ['a'],
            output: ['t'],
            attribute: [{ name: 'alpha', type: 1, ref_attr_name: 'alpha' }],
          },
          { op_type: 'Add', input: ['t', 'b'], output: ['y'] },
        ],
        opset_import: [{ domain: '', version: 18 }],
      },
      {
        // z = LeakyAdd(LeakyAdd(x, x), x) with alpha=0.1 on the inner call: a nested call
        name: 'Twice',
        domain: 'local',
        input: ['x'],
        output: ['z'],
        node: [
          {
            op_type: 'LeakyAdd',
            domain: 'local',
            input: ['x', 'x'],
            output: ['u'],
            attribute: [{ name: 'alpha', type: 1, f: 0.1 }],
          },
          { op_type: 'LeakyAdd', domain: 'local', input: ['u', 'x'], output: ['z'] },
        ],
        opset_import: [
          { domain: '', version: 18 },
          { domain: 'local', version: 1 },
        ],
      },
    ],
    graph: {
      name: 'g',
      node: [
        { op_type: 'Twice', domain: 'local', name: 'call', input: ['x'], output: ['t'] },
        {
          op_type: 'LeakyAdd',
          domain: 'local',
          input: ['t', 'x'],
          output: ['y'],
          attribute: [{ name: 'alpha', type: 1, f: 0.25 }],
        },
      ],
      input: [vi('x', [2, 3])],
      output: [{ name: 'y' }],
    },
  };
  return encode('ModelProto', msg);
}

async function run(bytes: Uint8Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const x = Float32Array.of(-3, -1, 0, 1, 2, -0.5);
    return (await s.run({ x: new ort.Tensor('float32', x, [2, 3]) })).y!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('model-local functions', () => {
  it('pass through import/export byte for byte', () => {
    const bytes = model();
    expect(Buffer.from(exportModel(importModel(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('inline to ordinary nodes that onnxruntime runs to the same outputs', async () => {
    const bytes = model();
    const m = importModel(bytes);
    expect(inferShapes(m.graph, { opset: 18 }).types.get('y')).toBeUndefined();
    expect(inlineFunctions(m)).toBe(4); // Twice, its two LeakyAdds, the outer LeakyAdd
    expect(m.graph.nodes.map((n) => n.opType)).toEqual([
      'LeakyRelu',
      'Add',
      'LeakyRelu',
      'Add',
      'LeakyRelu',
      'Add',
    ]);
    expect(m.graph.nodes.filter((n) => n.opType === 'LeakyRelu').map((n) => n.attrs.alpha)).toEqual([
      Math.fround(0.1),
      0.5,
      0.25,
    ]);
    expect(m.extra.functions).toBeUndefined();
    expect(inferShapes(m.graph, { opset: 18 }).types.get('y')).toEqual({ dtype: 'float32', shape: [2, 3] });
    const inlined = exportModel(m);
    expect([...(await run(inlined))]).toEqual([...(await run(bytes))]);
  });

  it('squish inspect counts through function calls', async () => {
    const dir = tempDir('fn');
    try {
      const file = join(dir, 'fn.onnx');
      writeFileSync(file, model());
      const r = await runCli(['inspect', file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^functions 4 calls of model-local functions counted as their bodies$/m);
      expect(r.stdout).toMatch(/^FLOPs\s+36 /m); // 6 nodes × 6 elements, all shapes known
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
