// The rule engine's parts: commutative patterns (one rule matches both input orders, captures of a
// failed order undone), priority, the replacement builder, pass data through the context, and the
// tracked fixpoint (only nodes a rewrite touched are tried again) equal to the exhaustive one on
// random graphs (fast-check, seed printed on failure).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRules, emptyStats } from '../../compiler/engine/driver.ts';
import { passData, passDataKey, runPasses } from '../../compiler/engine/pass.ts';
import { Match, matchAt, p } from '../../compiler/engine/pattern.ts';
import { defineRules, type Rule } from '../../compiler/engine/rule.ts';
import { AFFINE_FOLD_RULES } from '../../compiler/rules/affine-fold.ts';
import { BIAS_FOLD_RULES } from '../../compiler/rules/bias-fold.ts';
import { BN_FOLD_RULES } from '../../compiler/rules/bn-fold.ts';
import { HARDSWISH_RULES } from '../../compiler/rules/hardswish.ts';
import { IDENTITY_RULES } from '../../compiler/rules/identity.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { MODELS } from '../support/paths.ts';
import { buildModel, bytesOf, ortRun } from './graphs.ts';

const two = (op: string, a: string, b: string, out: string, name = out): NodeInit => ({
  op,
  name,
  inputs: [a, b],
  outputs: [out],
});

describe('commutative patterns', () => {
  const pattern = p.op('Add', p.op('Relu', p.v('x')).as('relu'), p.c('c')).commute();
  const model = (swapped: boolean) =>
    buildModel({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: ['y'],
      initializers: { c: float32([2], [1, 2]) },
      nodes: [
        { op: 'Relu', name: 'r', inputs: ['x'], outputs: ['a'] },
        swapped ? two('Add', 'c', 'a', 'y') : two('Add', 'a', 'c', 'y'),
      ],
    });

  it('match either input order with the same captures', () => {
    for (const swapped of [false, true]) {
      const g = model(swapped).graph;
      const m = new Match(g, g.producer('y')!);
      expect(matchAt(pattern, m.root, m)).toBeNull();
      expect([m.value('x'), m.node('relu').name, m.tensor('c')!.dims]).toEqual(['x', 'r', [2]]);
    }
  });

  it('a failed first order leaves no capture behind', () => {
    // Add(c, c): the first order binds the Relu capture's slot to c and fails; the second fails too
    const g = buildModel({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: ['y'],
      initializers: { c: float32([2], [1, 2]) },
      nodes: [two('Add', 'c', 'c', 'y')],
    }).graph;
    const m = new Match(g, g.producer('y')!);
    expect(matchAt(pattern, m.root, m)).toMatch(/not produced by a Relu/);
    const undo = m.save();
    m.values.extra = 'e';
    undo();
    expect(m.values.extra).toBeUndefined();
  });

  it('only two-input ops commute', () => {
    expect(() => p.op('Clip', p.v('x'), p.v('a'), p.v('b')).commute()).toThrow(/only two-input ops/);
  });
});

describe('priority and the replacement builder', () => {
  const rule = (name: string, priority: number, to: string): Rule => ({
    name,
    summary: `Neg(x) ⇒ ${to}(x)`,
    contract: { kind: 'exact' },
    pattern: p.op('Neg', p.v('x')),
    priority,
    rewrite: (m, _g, r) => [r.op(to, [m.value('x')], { name: `${name}-node` })],
  });

  it('the highest priority wins; the builder places new nodes before the root', () => {
    for (const [a, b, winner] of [
      [0, 1, 'hi'],
      [1, 0, 'lo'],
      [0, 0, 'lo'],
    ] as const) {
      const model = buildModel({
        inputs: [{ name: 'x', dims: [2] }],
        outputs: ['y'],
        nodes: [
          { op: 'Neg', name: 'n', inputs: ['x'], outputs: ['m'] },
          { op: 'Relu', name: 'r', inputs: ['m'], outputs: ['y'] },
        ],
      });
      const set = defineRules('p', [rule('lo', a, 'Abs'), rule('hi', b, 'Sigmoid')]);
      const stats = emptyStats();
      applyRules(model.graph, set, stats);
      expect(Object.keys(stats.matches)).toEqual([winner]);
      expect(model.graph.nodes.map((n) => n.name)).toEqual([`${winner}-node`, 'r']);
    }
  });
});

describe('pass data goes through the context', () => {
  it('a later pass reads what an earlier one left; a new run starts empty', async () => {
    const key = passDataKey('spec: seen', () => [] as string[]);
    const model = buildModel({ inputs: [{ name: 'x', dims: [1] }], outputs: ['x'], nodes: [] });
    const write = {
      name: 'w',
      run: (_m: unknown, ctx: Parameters<typeof passData>[0]) => {
        passData(ctx, key).push('w');
        return { changed: false };
      },
    };
    let read: string[] = [];
    const check = {
      name: 'r',
      run: (_m: unknown, ctx: Parameters<typeof passData>[0]) => {
        read = [...passData(ctx, key)];
        return { changed: false };
      },
    };
    await runPasses(model, [write, check]);
    expect(read).toEqual(['w']);
    await runPasses(model, [check]);
    expect(read).toEqual([]);
  });
});

