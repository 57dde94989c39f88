// Rewrite engine: rules validated at load, pattern captures, match counts and near-misses,
// graph outputs keep their names, the pass manager names the failing pass; Identity/Dropout
// removal and duplicate-constant merging are exact (onnxruntime before = after).
import { describe, expect, it } from 'vitest';
import { applyRules, emptyStats } from '../../compiler/engine/driver.ts';
import { type Pass, PassError, runPasses } from '../../compiler/engine/pass.ts';
import { p } from '../../compiler/engine/pattern.ts';
import { defineRules, type Rule } from '../../compiler/engine/rule.ts';
import { dedupeConstants } from '../../compiler/passes/dedupe-constants.ts';
import { IDENTITY_RULES } from '../../compiler/rules/identity.ts';
import { UserError } from '../../runtime/errors.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, ortRun } from './graphs.ts';

const reluRule = (name: string, op = 'Relu'): Rule => ({
  name,
  summary: 'Relu(Relu(x)) ⇒ Relu(x)',
  contract: { kind: 'exact' },
  pattern: p.op(op, p.op(op, p.v('x')).as('inner')),
  rewrite: (m) => [m.node('inner').outputs[0]],
});

describe('rules are validated when they load', () => {
  it('rejects duplicate names, unknown op types, double node captures, lossy without a bound', () => {
    expect(() => defineRules('s', [reluRule('a'), reluRule('a')])).toThrow(/rule a defined twice/);
    expect(() => defineRules('s', [reluRule('b', 'Relux')])).toThrow(/unknown op type Relux/);
    const twice: Rule = {
      ...reluRule('c'),
      pattern: p.op('Add', p.op('Relu', p.v('x')).as('n'), p.op('Relu', p.v('y')).as('n')),
    };
    expect(() => defineRules('s', [twice])).toThrow(/node capture n bound twice/);
    expect(() => defineRules('s', [{ ...reluRule('d'), contract: { kind: 'lossy', bound: '' } }])).toThrow(
      /lossy without a bound/,
    );
    expect(defineRules('s', [reluRule('ok')]).rules).toHaveLength(1);
  });
});

describe('the rule driver', () => {
  it('rewrites to a fixpoint, counts matches, keeps graph output names', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [4] }],
      outputs: ['y'],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Relu', inputs: ['a'], outputs: ['b'] },
        { op: 'Relu', inputs: ['b'], outputs: ['y'] },
      ],
    });
    const x = float32([4], [-1, 2, -3, 4]);
    const before = await ortRun(bytesOf(model), { x });
    const stats = emptyStats();
    expect(applyRules(model.graph, defineRules('relu', [reluRule('relu-relu')]), stats)).toBe(true);
    expect(stats.matches['relu-relu']).toBe(2);
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Relu']);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['y']);
    expect(await ortRun(bytesOf(model), { x })).toEqual(before);
  });

  it('records near-misses (check said no) and does not rewrite them', () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [4] }],
      outputs: ['y'],
      nodes: [
        { op: 'Relu', name: 'r1', inputs: ['x'], outputs: ['a'] },
        { op: 'Relu', name: 'r2', inputs: ['a'], outputs: ['y'] },
      ],
    });
    const stats = emptyStats();
    const rule = { ...reluRule('never'), check: () => 'not today' };
    expect(applyRules(model.graph, defineRules('s', [rule]), stats)).toBe(false);
    expect(stats.nearMisses).toEqual([{ rule: 'never', node: 'r2', reason: 'not today' }]);
    expect(model.graph.nodes).toHaveLength(2);
  });

  it('Identity and inference Dropout disappear; outputs are unchanged', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [2, 3] }],
      outputs: ['y'],
      nodes: [
        { op: 'Identity', inputs: ['x'], outputs: ['i'] },
        { op: 'Relu', inputs: ['i'], outputs: ['r'] },
        { op: 'Dropout', inputs: ['r'], outputs: ['d'] },
        { op: 'Sigmoid', inputs: ['d'], outputs: ['s'] },
        { op: 'Identity', inputs: ['s'], outputs: ['y'] },
      ],
    });
    const x = float32([2, 3], [-1, 2, -3, 4, 0.5, -0.25]);
    const before = await ortRun(bytesOf(model), { x });
    applyRules(model.graph, IDENTITY_RULES);
    model.graph.sweep();
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Relu', 'Sigmoid']);
    expect(model.graph.outputs[0].name).toBe('y');
    expect(await ortRun(bytesOf(model), { x })).toEqual(before);
  });

  it('an Identity from a graph input straight to a graph output stays (interface kept)', () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: ['y'],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    });
    const stats = emptyStats();
    applyRules(model.graph, IDENTITY_RULES, stats);
    expect(model.graph.nodes).toHaveLength(1);
    expect(stats.nearMisses[0].reason).toMatch(/graph input straight to a graph output/);
  });

  it('duplicate constants are merged exactly', async () => {
    const model = buildModel({
      inputs: [{ name: 'x', dims: [3] }],
      outputs: ['y'],
      initializers: { a: float32([3], [1, 2, 3]), b: float32([3], [1, 2, 3]), c: float32([3], [1, 2, 4]) },
      nodes: [
        { op: 'Add', inputs: ['x', 'a'], outputs: ['p'] },
        { op: 'Mul', inputs: ['p', 'b'], outputs: ['q'] },
        { op: 'Sub', inputs: ['q', 'c'], outputs: ['y'] },
      ],
    });
    const x = float32([3], [0.5, -1, 2]);
    const before = await ortRun(bytesOf(model), { x });
    expect(dedupeConstants(model.graph)).toBe(1);
    model.graph.sweep();
    expect([...model.graph.initializers.keys()]).toEqual(['a', 'c']);
    expect(await ortRun(bytesOf(model), { x })).toEqual(before);
  });
});

describe('the pass manager', () => {
  const model = () => buildModel({ inputs: [{ name: 'x', dims: [1] }], outputs: ['x'], nodes: [] });
  const ok = (name: string): Pass => ({ name, run: () => ({ changed: false }) });

  it('names the failing pass and the passes before it', async () => {
    const boom: Pass = {
      name: 'boom',
      run: () => {
        throw new Error('kaput');
      },
    };
    const err = await runPasses(model(), [ok('one'), ok('two'), boom, ok('never')]).catch((e) => e);
    expect(err).toBeInstanceOf(PassError);
    expect(err.message).toBe('pass boom failed (after one, two): kaput');
    const user: Pass = {
      name: 'u',
      run: () => {
        throw new UserError('bad input', 'fix it');
      },
    };
    const uerr = await runPasses(model(), [user]).catch((e) => e);
    expect(uerr.name).toBe('UserError');
    expect(uerr.message).toBe('pass u failed (the first pass): bad input');
  });

  it('checks each pass postcondition', async () => {
    const liar: Pass = {
      name: 'liar',
      run: () => ({ changed: true }),
      ensures: () => 'no BatchNormalization left',
    };
    await expect(runPasses(model(), [ok('a'), liar])).rejects.toThrow(
      /pass liar failed \(after a\): postcondition violated: no BatchNormalization left/,
    );
  });
});
