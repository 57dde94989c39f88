// The executor's contract: kernels checked before anything runs, bad feeds named, NaN/Inf propagate,
// intermediates freed after last use, hooks observe values, runSubgraph, backend selection.

import { describe, expect, it } from 'vitest';
import { isUserError } from '../../runtime/errors.ts';
import { AUTO_ORDER, availableBackends } from '../../runtime/exec/backends.ts';
import { createSession } from '../../runtime/exec/index.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';

/** x[2,3] → Relu → Mul(2) → Sigmoid → … a chain of `n` unary nodes; output 'out'. */
function chain(n: number): Graph {
  const g = new Graph('chain');
  g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: ['batch', 3] } }];
  g.addInitializer('two', float32([], [2]));
  let v = 'x';
  for (let i = 0; i < n; i++) {
    const out = i === n - 1 ? 'out' : `v${i}`;
    if (i % 2) g.addNode({ op: 'Mul', inputs: [v, 'two'], outputs: [out] });
    else g.addNode({ op: 'Relu', inputs: [v], outputs: [out] });
    v = out;
  }
  g.outputs = [{ name: 'out', type: { dtype: 'float32', shape: ['batch', 3] } }];
  return g;
}

async function userError(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isUserError(e), String(e)).toBe(true);
  return e as Error;
}

const x23 = float32([2, 3], [-1, 0, 1, 2, -3, 4]);

describe('executor', () => {
  it('runs a graph and reports the backend', async () => {
    const s = await createSession(chain(4), { backend: 'cpu' });
    expect(s.backend).toBe('cpu');
    const out = await s.run({ x: x23 });
    expect(Array.from(out.out!.data as Float32Array)).toEqual([0, 0, 4, 8, 0, 16]);
  });

  it("'auto' picks the first available backend in webgpu → headlessgl → webasm → cpu order", async () => {
    const avail = await availableBackends();
    expect(avail[avail.length - 1]).toBe('cpu');
    const s = await createSession(chain(2));
    expect(s.backend).toBe(AUTO_ORDER.find((b) => avail.includes(b)));
  });

  it('a MatMul whose left operand is a constant runs on every backend (training graphs make them)', async () => {
    // found by bench:train: the Resize gradient's A_Hᵀ·dY stopped the webasm planner ("no shape for …")
    const g = new Graph('const-left');
    g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [2, 3, 2] } }];
    g.addInitializer('a', float32([4, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    g.addNode({ op: 'MatMul', inputs: ['a', 'x'], outputs: ['y'] });
    g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: [2, 4, 2] } }];
    const x = float32([2, 3, 2], [1, -1, 2, 0, 0.5, 3, -2, 1, 0, 4, 1, -1]);
    const want = new Float32Array(16);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 2; j++)
          for (let k = 0; k < 3; k++)
            want[(b * 4 + i) * 2 + j]! += (i * 3 + k + 1) * (x.data as Float32Array)[(b * 3 + k) * 2 + j]!;
    for (const backend of await availableBackends()) {
      const s = await createSession(new Model(g), { backend });
      const out = await s.run({ x });
      expect(Array.from(out.y!.data as Float32Array), backend).toEqual(Array.from(want));
    }
  });

  it('rejects an unknown or unavailable backend with a UserError', async () => {
    const e = await userError(createSession(chain(2), { backend: 'nope' as 'cpu' }));
    expect(e.message).toContain("unknown backend 'nope'");
  });

  it('fails before running when an op has no kernel, naming it and listing what is registered', async () => {
    const g = chain(2);
    g.addNode({ op: 'FrobnicateV2', inputs: ['out'], outputs: ['z'] });
    g.outputs = [{ name: 'z' }];
    const e = await userError(createSession(g, { backend: 'cpu' }));
    expect(e.message).toContain('FrobnicateV2');
    expect((e as Error & { help?: string }).help).toMatch(/registered ops: .*Conv.*Relu/);
  });

  it('names expected and given on a wrong input name, dtype or shape', async () => {
    const s = await createSession(chain(2), { backend: 'cpu' });
    let e = await userError(s.run({ y: x23 }));
    expect(e.message).toContain("unknown input 'y'");
    expect((e as Error & { help?: string }).help).toContain('x');
    e = await userError(s.run({}));
    expect(e.message).toContain("missing input 'x'");
    const i32: Tensor = { dtype: 'int32', dims: [2, 3], data: new Int32Array(6) };
    e = await userError(s.run({ x: i32 }));
    expect(e.message).toBe("input 'x' has dtype int32, expected float32");
    e = await userError(s.run({ x: float32([2, 4]) }));
    expect(e.message).toBe("input 'x' has shape [2, 4], expected [batch, 3]");
    e = await userError(s.run({ x: float32([6]) }));
    expect(e.message).toBe("input 'x' has shape [6], expected [batch, 3]");
  });

  it('propagates NaN and ±Inf as IEEE says', async () => {
    const g = new Graph();
    g.inputs = [{ name: 'a', type: { dtype: 'float32', shape: [4] } }];
    g.addInitializer('b', float32([4], [1, 0, Number.POSITIVE_INFINITY, 2]));
    g.addNode({ op: 'Add', inputs: ['a', 'b'], outputs: ['s'] });
    g.addNode({ op: 'Sigmoid', inputs: ['s'], outputs: ['y'] });
    g.outputs = [{ name: 'y' }, { name: 's' }];
    const s = await createSession(g, { backend: 'cpu' });
    const out = await s.run({
      a: float32([4], [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0]),
    });
    expect(Array.from(out.s!.data as Float32Array)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      2,
    ]);
    const y = Array.from(out.y!.data as Float32Array);
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(1);
    expect(y[2]).toBeNaN();
  });

  it('frees each intermediate after its last use', async () => {
    const s = await createSession(chain(40), { backend: 'cpu' });
    await s.run({ x: x23 });
    expect(s.lastRun.nodesRun).toBe(40);
    expect(s.lastRun.peakLiveValues).toBeLessThanOrEqual(2);
  });

  it('observes intermediates: onValue sees every value, observe returns the named ones', async () => {
    const seen: string[] = [];
    const s = await createSession(chain(4), { backend: 'cpu', onValue: (n) => seen.push(n) });
    const out = await s.run({ x: x23 }, { observe: ['v1'] });
    expect(seen).toEqual(['x', 'v0', 'v1', 'v2', 'out']);
    expect(Array.from(out.v1!.data as Float32Array)).toEqual([0, 0, 2, 4, 0, 8]);
    expect(Object.keys(out).sort()).toEqual(['out', 'v1']);
  });

  it('runSubgraph starts from given intermediates and runs only what the targets need', async () => {
    const s = await createSession(chain(6), { backend: 'cpu' });
    const full = await s.run({ x: x23 }, { observe: ['v2'] });
    const part = await s.runSubgraph({ v2: full.v2! }, ['out']);
    expect(s.lastRun.nodesRun).toBe(3);
    expect(Array.from(part.out!.data as Float32Array)).toEqual(Array.from(full.out!.data as Float32Array));
    const mid = await s.runSubgraph({ v0: float32([1, 3], [1, -1, 2]) }, ['v3']);
    expect(Array.from(mid.v3!.data as Float32Array)).toEqual([4, 0, 8]);
    const e = await userError(s.runSubgraph({ nope: x23 }, ['out']));
    expect(e.message).toContain("no value named 'nope'");
  });

  it('runs a Model with its own opset (Clip attribute form at opset 9)', async () => {
    const g = new Graph();
    g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [3] } }];
    g.addNode({
      op: 'Clip',
      inputs: ['x'],
      outputs: ['y'],
      attrs: { min: { name: 'min', type: 'FLOAT', value: 0 }, max: { name: 'max', type: 'FLOAT', value: 6 } },
    });
    g.outputs = [{ name: 'y' }];
    const m = new Model(g);
    m.opsetImports = [{ domain: '', version: 9 }];
    const s = await createSession(m, { backend: 'cpu' });
    const out = await s.run({ x: float32([3], [-2, 3, 9]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([0, 3, 6]);
  });

  it('folds constant subgraphs once per session', async () => {
    const g = new Graph();
    g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [2] } }];
    g.addInitializer('q', { dtype: 'int8', dims: [2], data: Int8Array.of(-4, 6) });
    g.addInitializer('sc', float32([], [0.5]));
    g.addNode({ op: 'DequantizeLinear', inputs: ['q', 'sc'], outputs: ['w'] });
    g.addNode({ op: 'Mul', inputs: ['x', 'w'], outputs: ['y'] });
    g.outputs = [{ name: 'y' }];
    const s = await createSession(g, { backend: 'cpu', opset: 13 });
    const out = await s.run({ x: float32([2], [1, 2]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([-2, 6]);
    expect(s.lastRun.nodesRun).toBe(1);
  });
});

