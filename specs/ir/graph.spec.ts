// Graph IR: lookups (producer, consumers incl. subgraph uses, constants incl. Constant nodes and
// outer scopes), topological order, and safe edits — checked structurally and, on the real cls
// model, by onnxruntime giving bit-identical outputs after an edit and its undo.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../runtime/errors.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Node } from '../../runtime/ir/node.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { exportModel, importModel } from '../../runtime/onnx/index.ts';
import { clsInput, fixtures, runOrt } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

function chain(): Graph {
  const g = new Graph('chain');
  g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: ['N', 4] } }];
  g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: ['N', 4] } }];
  g.addInitializer('w', float32([4], [1, 2, 3, 4]));
  g.addNode({
    op: 'Constant',
    outputs: ['c'],
    attrs: { value_float: { name: 'value_float', type: 'FLOAT', value: 2 } } as never,
  });
  g.addNode({ op: 'Add', inputs: ['x', 'w'], outputs: ['a'], name: 'add' });
  g.addNode({ op: 'Mul', inputs: ['a', 'c'], outputs: ['m'], name: 'mul' });
  g.addNode({ op: 'Relu', inputs: ['m'], outputs: ['y'], name: 'relu' });
  return g;
}

describe('graph lookups', () => {
  it('producer, consumers, constants (initializer and Constant node), declared types', () => {
    const g = chain();
    expect(g.producer('m')?.name).toBe('mul');
    expect(g.consumers('a').map((n) => n.name)).toEqual(['mul']);
    expect(g.consumers('x').map((n) => n.name)).toEqual(['add']);
    expect([...(g.constant('w')!.data as Float32Array)]).toEqual([1, 2, 3, 4]);
    expect(g.constant('c')).toEqual({ dtype: 'float32', dims: [], data: Float32Array.of(2) });
    expect(g.constant('a')).toBeUndefined();
    expect(g.value('w').type).toEqual({ dtype: 'float32', shape: [4] });
    expect(g.value('x').type).toEqual({ dtype: 'float32', shape: ['N', 4] });
    expect(g.value('y').isGraphOutput).toBe(true);
  });

  it('an initializer that is also a graph input is not a constant (it can be overridden)', () => {
    const g = chain();
    g.inputs.push({ name: 'w', type: { dtype: 'float32', shape: [4] } });
    g.touch();
    expect(g.constant('w')).toBeUndefined();
  });

  it('subgraphs see outer constants and count as consumers of outer values', () => {
    const g = chain();
    const body = new Graph('then');
    body.addNode({ op: 'Add', inputs: ['a', 'w'], outputs: ['t'] });
    body.outputs = [{ name: 't' }];
    const other = new Graph('else');
    other.addNode({ op: 'Identity', inputs: ['a'], outputs: ['e'] });
    other.outputs = [{ name: 'e' }];
    g.addInitializer('cond', { dtype: 'bool', dims: [], data: Uint8Array.of(1) });
    const iff = g.addNode({
      op: 'If',
      inputs: ['cond'],
      outputs: ['z'],
      attrs: { then_branch: body, else_branch: other },
    });
    expect(body.parent).toBe(g);
    expect(g.consumers('a')).toContain(iff);
    expect(body.constant('w')).toBe(g.constant('w'));
    expect([...body.freeNames()].sort()).toEqual(['a', 'w']);
    expect(iff.attrs.then_branch).toBe(body);
    // replacing 'a' reaches inside the branches
    g.replaceAllUsesWith('a', 'x');
    expect(body.nodes[0]!.inputs).toEqual(['x', 'w']);
    expect(other.nodes[0]!.inputs).toEqual(['x']);
  });

  it('attributes: kernel view and faithful form', () => {
    const n = new Node({
      op: 'Conv',
      attrs: { strides: [2, 2], group: 4, auto_pad: 'SAME_UPPER', alpha: 0.5 },
    });
    expect(n.attrs).toEqual({ strides: [2, 2], group: 4, auto_pad: 'SAME_UPPER', alpha: 0.5 });
    expect(n.attribute('group')?.type).toBe('INT');
    expect(n.attribute('alpha')?.type).toBe('FLOAT');
    n.setAttr('beta', 1, 'FLOAT');
    expect(n.attribute('beta')?.type).toBe('FLOAT');
    expect(n.attrs.beta).toBe(1);
  });
});

