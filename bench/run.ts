// `npm run bench`: latency of the squish runtime on PP-OCR det, rec and cls against onnxruntime-web
// (wasm) and onnxruntime-node, interleaved run by run in one process at the same thread count — 1 and
// 2 threads, each in its own child process (onnxruntime-web fixes its thread count per process).
// Prints one markdown table: medians with min–max, the ratios of the medians, max |Δ| to onnxruntime.
//
//   npm run bench [-- --threads 1,2] [--models det,rec,cls] [--runs N] [--backend webasm]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type Contender,
  interleaved,
  openOther,
  type Timing,
} from '../compiler/cli/commands/bench-timing.ts';
import type { BackendName } from '../runtime/backends/backend.ts';
import { createSession } from '../runtime/exec/index.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import { importModel } from '../runtime/onnx/index.ts';
import { MODELS } from '../specs/support/paths.ts';

interface Case {
  name: string;
  path: string;
  shape: number[];
  runs: number;
}
const CASES: Record<string, Case> = {
  det: { name: 'PP-OCRv4 det', path: MODELS.det, shape: [1, 3, 640, 640], runs: 9 },
  rec: { name: 'PP-OCRv4 rec', path: MODELS.rec, shape: [1, 3, 48, 320], runs: 21 },
  cls: { name: 'PP-OCR cls', path: MODELS.cls, shape: [1, 3, 48, 192], runs: 41 },
};

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    models: { type: 'string', default: 'det,rec,cls' },
    runs: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    child: { type: 'boolean', default: false },
  },
});

function inputData(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    d[i] = (s / 2 ** 32) * 2 - 1;
  }
  return d;
}

function maxDiff(a: Record<string, Tensor>, b: Record<string, { data: unknown }>): number {
  let m = 0;
  for (const [name, t] of Object.entries(a)) {
    const x = t.data as Float32Array;
    const y = b[name]?.data as Float32Array;
    for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)));
  }
  return m;
}

const cell = (t: Timing) => `${t.median.toFixed(1)} (${t.min.toFixed(1)}–${t.max.toFixed(1)})`;

/** One thread count, every model: the table rows (run in a child process). */
async function measure(threads: number): Promise<string[][]> {
  const rows: string[][] = [];
  for (const key of (args.models as string).split(',')) {
    const c = CASES[key];
    if (!c) throw new Error(`unknown model '${key}' (det, rec, cls)`);
    const runs = args.runs ? Number(args.runs) : c.runs;
    const model = importModel(readFileSync(c.path), { source: c.path });
    const session = await createSession(model, { backend: args.backend as BackendName | 'auto', threads });
    const name = session.inputs[0]?.name as string;
    const feeds = { [name]: { dtype: 'float32' as const, dims: c.shape, data: inputData(c.shape) } };
    const t0 = performance.now();
    const ours = await session.run(feeds);
    const firstRun = performance.now() - t0;
    const squish: Contender = { name: 'squish', run: () => session.run(feeds), close: async () => {} };
    const web = await openOther('onnxruntime-web', c.path, feeds, threads);
    const node = await openOther('onnxruntime', c.path, feeds, threads);
    const ref = await import('onnxruntime-node').then(async (ort) => {
      const s = await ort.InferenceSession.create(c.path);
      const out = await s.run({
        [name]: new ort.Tensor('float32', feeds[name]?.data as Float32Array, c.shape),
      });
      await s.release();
      return out;
    });
    const [ts, tw, tn] = (await interleaved([squish, web, node], 3, runs)) as [Timing, Timing, Timing];
    rows.push([
      c.name,
      `[${c.shape.join(',')}]`,
      `${threads}`,
      `${session.backend}`,
      cell(ts),
      cell(tw),
      cell(tn),
      (ts.median / tw.median).toFixed(2),
      (ts.median / tn.median).toFixed(2),
      `${firstRun.toFixed(0)}`,
      maxDiff(ours, ref).toExponential(1),
    ]);
    session.dispose();
    await web.close();
    await node.close();
  }
  return rows;
}

async function main(): Promise<void> {
  if (args.child) {
    process.stdout.write(`${JSON.stringify(await measure(Number(args.threads)))}\n`);
    process.exit(0);
  }
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const load0 = load();
  const rows: string[][] = [];
  for (const threads of (args.threads as string).split(',')) {
    const forward = [
      '--threads',
      threads,
      '--models',
      args.models as string,
      '--backend',
      args.backend as string,
    ];
    if (args.runs) forward.push('--runs', args.runs);
    const script = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, [...process.execArgv, script, '--child', ...forward], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    });
    if (child.status !== 0) throw new Error(`bench child for ${threads} thread(s) failed (${child.status})`);
    const last = child.stdout.trim().split('\n').pop() as string;
    rows.push(...(JSON.parse(last) as string[][]));
  }
  const head = [
    'model',
    'input',
    'threads',
    'squish backend',
    'squish ms median (min–max)',
    'ort-web ms median (min–max)',
    'ort-node ms median (min–max)',
    '× ort-web',
    '× ort-node',
    'squish first run ms',
    'max |Δ| vs ort-node',
  ];
  console.log(
    'interleaved squish / onnxruntime-web / onnxruntime-node, rotated each round, same thread count',
  );
  console.log(`load average (1/5/15 min) before: ${load0}; after: ${load()}`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