describe('executor limits and fused backends', () => {
  it('a node past the memory budget fails with the size it asked for, before allocating', async () => {
    const g = new Graph();
    g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [1, 1, 2, 2] } }];
    g.addInitializer('scales', float32([4], [1, 1, 100000, 100000]));
    g.addNode({ op: 'Resize', inputs: ['x', '', 'scales'], outputs: ['y'], attrs: { mode: 'nearest' } });
    g.outputs = [{ name: 'y' }];
    const s = await createSession(g, { backend: 'cpu', opset: 13 });
    const e = await userError(s.run({ x: float32([1, 1, 2, 2]) }));
    expect(e.message).toBe(
      "node 'Resize(y)' (Resize) asks for 149.01 GiB for its output float32 [1, 1, 200000, 200000], more than the memory budget of 2.00 GiB",
    );
  });

  it('observing a value unknown to the graph is a UserError', async () => {
    const s = await createSession(chain(3), { backend: 'cpu' });
    const e = await userError(s.run({ x: x23 }, { observe: ['nope'] }));
    expect(e.message).toContain("'nope'");
  });

  it('on every backend, values named at session creation are kept even where the backend fuses', async () => {
    const g = new Graph();
    g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [1, 2, 5, 5] } }];
    g.addInitializer(
      'w',
      float32(
        [3, 2, 3, 3],
        Array.from({ length: 54 }, (_, i) => ((i * 7) % 11) / 10 - 0.5),
      ),
    );
    g.addNode({ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } });
    g.addNode({ op: 'Relu', inputs: ['c'], outputs: ['y'] });
    g.outputs = [{ name: 'y' }];
    const x = float32(
      [1, 2, 5, 5],
      Array.from({ length: 50 }, (_, i) => Math.sin(i)),
    );
    const ref = await (await createSession(g, { backend: 'cpu' })).run({ x }, { observe: ['c'] });
    for (const backend of await availableBackends()) {
      const s = await createSession(g, { backend, observe: ['c'] });
      const out = await s.run({ x });
      const c = Array.from(out.c!.data as Float32Array);
      c.forEach((v, i) => {
        expect(v).toBeCloseTo((ref.c!.data as Float32Array)[i]!, 4);
      });
    }
  });
});