describe('topological order', () => {
  it('puts producers first and keeps file order among independent nodes (random DAGs)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (deps, seed) => {
          const g = new Graph();
          g.inputs = [{ name: 'in' }];
          const nodes = deps.map(
            (d, i) =>
              new Node({
                op: 'Sum',
                name: `n${i}`,
                inputs: i === 0 ? ['in'] : d.map((k) => `v${k % i}`),
                outputs: [`v${i}`],
              }),
          );
          let s = seed;
          const shuffled = [...nodes].sort(() => ((s = (s * 1103515245 + 12345) >>> 0) & 1 ? 1 : -1));
          for (const n of shuffled) g.addNode(n);
          const order = g.topoOrder();
          const pos = new Map(order.map((n, i) => [n, i]));
          expect(order.length).toBe(nodes.length);
          for (const n of order)
            for (const i of n.inputs)
              if (i !== 'in') expect(pos.get(g.producer(i)!)!).toBeLessThan(pos.get(n)!);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a cycle is a UserError naming a node', () => {
    const g = new Graph('loopy');
    g.addNode({ op: 'Relu', inputs: ['b'], outputs: ['a'], name: 'r1' });
    g.addNode({ op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'r2' });
    let err: unknown;
    try {
      g.topoOrder();
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/graph 'loopy' has a cycle through node 'r[12]' \(Relu\)/);
  });
});

describe('edits', () => {
  it('insert, replaceAllUsesWith (graph outputs only when asked), remove, sweep, rename, uniqueName', () => {
    const g = chain();
    const relu = g.producer('y')!;
    const name = g.uniqueName('a');
    expect(name).toBe('a_1');
    const id = g.addNode({ op: 'Identity', inputs: ['a'], outputs: [name] }, { after: g.producer('a') });
    expect(g.nodes.indexOf(id)).toBe(g.nodes.indexOf(g.producer('a')!) + 1);
    expect(g.replaceAllUsesWith('a', name)).toBe(2); // mul's input and … the identity itself
    id.setInput(0, 'a');
    expect(g.consumers(name).map((n) => n.name)).toEqual(['mul']);
    expect(g.replaceAllUsesWith('y', 'm')).toBe(0);
    expect(g.outputs[0]!.name).toBe('y');
    // dead code: a branch nobody reads, and an unused initializer
    g.addInitializer('unused', float32([1], [0]));
    g.addNode({ op: 'Neg', inputs: ['x'], outputs: ['dead1'] });
    g.addNode({ op: 'Abs', inputs: ['dead1'], outputs: ['dead2'] });
    expect(g.sweep()).toEqual({ nodes: 2, initializers: 1 });
    expect(g.producer('dead1')).toBeUndefined();
    expect(g.initializers.has('w')).toBe(true);
    g.removeNode(relu);
    expect(g.producer('y')).toBeUndefined();
    g.renameValue('m', 'y');
    expect(g.producer('y')?.name).toBe('mul');
    expect(g.topoOrder().map((n) => n.opType)).toEqual(['Constant', 'Add', 'Identity', 'Mul']);
  });

  it('on the real cls model: insert + rewire + undo + sweep keep onnxruntime outputs bit-identical', async () => {
    const bytes = new Uint8Array(readFileSync(MODELS.cls));
    const m = importModel(bytes);
    const g = m.graph;
    const conv = g.nodes.find((n) => n.opType === 'Conv')!;
    const out = conv.outputs[0]!;
    const mid = g.uniqueName(`${out}_copy`);
    g.addNode({ op: 'Identity', inputs: [out], outputs: [mid] }, { after: conv });
    g.replaceAllUsesWith(out, mid);
    g.producer(mid)!.setInput(0, out);
    const withIdentity = exportModel(m);
    g.replaceAllUsesWith(mid, out);
    expect(g.sweep().nodes).toBe(1);
    expect(Buffer.from(exportModel(m)).equals(Buffer.from(bytes))).toBe(true);
    const x = await clsInput(fixtures('flipped')[0]!.file);
    const a =
      (await runOrt(bytes, { x })).softmax_0?.data ?? Object.values(await runOrt(bytes, { x }))[0]!.data;
    const b = Object.values(await runOrt(withIdentity, { x }))[0]!.data;
    expect(Buffer.from((b as Float32Array).buffer).equals(Buffer.from((a as Float32Array).buffer))).toBe(
      true,
    );
  });
});

describe('cloneModel', () => {
  it('gives an independent deep copy that exports to the same bytes', async () => {
    const { cloneModel } = await import('../../runtime/onnx/index.ts');
    const bytes = new Uint8Array(readFileSync(MODELS.cls));
    const a = importModel(bytes);
    const b = cloneModel(a);
    expect(Buffer.from(exportModel(b)).equals(Buffer.from(bytes))).toBe(true);
    const conv = b.graph.nodes.find((n) => n.opType === 'Conv')!;
    (b.graph.constant(conv.inputs[1]!)!.data as Float32Array)[0] = 123;
    b.graph.removeNode(b.graph.nodes[0]!);
    expect(Buffer.from(exportModel(a)).equals(Buffer.from(bytes))).toBe(true);
  });
});
