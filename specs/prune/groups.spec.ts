// Channel dependency groups on random conv nets (residual Add, Concat, depthwise, SE gate, BN,
// broadcast constants, ConvTranspose, Flatten → Gemm): removing units whose consumers already ignore
// them (their input columns zeroed) changes no output in onnxruntime-node (exact up to float
// summation order), and the shrunk graph is shape-consistent there. Unknown ops block their groups.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { channelGroups } from '../../compiler/passes/prune/groups.ts';
import { removeUnits } from '../../compiler/passes/prune/shrink.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { inferShapes } from '../../runtime/ir/shape/index.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from '../compiler/graphs.ts';

type Block = {
  kind: 'conv' | 'res' | 'dw' | 'cat' | 'se' | 'bn' | 'affine' | 'convT' | 'pool';
  c: number;
  k: number;
};

const blockArb = fc.record({
  kind: fc.constantFrom('conv', 'res', 'dw', 'cat', 'se', 'bn', 'affine', 'convT', 'pool') as fc.Arbitrary<
    Block['kind']
  >,
  c: fc.integer({ min: 2, max: 6 }),
  k: fc.constantFrom(1, 3),
});

function randNet(blocks: Block[], seed: number, transB: boolean): { model: Model; hw: number } {
  const r = normalSampler(seed);
  const rand = (n: number, s = 0.5) => Float32Array.from({ length: n }, () => r() * s);
  const nodes: NodeInit[] = [];
  const inits: Record<string, Tensor> = {};
  let n = 0;
  const v = (p: string) => `${p}${n++}`;
  const conv = (x: string, cin: number, cout: number, k: number, bias = true, group = 1): string => {
    const y = v('conv');
    const w = v('w');
    inits[w] = float32([cout, cin / group, k, k], rand((cout * cin * k * k) / group));
    const ins = [x, w];
    if (bias) {
      const b = v('b');
      inits[b] = float32([cout], rand(cout));
      ins.push(b);
    }
    const p = (k - 1) / 2;
    nodes.push({
      op: 'Conv',
      name: y,
      inputs: ins,
      outputs: [y],
      attrs: { kernel_shape: [k, k], pads: [p, p, p, p], group },
    });
    return y;
  };
  const un = (op: string, x: string, attrs?: Record<string, number | number[]>): string => {
    const y = v(op.toLowerCase());
    nodes.push({ op, name: y, inputs: [x], outputs: [y], attrs });
    return y;
  };
  const bin = (op: string, a: string, b: string): string => {
    const y = v(op.toLowerCase());
    nodes.push({ op, name: y, inputs: [a, b], outputs: [y] });
    return y;
  };
  let cur = un('Relu', conv('x', 3, 4, 3));
  let C = 4;
  let hw = 4;
  let convT = false;
  for (const b of blocks) {
    if (b.kind === 'conv') {
      cur = un('Relu', conv(cur, C, b.c, b.k, b.c % 2 === 0));
      C = b.c;
    } else if (b.kind === 'res') cur = bin('Add', cur, un('Relu', conv(cur, C, C, b.k)));
    else if (b.kind === 'dw') cur = un('Relu', conv(cur, C, C, 3, true, C));
    else if (b.kind === 'cat') {
      const a = conv(cur, C, b.c, b.k);
      const c2 = conv(cur, C, 2, 1);
      const y = v('cat');
      nodes.push({ op: 'Concat', name: y, inputs: [a, c2], outputs: [y], attrs: { axis: 1 } });
      cur = y;
      C = b.c + 2;
    } else if (b.kind === 'se') {
      const g = un('GlobalAveragePool', cur);
      const e = conv(un('Relu', conv(g, C, 2, 1)), 2, C, 1);
      cur = bin('Mul', cur, un('HardSigmoid', e, { alpha: 0.2, beta: 0.5 }));
    } else if (b.kind === 'bn') {
      const names = ['s', 'bb', 'm', 'var'].map((p) => v(p));
      inits[names[0]!] = float32([C], rand(C, 1));
      inits[names[1]!] = float32([C], rand(C));
      inits[names[2]!] = float32([C], rand(C));
      inits[names[3]!] = float32(
        [C],
        Float32Array.from({ length: C }, () => 0.5 + Math.abs(r())),
      );
      const y = v('bn');
      nodes.push({ op: 'BatchNormalization', name: y, inputs: [cur, ...names], outputs: [y] });
      cur = y;
    } else if (b.kind === 'affine') {
      const s = v('scale');
      inits[s] = float32([C, 1, 1], rand(C, 1));
      const k = v('shift');
      inits[k] = float32([1], [0.3]);
      cur = bin('Add', bin('Mul', cur, s), k);
    } else if (b.kind === 'convT' && !convT) {
      convT = true;
      const w = v('wt');
      inits[w] = float32([C, b.c, 2, 2], rand(C * b.c * 4));
      const bias = v('bt');
      inits[bias] = float32([b.c], rand(b.c));
      const y = v('convT');
      nodes.push({
        op: 'ConvTranspose',
        name: y,
        inputs: [cur, w, bias],
        outputs: [y],
        attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      });
      cur = un('Relu', y);
      C = b.c;
      hw *= 2;
    } else if (b.kind === 'pool') cur = un('MaxPool', cur, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  }
  const f = un('Flatten', cur, { axis: 1 });
  const wg = v('wg');
  const F = C * hw * hw;
  inits[wg] = float32(transB ? [5, F] : [F, 5], rand(5 * F, 0.2));
  nodes.push({ op: 'Gemm', name: 'fc', inputs: [f, wg], outputs: ['y'], attrs: { transB: transB ? 1 : 0 } });
  const model = buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 4, 4] }],
    outputs: ['y'],
    nodes,
    initializers: inits,
  });
  return { model, hw };
}

