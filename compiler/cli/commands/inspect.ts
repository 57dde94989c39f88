// `squish inspect MODEL [--json] [--shape NAME=1x3x48x192]`: a per-layer table (name, op, shapes
// in → out, params, FLOPs, bytes) with totals; --json prints the same for scripts.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { printable, UserError } from '../../../runtime/errors.ts';
import { type ModelStats, modelStats } from '../../../runtime/ir/shape/stats.ts';
import type { Dim, ValueType } from '../../../runtime/ir/types.ts';
import { inlineFunctions } from '../../../runtime/onnx/inline.ts';
import { isSqz } from '../../../runtime/sqz/read.ts';
import { readRegularFile } from '../../io/files.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { packTable, sqzReport } from '../../pack/report.ts';
import type { CliIO } from '../io.ts';
import { parseShape, SHAPE_HELP } from '../shape.ts';
import type { RegisterCommand } from './index.ts';

export function shapeText(t: ValueType | undefined): string {
  if (!t) return '?';
  if (!t.shape) return `${t.dtype}[?]`;
  return t.shape.map((d) => (typeof d === 'string' && d.length > 10 ? '?' : String(d))).join('×') || 'scalar';
}

function human(n: number, unit: string): string {
  const steps = ['', 'K', 'M', 'G', 'T'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < steps.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i ? v.toFixed(2) : v} ${steps[i]}${unit}`.trim();
}

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

export function inspectJson(path: string, stats: ModelStats, model: ReturnType<typeof loadModelFile>) {
  const g = model.graph;
  const io = (l: typeof g.inputs) =>
    l.map((v) => ({ name: v.name, dtype: v.type?.dtype ?? null, shape: v.type?.shape ?? null }));
  return {
    model: path,
    irVersion: Number(model.irVersion),
    opsets: model.opsetImports,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || null,
    inputs: io(g.inputs.filter((i) => !g.initializers.has(i.name))),
    outputs: io(g.outputs),
    layers: stats.layers.map((l) => ({
      name: l.name,
      op: l.op,
      inputs: l.inputs.map((t) => t?.shape ?? null),
      outputs: l.outputs.map((t) => t?.shape ?? null),
      params: l.params,
      bytes: l.bytes,
      flops: l.flops ?? null,
    })),
    totals: stats.totals,
  };
}

function printTable(
  io: CliIO,
  path: string,
  stats: ModelStats,
  model: ReturnType<typeof loadModelFile>,
): void {
  const g = model.graph;
  const j = inspectJson(path, stats, model);
  io.out(`model    ${printable(path)}\n`);
  io.out(
    `format   ONNX IR ${j.irVersion}, opset ${model.opsetImports.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}`,
  );
  io.out(j.producer ? `, from ${printable(j.producer)}\n` : '\n');
  for (const v of g.inputs.filter((i) => !g.initializers.has(i.name)))
    io.out(
      `input    ${printable(v.name)}: ${v.type?.dtype ?? '?'} [${printable(v.type?.shape?.join(', ') ?? '?')}]\n`,
    );
  for (const v of g.outputs)
    io.out(
      `output   ${printable(v.name)}: ${v.type?.dtype ?? '?'} [${printable(v.type?.shape?.join(', ') ?? '?')}]\n`,
    );
  io.out('\n');
  const rows = stats.layers.map((l) => [
    printable(l.name),
    printable(l.op),
    printable(`${shapeText(l.inputs[Math.max(0, l.dataInput)])} → ${l.outputs.map(shapeText).join(', ')}`),
    l.params.toLocaleString('en-US'),
    l.flops === undefined ? '?' : l.flops.toLocaleString('en-US'),
    l.bytes.toLocaleString('en-US'),
  ]);
  const head = ['name', 'op', 'shape in → out', 'params', 'FLOPs', 'bytes'];
  const t = stats.totals;
  const total = [
    'total',
    `${t.nodes} nodes`,
    '',
    t.params.toLocaleString('en-US'),
    `${t.flops.toLocaleString('en-US')}${t.flopsComplete ? '' : '+'}`,
    t.bytes.toLocaleString('en-US'),
  ];
  const w = head.map((h, c) =>
    Math.min(48, Math.max(h.length, total[c]!.length, ...rows.map((r) => r[c]!.length))),
  );
  const line = (r: string[]) =>
    `${r.map((s, c) => pad(s.length > w[c]! ? `${s.slice(0, w[c]! - 1)}…` : s, w[c]!, c >= 3)).join('  ')}\n`;
  io.out(line(head));
  io.out(line(w.map((n) => '─'.repeat(n))));
  for (const r of rows) io.out(line(r));
  io.out(line(w.map((n) => '─'.repeat(n))));
  io.out(line(total));
  io.out('\n');
  io.out(`params   ${t.params.toLocaleString('en-US')} (${human(t.params, '')})\n`);
  io.out(`bytes    ${t.bytes.toLocaleString('en-US')} (${human(t.bytes, 'B')}) in weights\n`);
  io.out(
    `FLOPs    ${t.flopsComplete ? '' : '≥ '}${t.flops.toLocaleString('en-US')} (${human(t.flops, 'FLOPs')})\n`,
  );
  io.out(
    `ops      ${Object.entries(t.ops)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${printable(k)} ${v}`)
      .join(', ')}\n`,
  );
  if (!t.flopsComplete) {
    const first = j.inputs[0];
    const dims = (first?.shape ?? []).map((d, k) =>
      typeof d === 'number' ? String(d) : k === 0 ? '1' : `D${k}`,
    );
    io.out(
      `note     some dims are symbolic, so those layers' FLOPs are not counted; give sizes, e.g. --shape ${first?.name ?? 'x'}=${dims.join('x')} (D… = your sizes)\n`,
    );
  }
}

