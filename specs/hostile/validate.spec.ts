// Models onnxruntime refuses are refused on import too — one clear message naming the node, exit 1,
// before any kernel is built (issue 19, items 10 and 11) — while unknown ops and fields still pass
// through untouched.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Attribute } from '../../runtime/ir/attribute.ts';
import { serializeNpy } from '../../runtime/npy.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { makeModel, tempDir } from '../onnx/build.ts';
import { runCli } from '../support/cli.ts';
import { constantOfShape, conv, expand, f32 } from './models.ts';

const dir = tempDir('validate');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RECIPE = join(dir, 'q.squish');
writeFileSync(RECIPE, 'recipe "q"\ncalibrate { random  samples 2 }\nquantize weights of conv { bits 8 }\n');

function save(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** onnxruntime refuses the model when it loads it or when it runs it on a 1×3×8×8 input. */
async function ortRejects(bytes: Uint8Array): Promise<boolean> {
  let s: ort.InferenceSession | undefined;
  try {
    s = await ort.InferenceSession.create(bytes);
    await s.run({ x: new ort.Tensor('float32', new Float32Array(192), [1, 3, 8, 8]) });
    return false;
  } catch {
    return true;
  } finally {
    await s?.release();
  }
}

const floats = (name: string, value: number[]): Attribute => ({ name, type: 'FLOATS', value });

const REFUSED: [string, Uint8Array, RegExp][] = [
  [
    'weights [8, 5, 3, 3] on a 3-channel input',
    conv({ w: [8, 5, 3, 3] }),
    /take 5 input channels per group \(group 1\), so the input needs 5, but it has 3/,
  ],
  [
    'kernel_shape that disagrees with the weights',
    conv({ attrs: { kernel_shape: [5, 5], pads: [1, 1, 1, 1] } }),
    /kernel_shape \[5, 5\] disagrees with the weights \[4, 3, 3, 3\]/,
  ],
  [
    'strides given as FLOATS',
    conv({ attrs: { strides: floats('strides', [1, 1]) } }),
    /attribute 'strides' is FLOATS, Conv takes INTS/,
  ],
  ['Conv with 7 inputs', conv({ extraInputs: 5 }), /it has 7 inputs, Conv takes 2 to 3/],
  ['group 0', conv({ attrs: { group: 0 } }), /group 0 must be an integer ≥ 1/],
  ['group 7', conv({ attrs: { group: 7 } }), /take 3 input channels per group \(group 7\)/],
  [
    'dilations 1e5',
    conv({ attrs: { dilations: [100000, 100000] } }),
    /window \(kernel 3, dilation 100000\) spans 200001 in spatial dim 0, more than the padded input \(8\)/,
  ],
  [
    'strides [0, 0]',
    conv({ attrs: { strides: [0, 0] } }),
    /strides \[0, 0\] has 0; each must be an integer ≥ 1/,
  ],
];

describe('import validation (as the ONNX checker and onnxruntime)', () => {
  for (const [what, bytes, why] of REFUSED) {
    it(`${what}: onnxruntime refuses it, and so do inspect and compile (exit 1, the node named)`, async () => {
      expect(await ortRejects(bytes)).toBe(true);
      const file = save(`${what.replace(/\W+/g, '_')}.onnx`, bytes);
      const out = join(dir, 'never.onnx');
      for (const argv of [
        ['inspect', file],
        ['compile', file, '--recipe', RECIPE, '-o', out],
      ]) {
        const r = await runCli(argv);
        expect(r.code, `${argv[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/^error: .*: node 'conv' \(Conv\): /);
        expect(r.stderr).toMatch(why);
        expect(r.stderr).not.toMatch(/gpu\.js|internal error|\n\s+at /);
      }
    });
  }

  it('a negative dimension in a shape a node makes (ConstantOfShape, Expand) is refused, the node named', async () => {
    for (const [name, bytes, node] of [
      ['cos-neg.onnx', constantOfShape([-1, 4]), "'fill' \\(ConstantOfShape\\)"],
      ['expand-neg.onnx', expand([-1, 4]), "'grow' \\(Expand\\)"],
    ] as const) {
      const ortRun = ort.InferenceSession.create(bytes).then(async (s) => {
        try {
          await s.run({ x: new ort.Tensor('float32', new Float32Array(1), [1]) });
        } finally {
          await s.release();
        }
      });
      await expect(ortRun, `onnxruntime runs ${name}`).rejects.toThrow();
      const file = save(name, bytes);
      for (const argv of [
        ['inspect', file],
        ['compile', file, '--recipe', RECIPE, '-o', join(dir, 'never.onnx')],
      ]) {
        const r = await runCli(argv);
        expect(r.code, `${argv[0]} ${name}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(
          new RegExp(`node ${node}: the shape it makes, \\[-1, 4\\], has a negative dimension`),
        );
      }
    }
  });

  it('duplicate node names are refused (a recipe would address the wrong layer)', async () => {
    const r = await runCli(['inspect', save('dup.onnx', conv({ duplicateName: true }))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/two nodes are named 'conv' \(Conv and Relu\)/);
  });

  it('a window that outgrows a dynamic input is a model error at run time, before a kernel is built', async () => {
    const file = save('dyn.onnx', conv({ x: [1, 3, 'H', 'W'], attrs: { dilations: [1, 100000] } }));
    expect((await runCli(['inspect', file])).code).toBe(0); // nothing to judge without sizes
    writeFileSync(join(dir, 'x.npy'), serializeNpy(f32(new Array(192).fill(1), [1, 3, 8, 8])));
    for (const backend of ['cpu', 'auto']) {
      const r = await runCli(['run', file, '--input', 'x=x.npy', '--backend', backend, '--out', 'o'], dir);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /at input x \[1, 3, 8, 8\]: node 'conv' \(Conv\): its window \(kernel 3, dilation 100000\) spans 200001 in spatial dim 1/,
      );
      expect(r.stderr).not.toMatch(/gpu\.js|internal error/);
    }
  });

  it('unknown ops and fields pass through untouched (cleanup none re-exports them byte for byte)', async () => {
    const m = makeModel([['x', 'float32', [1, 3, 8, 8]]], [['y', 'float32', undefined]]);
    m.opsetImports.push({ domain: 'com.example', version: 1 });
    m.graph.addInitializer('w', f32(new Array(108).fill(0.1), [4, 3, 3, 3]));
    const c = m.graph.addNode({ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'conv' });
    c.attributes.push({ name: 'vendor_hint', type: 'STRING', value: new TextEncoder().encode('fast') });
    m.graph.addNode({
      op: 'Anything',
      domain: 'com.example',
      inputs: ['c', 'c', 'w', 'x'],
      outputs: ['y', 'y2'],
      name: 'custom',
      attrs: { strides: floats('strides', [0.5]), group: 0 },
    });
    const bytes = exportModel(m);
    const file = save('custom.onnx', bytes);
    expect((await runCli(['inspect', file])).code).toBe(0);
    const none = save('none.squish', 'recipe "n"\ncleanup none\n');
    const out = join(dir, 'custom-out.onnx');
    const r = await runCli(['compile', file, '--recipe', none, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const back = importModel(new Uint8Array(readFileSync(out)));
    back.metadataProps = back.metadataProps.filter((e) => !e.key.startsWith('squish.'));
    expect(Buffer.from(exportModel(back)).equals(Buffer.from(bytes))).toBe(true);
  });
});
