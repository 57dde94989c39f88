// Conformance: every case in specs/ops/*.json (expected outputs from onnxruntime-node) on every available
// backend — and on the gpu.js kernels in gpu.js's webasm mode where no GPU runs them — and every
// registered op has cases.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../runtime/backends/backend.ts';
import { GpujsBackend } from '../../runtime/backends/gpujs/index.ts';
import { availableBackends, createBackend } from '../../runtime/exec/backends.ts';
import '../../runtime/ops/reference/index.ts';
import { getOp, registeredOps } from '../../runtime/ops/registry.ts';
import { attrsFromJson, type ConformanceFile, fromJson, mismatch } from './tensors.ts';

const DIR = dirname(fileURLToPath(import.meta.url));
const FILES: ConformanceFile[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as ConformanceFile);

const AVAILABLE = await availableBackends();
type Maker = [label: string, create: () => Promise<Backend>];
/** Each backend by name, plus gpu.js's kernels in its webasm mode when no GPU mode is here. */
const BACKENDS: Maker[] = AVAILABLE.map((n): Maker => [n, () => createBackend(n)]);
if (!AVAILABLE.some((n) => n === 'webgpu' || n === 'headlessgl'))
  BACKENDS.push(['gpu.js kernels (webasm mode)', async () => new GpujsBackend('webasm')]);

/** Run one case; with `weightsConst`, inputs after the first are session constants (as weights in a model). */
async function runCase(
  backend: Backend,
  op: string,
  c: ConformanceFile['cases'][number],
  weightsConst: boolean,
) {
  const def = getOp(op);
  if (!def) throw new Error(`no kernel registered for ${op}`);
  const inputs = c.inputs.map((t) => (t ? fromJson(t) : undefined));
  const attrs = attrsFromJson(c.attrs);
  const ctx = { opset: c.opset, nOutputs: c.outputs.length };
  const prepared = backend.prepareNode(
    {
      op,
      domain: '',
      name: `${op}: ${c.name}`,
      attrs,
      inputTypes: inputs.map((t) => (t ? { dtype: t.dtype, shape: [...t.dims] } : undefined)),
      constInputs: inputs.map((t, i) => (i === 0 || !weightsConst ? undefined : t)),
      outputTypes: c.outputs.map((o) => ({ dtype: o.dtype, shape: [...o.dims] })),
    },
    ctx,
  );
  return prepared ? prepared(inputs) : def.reference(inputs, attrs, ctx);
}

describe('op conformance against onnxruntime-node', () => {
  it('has cases for every registered op', () => {
    const covered = new Set(FILES.map((f) => f.op));
    expect(registeredOps().filter((op) => !covered.has(op))).toEqual([]);
  });

  it('shape functions give the output types onnxruntime produced, for every case', () => {
    const failures: string[] = [];
    for (const file of FILES) {
      const def = getOp(file.op)!;
      for (const c of file.cases) {
        const inputs = c.inputs.map((t) => (t ? fromJson(t) : undefined));
        const types = inputs.map((t) => (t ? { dtype: t.dtype, shape: [...t.dims] } : undefined));
        const got = def.shape!(
          types,
          attrsFromJson(c.attrs),
          { opset: c.opset, nOutputs: c.outputs.length },
          inputs,
        );
        c.outputs.forEach((w, k) => {
          const g = got[k];
          // an unknown shape or a symbolic dim is not wrong (inference could not tell); numbers must match
          const dimsOk =
            !g?.shape ||
            (g.shape.length === w.dims.length &&
              g.shape.every((d, i) => typeof d !== 'number' || d === w.dims[i]));
          if (g?.dtype !== w.dtype || !dimsOk)
            failures.push(`${file.op} ${c.name}: ${g?.dtype} [${g?.shape}], expected ${w.dtype} [${w.dims}]`);
        });
      }
    }
    expect(failures).toEqual([]);
  });

  for (const [name, create] of BACKENDS)
    describe(`backend ${name}`, () => {
      let made: Promise<Backend> | undefined;
      afterAll(async () => (await made)?.dispose?.());
      for (const file of FILES)
        it(`${file.op} (${file.cases.length} cases)`, async () => {
          made ??= create();
          const backend = await made;
          const failures: string[] = [];
          for (const c of file.cases)
            for (const weightsConst of name === 'cpu' ? [true] : [true, false]) {
              const label = `${c.name} (opset ${c.opset}${weightsConst ? '' : ', all inputs dynamic'})`;
              try {
                const outs = await runCase(backend, file.op, c, weightsConst);
                c.outputs.forEach((w, k) => {
                  const got = outs[k];
                  const why = got ? mismatch(got, fromJson(w), c.tol) : 'output missing';
                  if (why) failures.push(`${label} output ${k}: ${why}`);
                });
              } catch (e) {
                failures.push(`${label} threw: ${(e as Error).message}`);
              }
            }
          expect(failures).toEqual([]);
        });
    });
});