function groupsOf(model: Model) {
  const types = inferShapes(model.graph, { opset: 13 }).types;
  return channelGroups(model.graph, (n) => types.get(n));
}

/** Zeroes the consumer input columns of a unit (its channels then feed nothing). */
function silence(model: Model, u: ReturnType<typeof groupsOf>[number]['units'][number]): void {
  for (const a of u.actions) {
    if (a.kind !== 'in' && a.kind !== 'rows') continue;
    const w = model.graph.constant(a.node.inputs[1]!)!;
    const d = w.data as Float32Array;
    const dims = w.dims;
    if (a.kind === 'rows') {
      const transB = a.node.attrs.transB === 1;
      for (let i = a.start; i < a.start + a.count; i++)
        for (let o = 0; o < 5; o++) d[transB ? o * dims[1]! + i : i * dims[1]! + o] = 0;
      continue;
    }
    const axis = a.node.opType === 'ConvTranspose' ? 0 : 1;
    const inner = dims.slice(axis + 1).reduce((p, q) => p * q, 1);
    const outer = dims.slice(0, axis).reduce((p, q) => p * q, 1);
    for (let o = 0; o < outer; o++)
      d.fill(0, (o * dims[axis]! + a.c) * inner, (o * dims[axis]! + a.c + 1) * inner);
  }
}

describe('channel dependency groups', () => {
  it('removing silenced units changes no output and stays shape-consistent in onnxruntime', async () => {
    let removedTotal = 0;
    const covered = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(blockArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
        fc.double({ min: 0.1, max: 0.9, noNaN: true }),
        async (blocks, seed, transB, share) => {
          const { model } = randNet(blocks, seed, transB);
          const groups = groupsOf(model);
          const pick = normalSampler(seed + 7);
          const chosen = groups
            .filter((g) => !g.blocked)
            .flatMap((g) => {
              const free = g.units.filter((u) => !u.blocked);
              // never remove every channel of a group
              return free.filter(() => pick() < share * 1.5 - 0.75).slice(0, Math.max(0, free.length - 1));
            });
          for (const u of chosen) silence(model, u);
          for (const u of chosen)
            for (const a of u.actions)
              covered.add(a.node.opType === 'ConvTranspose' ? `${a.kind}:ConvTranspose` : a.kind);
          for (const u of chosen)
            if (u.values.length > 1 && new Set(u.values.map((q) => q.name)).size > 3) covered.add('coupled');
          const x = float32(
            [1, 3, 4, 4],
            Float32Array.from({ length: 48 }, () => pick()),
          );
          const before = (await ortRun(bytesOf(model), { x })).y!;
          removeUnits(model, chosen);
          const after = (await ortRun(bytesOf(model), { x })).y!;
          removedTotal += chosen.length;
          const scale = Math.max(1, ...Array.from(before, Math.abs));
          expect(maxAbsDiff(before, after)).toBeLessThanOrEqual(1e-5 * scale);
        },
      ),
      { numRuns: 60 },
    );
    expect(removedTotal).toBeGreaterThan(20);
    // the removals exercised every kind of coupled tensor
    for (const k of [
      'out',
      'in',
      'dw',
      'rows',
      'const',
      'bn',
      'out:ConvTranspose',
      'in:ConvTranspose',
      'coupled',
    ])
      expect([...covered]).toContain(k);
  });

  it('the input conv, graph outputs and unknown ops block their groups with the reason', () => {
    const { model } = randNet([{ kind: 'conv', c: 4, k: 1 }], 1, false);
    const g = model.graph;
    // route the last conv's output through an op the grouping does not follow (LRN)
    const relu = g.nodes.find((n) => n.opType === 'Relu' && n.inputs[0] !== g.nodes[0]!.outputs[0])!;
    g.addNode(
      { op: 'LRN', name: 'lrn', inputs: [relu.outputs[0]!], outputs: ['lrn_out'], attrs: { size: 3 } },
      { after: relu },
    );
    g.consumers(relu.outputs[0]!)
      .find((n) => n.opType === 'Flatten')!
      .setInput(0, 'lrn_out');
    const groups = groupsOf(model);
    const blocked = groups.filter((x) => x.blocked).map((x) => x.blocked!);
    expect(blocked.some((b) => /cannot follow channels through LRN/.test(b))).toBe(true);
  });
});
