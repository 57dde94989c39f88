// Layer stats of a weight-quantized model: DequantizeLinear of stored int4 weights is folded into
// the Conv that uses it (its stored tensors are the Conv's params and bytes; no separate layer).
import { describe, expect, it } from 'vitest';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { modelStats } from '../../runtime/ir/shape/stats.ts';

describe('stats of a quantized model', () => {
  it('folds DequantizeLinear(int4) into the consuming Conv', () => {
    const g = new Graph('q');
    g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [1, 3, 8, 8] } }];
    const n = 4 * 3 * 3 * 3; // Cout·Cin·kh·kw = 108 int4 values = 54 bytes packed
    g.addInitializer('wq', { dtype: 'int4', dims: [4, 3, 3, 3], data: new Int8Array(n).fill(1) });
    g.addInitializer('scale', { dtype: 'float32', dims: [4], data: new Float32Array(4).fill(0.1) });
    g.addInitializer('zp', { dtype: 'int4', dims: [4], data: new Int8Array(4) });
    g.addNode({ op: 'DequantizeLinear', inputs: ['wq', 'scale', 'zp'], outputs: ['w'], attrs: { axis: 0 } });
    g.addNode({
      op: 'Conv',
      inputs: ['x', 'w'],
      outputs: ['y'],
      name: 'conv',
      attrs: { kernel_shape: [3, 3] },
    });
    g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: [1, 4, 6, 6] } }];
    const m = new Model(g);
    m.opsetImports = [{ domain: '', version: 21 }];
    const st = modelStats(m);
    expect(st.layers.map((l) => l.op)).toEqual(['Conv']);
    const conv = st.layers[0]!;
    expect(conv.params).toBe(n + 4 + 4);
    expect(conv.bytes).toBe(54 + 16 + 2);
    expect(conv.flops).toBe(2 * 4 * 3 * 3 * 3 * 6 * 6);
    expect(conv.inputs[1]).toEqual({ dtype: 'float32', shape: [4, 3, 3, 3] });
    expect(st.totals).toMatchObject({ nodes: 2, layers: 1, params: n + 8, bytes: 72, flopsComplete: true });
  });
});

describe('refreshValueInfo', () => {
  it('fixes value_info a pass made stale (channels, dtype) and leaves consistent entries alone', async () => {
    const { readFileSync } = await import('node:fs');
    const { importModel } = await import('../../runtime/onnx/index.ts');
    const { refreshValueInfo } = await import('../../runtime/ir/shape/refresh.ts');
    const { MODELS } = await import('../support/paths.ts');
    const m = importModel(new Uint8Array(readFileSync(MODELS.cls)));
    const g = m.graph;
    const convs = g.nodes.filter((n) => n.opType === 'Conv');
    g.valueInfo.push({ name: convs[0]!.outputs[0]!, type: { dtype: 'float32', shape: [1, 9, 24, 96] } });
    g.valueInfo.push({
      name: convs[1]!.outputs[0]!,
      type: { dtype: 'float32', shape: ['p2o.DynamicDimension.0', 8, '?', '?'] },
    });
    g.valueInfo.push({ name: convs[2]!.outputs[0]!, type: { dtype: 'float16', shape: undefined } });
    expect(refreshValueInfo(m)).toEqual([convs[0]!.outputs[0], convs[2]!.outputs[0]]);
    expect(g.valueInfo[0]!.type).toEqual({
      dtype: 'float32',
      shape: ['p2o.DynamicDimension.0', 8, '?', '?'],
    });
    expect(g.valueInfo[2]!.type?.dtype).toBe('float32');
    expect(refreshValueInfo(m)).toEqual([]);
  });
});