// Random graphs of unary/binary ops over a few values, with rules that chain into each other.
const RULES = defineRules('spec', [
  {
    name: 'relu-relu',
    summary: 'Relu(Relu(x)) ⇒ Relu(x)',
    contract: { kind: 'exact' },
    pattern: p.op('Relu', p.op('Relu', p.v('x')).as('inner')),
    rewrite: (m) => [m.node('inner').outputs[0]],
  },
  {
    name: 'neg-neg',
    summary: 'Neg(Neg(x)) ⇒ x',
    contract: { kind: 'exact' },
    pattern: p.op('Neg', p.op('Neg', p.v('x'))),
    check: (m, g) => (g.isOutput(m.root.outputs[0]!) && g.isInput(m.value('x')) ? 'interface' : true),
    rewrite: (m) => [m.value('x')],
  },
  {
    name: 'add-neg',
    summary: 'Add(x, Neg(y)) ⇒ Sub(x, y)',
    contract: { kind: 'exact' },
    pattern: p.op('Add', p.v('x'), p.op('Neg', p.v('y')).as('neg')).commute(),
    rewrite: (m, _g, r) => [r.op('Sub', [m.value('x'), m.value('y')])],
  },
  {
    name: 'identity',
    summary: 'Identity(x) ⇒ x',
    contract: { kind: 'exact' },
    pattern: p.op('Identity', p.v('x')),
    check: (m, g) => (g.isOutput(m.root.outputs[0]!) ? 'graph output' : true),
    rewrite: (m) => [m.value('x')],
  },
]);

const OPS = ['Relu', 'Neg', 'Identity', 'Add', 'Sigmoid'] as const;
const graphSpec = fc.array(fc.tuple(fc.constantFrom(...OPS), fc.nat(), fc.nat()), {
  minLength: 1,
  maxLength: 40,
});

function build(spec: [string, number, number][]) {
  const nodes: NodeInit[] = [];
  const values = ['x'];
  spec.forEach(([op, a, b], i) => {
    const out = `v${i}`;
    const pick = (k: number) => values[k % values.length]!;
    nodes.push(
      op === 'Add' ? two(op, pick(a), pick(b), out) : { op, name: out, inputs: [pick(a)], outputs: [out] },
    );
    values.push(out);
  });
  const used = new Set(nodes.flatMap((n) => n.inputs ?? []));
  const outputs = values.filter((v) => v !== 'x' && !used.has(v));
  return buildModel({ inputs: [{ name: 'x', dims: [3] }], outputs, nodes });
}

const shape = (m: ReturnType<typeof build>) =>
  m.graph.topoOrder().map((n) => `${n.opType}(${n.inputs.join(',')})→${n.outputs.join(',')}`);

describe('the tracked fixpoint', () => {
  it('equals the exhaustive one (every node every round), and onnxruntime agrees', async () => {
    const x = float32([3], [-1.5, 0.25, 2]);
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(graphSpec, async (spec) => {
        const tracked = build(spec);
        const exhaustive = build(spec);
        const before = await ortRun(bytesOf(build(spec)), { x });
        const a = emptyStats();
        const b = emptyStats();
        applyRules(tracked.graph, RULES, a);
        applyRules(exhaustive.graph, RULES, b, { exhaustive: true });
        expect(shape(tracked)).toEqual(shape(exhaustive));
        expect(a.matches).toEqual(b.matches);
        expect(a.nearMisses).toEqual(b.nearMisses);
        expect(a.visits).toBeLessThanOrEqual(b.visits);
        tracked.graph.sweep();
        expect(await ortRun(bytesOf(tracked), { x })).toEqual(before);
        checked++;
      }),
      { numRuns: 60, verbose: true },
    );
    expect(checked).toBe(60);
  });

  it('the cleanup rule sets on PP-OCRv4 det (every fold, hardswish): tracked and exhaustive write the same model', () => {
    const bytes = new Uint8Array(readFileSync(MODELS.det));
    const tracked = importModel(bytes);
    const exhaustive = importModel(bytes);
    let matches = 0;
    for (const set of [IDENTITY_RULES, BIAS_FOLD_RULES, BN_FOLD_RULES, AFFINE_FOLD_RULES, HARDSWISH_RULES]) {
      const a = emptyStats();
      const b = emptyStats();
      applyRules(tracked.graph, set, a);
      applyRules(exhaustive.graph, set, b, { exhaustive: true });
      expect(a.matches).toEqual(b.matches);
      matches += Object.values(a.matches).reduce((x, y) => x + y, 0);
    }
    expect(matches).toBeGreaterThan(100);
    expect(Buffer.from(exportModel(tracked)).equals(Buffer.from(exportModel(exhaustive)))).toBe(true);
  });
});
