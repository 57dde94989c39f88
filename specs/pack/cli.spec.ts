// .sqz through the CLI (issue 9): compile with output { format sqz } writes a .sqz (report with the
// per-stage byte table), `squish unpack` restores an ONNX model onnxruntime runs with the same
// outputs as the compiled one, `squish inspect` shows bits per weight by layer, `squish run` loads
// the .sqz directly; a damaged .sqz is exit 1 with one clear message and nothing written.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../compiler/api.ts';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import '../../compiler/passes/lossy.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { parseNpy, serializeNpy } from '../../runtime/npy.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { readSqz } from '../../runtime/sqz/read.ts';
import { buildModel, bytesOf, maxRelDiff, ortRun } from '../compiler/graphs.ts';
import { tempDir } from '../onnx/build.ts';
import { runCli } from '../support/cli.ts';
import { pastTensorSqz } from './bad.ts';

function randn(n: number, seed: number): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r());
}

const model = buildModel({
  inputs: [{ name: 'x', dims: [1, 8, 6, 6] }],
  outputs: ['y'],
  nodes: [
    { op: 'Conv', name: 'c1', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['hr'] },
    { op: 'Conv', name: 'c2', inputs: ['hr', 'w2'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } },
  ],
  initializers: {
    w1: float32([16, 8, 3, 3], randn(16 * 8 * 9, 1)),
    b1: float32([16], randn(16, 2)),
    w2: float32([8, 16, 3, 3], randn(8 * 16 * 9, 3)),
  },
});

const RECIPE = `recipe "deep"
model { input x: float32[1, 8, 6, 6] }
calibrate { random  samples 4 }
prune weights of * where params > 1k { sparsity 40%  criterion sparsegpt }
cluster weights of * where params > 1k { clusters 16  init linear }
output { format sqz }
`;

describe('.sqz through the CLI', () => {
  const dir = tempDir('sqz');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const onnxPath = join(dir, 'm.onnx');
  writeFileSync(onnxPath, bytesOf(model));
  writeFileSync(join(dir, 'deep.squish'), RECIPE);
  const x = float32([1, 8, 6, 6], randn(288, 9));
  writeFileSync(join(dir, 'x.npy'), serializeNpy(x));

  it('compile → .sqz + stage table; unpack → the compiled model (runs in onnxruntime); inspect; run', async () => {
    const c = await runCli(
      ['compile', 'm.onnx', '--recipe', 'deep.squish', '-o', 'm.sqz', '--report', 'r.json'],
      dir,
    );
    // the warnings: random calibration data (no evidence of accuracy), and 40% pruning + 16 clusters
    // of this small random net falls under the fidelity floor (SNR < 10 dB)
    expect(c.stderr).toMatch(
      /^deep\.squish:3:1: calibrate \{ random \}: [^\n]*\nWARNING: fidelity below the floor on 2 held-apart samples: SNR [^\n]*\n$/,
    );
    expect(c.code).toBe(0);
    const sqz = new Uint8Array(readFileSync(join(dir, 'm.sqz')));
    expect(Array.from(sqz.subarray(0, 4))).toEqual([0x89, 0x53, 0x51, 0x5a]);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(report.after.bytes).toBe(sqz.length);
    const names = report.pack.layers.map((l: { name: string }) => l.name);
    expect(names).toEqual(['c1', 'c2']);
    for (const l of report.pack.layers) {
      expect(l.dense_bytes).toBe(l.params * 4);
      expect(l.nonzero).toBeLessThanOrEqual(Math.ceil(l.params * 0.6) + 1);
      expect(l.pruned_bytes).toBeLessThan(l.dense_bytes);
      expect(l.clustered_bytes).toBeLessThan(l.pruned_bytes);
      expect(l.coded_bytes).toBeLessThan(l.clustered_bytes);
    }

    const u = await runCli(['unpack', 'm.sqz', '-o', 'u.onnx'], dir);
    expect(u.code).toBe(0);
    const unpacked = new Uint8Array(readFileSync(join(dir, 'u.onnx')));
    // the API returns the same .sqz bytes; the unpacked ONNX is the model compile packed
    const api = await compileModel(bytesOf(model), RECIPE, { recipeFile: 'deep.squish' });
    expect(api.model).toEqual(sqz);
    expect(unpacked).toEqual(exportModel(readSqz(api.model)));
    const ops = readSqz(sqz).graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Gather')).toHaveLength(2);
    const got = (await ortRun(unpacked, { x })).y!;
    const ref = (await ortRun(bytesOf(model), { x })).y!;
    expect(got.length).toBe(ref.length);

    const i = await runCli(['inspect', 'm.sqz'], dir);
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/bits\/weight/);
    expect(i.stdout).toMatch(/\nc1 +Conv +clustered +1152 /);
    const ij = JSON.parse((await runCli(['inspect', 'm.sqz', '--json'], dir)).stdout);
    expect(ij.pack.layers[0].bits_per_weight).toBeLessThan(8);
    expect(ij.pack).toEqual(report.pack); // inspect and the compile report measure the same file

    const r = await runCli(['run', 'm.sqz', '--input', 'x=x.npy', '--out', 'outs', '--backend', 'cpu'], dir);
    expect(r.code).toBe(0);
    const y = parseNpy(new Uint8Array(readFileSync(join(dir, 'outs', 'y.npy'))));
    expect(maxRelDiff(got, y.data as Float32Array)).toBeLessThan(1e-4);

    const b = await runCli(
      ['bench', 'm.sqz', '--vs', 'onnxruntime', '--runs', '2', '--warmup', '1', '--json', '--backend', 'cpu'],
      dir,
    );
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout).onnxruntime_ms).toBeGreaterThan(0);
  });

  it('output { opset 21 }: uint4 indices (codebook ≤ 16 entries); the squish runtime runs the .sqz like onnxruntime', async () => {
    const text = RECIPE.replace('clusters 16', 'clusters 15').replace('format sqz', 'opset 21  format sqz');
    const r = await compileModel(bytesOf(model), text);
    const m = readSqz(r.model);
    expect(m.opset('')).toBe(21);
    const idx = m.graph.nodes
      .filter((n) => n.opType === 'Cast')
      .map((n) => m.graph.constant(n.inputs[0]!)!.dtype);
    expect(idx).toEqual(['uint4', 'uint4']);
    const want = (await ortRun(exportModel(m), { x })).y!;
    const got = (await run(r.model, { x }, { backend: 'cpu' })).y!.data as Float32Array;
    expect(maxRelDiff(want, got)).toBeLessThan(1e-4);
  });

  it('unpack of a damaged or non-.sqz file: exit 1, one message, nothing written', async () => {
    const sqz = new Uint8Array(readFileSync(join(dir, 'm.sqz')));
    const bad = sqz.slice();
    bad[40]! ^= 1;
    writeFileSync(join(dir, 'bad.sqz'), bad);
    writeFileSync(join(dir, 'short.sqz'), sqz.subarray(0, sqz.length - 9));
    const inner = readSqz(sqz);
    writeFileSync(join(dir, 'past.sqz'), pastTensorSqz(inner, [...inner.graph.initializers.keys()][0]!));
    const cases: [string, RegExp][] = [
      ['bad.sqz', /CRC-32/],
      ['short.sqz', /truncated/],
      ['m.onnx', /not a \.sqz file/],
      ['past.sqz', /decodes past its tensor/],
    ];
    for (const [file, msg] of cases) {
      const r = await runCli(['unpack', file, '-o', 'never.onnx'], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(join(dir, 'never.onnx'))).toBe(false);
    }
  });
});
