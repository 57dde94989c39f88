// Shape inference through control flow: If takes its branches' declared outputs, Loop keeps the
// carried values' types and stacks scan outputs — checked against onnxruntime.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { inferShapes } from '../../runtime/ir/shape/infer.ts';
import { modelStats } from '../../runtime/ir/shape/stats.ts';
import { exportModel } from '../../runtime/onnx/export.ts';

function model(): Model {
  const g = new Graph('main');
  g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [2, 3] } }];
  g.addInitializer('cond', { dtype: 'bool', dims: [], data: Uint8Array.of(1) });
  g.addInitializer('trips', { dtype: 'int64', dims: [], data: BigInt64Array.of(4n) });
  const then = new Graph('then');
  then.addNode({ op: 'Relu', inputs: ['x'], outputs: ['t'] });
  then.outputs = [{ name: 't', type: { dtype: 'float32', shape: [2, 3] } }];
  const other = new Graph('else');
  other.addNode({ op: 'Neg', inputs: ['x'], outputs: ['e'] });
  other.outputs = [{ name: 'e', type: { dtype: 'float32', shape: [2, 3] } }];
  g.addNode({
    op: 'If',
    inputs: ['cond'],
    outputs: ['y_if'],
    attrs: { then_branch: then, else_branch: other },
  });
  const body = new Graph('body');
  body.inputs = [
    { name: 'i', type: { dtype: 'int64', shape: [] } },
    { name: 'c', type: { dtype: 'bool', shape: [] } },
    { name: 'v', type: { dtype: 'float32', shape: [2, 3] } },
  ];
  body.addNode({ op: 'Identity', inputs: ['c'], outputs: ['c_out'] });
  body.addNode({ op: 'Add', inputs: ['v', 'x'], outputs: ['v_out'] });
  body.addNode({ op: 'ReduceSum', inputs: ['v_out'], outputs: ['scan'], attrs: { keepdims: 0 } });
  body.outputs = [
    { name: 'c_out', type: { dtype: 'bool', shape: [] } },
    { name: 'v_out', type: { dtype: 'float32', shape: [2, 3] } },
    { name: 'scan', type: { dtype: 'float32', shape: [] } },
  ];
  g.addNode({ op: 'Loop', inputs: ['trips', '', 'x'], outputs: ['y_loop', 'y_scan'], attrs: { body } });
  g.outputs = [{ name: 'y_if' }, { name: 'y_loop' }, { name: 'y_scan' }];
  const m = new Model(g);
  m.opsetImports = [{ domain: '', version: 11 }];
  return m;
}

describe('control-flow shapes', () => {
  it('If and Loop outputs match onnxruntime', async () => {
    const m = model();
    const r = inferShapes(m.graph, { opset: 11 });
    const s = await ort.InferenceSession.create(exportModel(m), { logSeverityLevel: 3 });
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(6).fill(1), [2, 3]) });
    await s.release();
    expect(r.types.get('y_if')?.shape).toEqual([...out.y_if!.dims]);
    expect(r.types.get('y_loop')?.shape).toEqual([...out.y_loop!.dims]);
    expect(r.types.get('y_scan')?.shape).toEqual([...out.y_scan!.dims]); // constant trip count 4
    expect(r.unknownOps.size).toBe(0);
  });

  it('stats count constants inside bodies and outer ones they read, on the control-flow node', () => {
    const m = model();
    m.graph.addInitializer('bias', { dtype: 'float32', dims: [3], data: new Float32Array(3) });
    const body = m.graph.nodes.find((n) => n.opType === 'Loop')!.attrs.body as Graph;
    body.addInitializer('inner', { dtype: 'float32', dims: [2, 3], data: new Float32Array(6) });
    body.nodes[1]!.setInput(1, 'bias'); // v_out = v + bias (outer constant)
    const st = modelStats(m);
    const loop = st.layers.find((l) => l.op === 'Loop')!;
    expect(loop.params).toBe(3 + 6 + 1); // outer bias, inner initializer, the trip count
    expect(st.totals.params).toBe(1 + 1 + 3 + 6); // cond, trips, bias, inner
    expect(st.layers.find((l) => l.name.startsWith('('))).toBeUndefined(); // nothing left unattributed
  });

  it('Scan outputs match onnxruntime (state, and a scan output on axis 1)', async () => {
    const g = new Graph('main');
    g.inputs = [
      { name: 'init', type: { dtype: 'float32', shape: [2] } },
      { name: 'seq', type: { dtype: 'float32', shape: [5, 2] } },
    ];
    const body = new Graph('body');
    body.inputs = [
      { name: 'acc', type: { dtype: 'float32', shape: [2] } },
      { name: 'item', type: { dtype: 'float32', shape: [2] } },
    ];
    body.addNode({ op: 'Add', inputs: ['acc', 'item'], outputs: ['acc_out'] });
    body.addNode({ op: 'Unsqueeze', inputs: ['acc_out', 'ax'], outputs: ['col'] });
    body.addInitializer('ax', { dtype: 'int64', dims: [1], data: BigInt64Array.of(1n) });
    body.outputs = [
      { name: 'acc_out', type: { dtype: 'float32', shape: [2] } },
      { name: 'col', type: { dtype: 'float32', shape: [2, 1] } },
    ];
    g.addNode({
      op: 'Scan',
      inputs: ['init', 'seq'],
      outputs: ['final', 'stacked'],
      attrs: { body, num_scan_inputs: 1, scan_output_axes: [1] },
    });
    g.outputs = [{ name: 'final' }, { name: 'stacked' }];
    const m = new Model(g);
    m.opsetImports = [{ domain: '', version: 13 }];
    const r = inferShapes(g, { opset: 13 });
    const s = await ort.InferenceSession.create(exportModel(m), { logSeverityLevel: 3 });
    const out = await s.run({
      init: new ort.Tensor('float32', new Float32Array(2), [2]),
      seq: new ort.Tensor('float32', new Float32Array(10).fill(1), [5, 2]),
    });
    await s.release();
    expect(r.types.get('final')?.shape).toEqual([...out.final!.dims]);
    expect(r.types.get('stacked')?.shape).toEqual([...out.stacked!.dims]);
  });
});