export const registerInspect: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('inspect')
    .description('show a model’s layers, op counts, params, bytes and FLOPs')
    .argument('<model>', 'the .onnx model file (or a .sqz container: adds bits per weight by layer)')
    .option('--json', 'print JSON for scripts instead of the table')
    .option('--shape <name=dims>', SHAPE_HELP, parseShape, {})
    .addHelpText(
      'after',
      [
        '',
        'Params and bytes are the stored weights (initializers and Constant nodes), each counted once on the',
        'first layer that reads it; nodes computed from weights alone (DequantizeLinear of int4 weights …)',
        'fold into that layer. FLOPs count a multiply-add as 2: Conv 2·N·Cout·(Cin/g)·kh·kw·Hout·Wout (+bias),',
        'Gemm/MatMul 2·M·N·K, elementwise 1 per element; they need concrete shapes (see --shape).',
        '--json prints {model, irVersion, opsets, producer, inputs, outputs, layers[{name, op, inputs,',
        'outputs, params, bytes, flops}], totals{nodes, layers, params, bytes, flops, flopsComplete, ops}}.',
        'A .sqz container adds where its bytes go: per weight layer how it is stored, its bytes at each Deep',
        "Compression stage and its bits per weight (codes + scales/codebook), and the graph's share of the",
        'file (--json: `pack`, as in the compile report; see docs/sqz.md).',
      ].join('\n'),
    )
    .action((modelPath: string, opts: { json?: boolean; shape: Record<string, Dim[]> }) => {
      const model = loadModelFile(resolve(io.cwd, modelPath), modelPath);
      for (const name of Object.keys(opts.shape)) {
        if (!model.graph.inputs.some((i) => i.name === name)) {
          throw new UserError(
            `--shape names input '${name}', but the model's inputs are ${model.graph.inputs.map((i) => `'${i.name}'`).join(', ')}`,
          );
        }
      }
      const raw = readRegularFile(resolve(io.cwd, modelPath), 'model', modelPath); // .sqz: bits per weight by layer
      const sqz = isSqz(raw) ? sqzReport(raw, modelPath).report : undefined;
      const inlined = inlineFunctions(model); // count through model-local function calls
      const stats = modelStats(model, opts.shape);
      if (opts.json)
        io.out(
          `${JSON.stringify({ ...inspectJson(modelPath, stats, model), ...(sqz ? { pack: sqz } : {}) }, null, 2)}\n`,
        );
      else {
        printTable(io, modelPath, stats, model);
        if (sqz) io.out(packTable(sqz));
        if (inlined) io.out(`functions ${inlined} calls of model-local functions counted as their bodies\n`);
      }
    });
};
