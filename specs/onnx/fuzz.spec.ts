// fast-check: corrupted model bytes (random truncation, byte flips, inserted garbage) either import
// or fail with a UserError — never another exception, so the CLI prints one line and exits 1.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../runtime/errors.ts';
import { exportModel, importModel } from '../../runtime/onnx/index.ts';
import { MODELS } from '../support/paths.ts';
import { makeModel } from './build.ts';

const small = (() => {
  const m = makeModel([['x', 'float32', ['N', 4]]], [['y', 'float32', ['N', 4]]]);
  m.graph.addInitializer('w', { dtype: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4) });
  m.graph.addInitializer('q', { dtype: 'int4', dims: [3], data: Int8Array.of(-8, 0, 7) });
  m.graph.addNode({
    op: 'Add',
    inputs: ['x', 'w'],
    outputs: ['a'],
    name: 'add',
    attrs: { note: 'hi', k: [1, 2] },
  });
  m.graph.addNode({ op: 'LeakyRelu', inputs: ['a'], outputs: ['y'], attrs: { alpha: 0.25 } });
  m.setMetadata('k', 'v');
  return exportModel(m);
})();
const cls = new Uint8Array(readFileSync(MODELS.cls)).subarray(0, 4096);

function importOrUserError(bytes: Uint8Array): void {
  try {
    importModel(bytes);
  } catch (e) {
    if (!isUserError(e)) throw new Error(`not a UserError: ${(e as Error)?.stack ?? e}`);
    expect((e as Error).message.split('\n').length).toBe(1);
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    v: fc.array(fc.nat(255), { minLength: 8, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(base: Uint8Array, m: Mutation): Uint8Array {
  if (m.kind === 'truncate') return base.subarray(0, m.at % base.length);
  if (m.kind === 'flip') {
    const out = base.slice();
    m.at.forEach((a, i) => {
      out[a % out.length] = m.v[i]!;
    });
    return out;
  }
  const at = m.at % base.length;
  return new Uint8Array([...base.subarray(0, at), ...m.bytes, ...base.subarray(at)]);
}

describe('corrupted model bytes', () => {
  it('a small model: every mutation imports or is a one-line UserError', () => {
    fc.assert(
      fc.property(mutation, (m) => importOrUserError(mutate(small, m))),
      // a flip that made a name swallow newline bytes (the message must still be one line)
      { numRuns: 400, examples: [[{ kind: 'flip', at: [72850882], v: [21, 0, 0, 0, 0, 0, 0, 0] }]] },
    );
  });
  it('the head of a real model (truncated inside its weights) is a one-line UserError', () => {
    fc.assert(
      fc.property(mutation, (m) => importOrUserError(mutate(cls, m))),
      { numRuns: 150 },
    );
  });
});
