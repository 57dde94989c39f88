// `npm run bench`: median latency of the squish runtime (gpu.js backend) on PP-OCR cls and det,
// and its ratio to onnxruntime-node and onnxruntime-web (wasm), same run, same thread count.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { createSession } from '../runtime/exec/index.ts';
import { importModel } from '../runtime/onnx/index.ts';
import { MODELS } from '../specs/support/paths.ts';

const THREADS = 2;
const require = createRequire(import.meta.url);

interface Case {
  name: string;
  path: string;
  shape: number[];
  runs: number;
}
const CASES: Case[] = [
  { name: 'PP-OCR cls', path: MODELS.cls, shape: [1, 3, 48, 192], runs: 30 },
  { name: 'PP-OCRv4 det', path: MODELS.det, shape: [1, 3, 640, 640], runs: 7 },
];

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

/** Median and minimum of a list of timings. */
interface Timing {
  median: number;
  min: number;
}

/**
 * Timings of each contender after 3 warm-up calls. Calls are interleaved round-robin, so load
 * from other processes on this shared machine falls on all three alike.
 */
async function timings(runs: number, fs: (() => Promise<unknown>)[]): Promise<Timing[]> {
  for (let i = 0; i < 3; i++) for (const f of fs) await f();
  const ts: number[][] = fs.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < fs.length; j++) {
      const t = performance.now();
      await (fs[j] as () => Promise<unknown>)();
      (ts[j] as number[]).push(performance.now() - t);
    }
  }
  return ts.map((t) => {
    t.sort((a, b) => a - b);
    return { median: t[Math.floor(t.length / 2)] as number, min: t[0] as number };
  });
}

async function main(): Promise<void> {
  const load0 = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  ortWeb.env.wasm.numThreads = THREADS;
  ortWeb.env.wasm.wasmPaths = `${join(dirname(require.resolve('onnxruntime-web')), '/')}`;
  const rows: string[][] = [];
  for (const c of CASES) {
    const x = inputData(c.shape);
    const model = importModel(readFileSync(c.path), { source: c.path });
    const session = await createSession(model, { backend: 'auto' });
    const inName = session.inputs[0]?.name as string;
    const feeds = { [inName]: { dtype: 'float32' as const, dims: c.shape, data: x } };
    const node = await ortNode.InferenceSession.create(c.path, {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    const web = await ortWeb.InferenceSession.create(c.path, { executionProviders: ['wasm'] });
    const nodeFeeds = { [inName]: new ortNode.Tensor('float32', x, c.shape) };
    const webFeeds = { [inName]: new ortWeb.Tensor('float32', x, c.shape) };
    // agreement check first (also the squish warm-up: kernels compile on the first call)
    const ours = await session.run(feeds);
    const theirs = await node.run(nodeFeeds);
    let maxDiff = 0;
    for (const o of session.outputNames) {
      const a = ours[o]?.data as Float32Array;
      const b = theirs[o]?.data as Float32Array;
      for (let i = 0; i < b.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
    }
    const [tSquish, tNode, tWeb] = (await timings(c.runs, [
      () => session.run(feeds),
      () => node.run(nodeFeeds),
      () => web.run(webFeeds),
    ])) as [Timing, Timing, Timing];
    const ms = (t: Timing) => `${t.median.toFixed(1)} (${t.min.toFixed(1)})`;
    rows.push([
      c.name,
      `[${c.shape.join(',')}]`,
      session.backend,
      `${session.acceleratedNodes}`,
      ms(tSquish),
      ms(tNode),
      ms(tWeb),
      (tSquish.median / tNode.median).toFixed(2),
      (tSquish.median / tWeb.median).toFixed(2),
      maxDiff.toExponential(2),
    ]);
    session.dispose();
    await node.release();
    await web.release();
  }
  const head = [
    'model',
    'input',
    'squish backend',
    'nodes on backend (after fusion)',
    'squish ms median (min)',
    'ort-node ms median (min)',
    'ort-web ms median (min)',
    'median × ort-node',
    'median × ort-web',
    'max |Δ| vs ort-node',
  ];
  console.log(`threads: ${THREADS} (squish gpu.js worker pool, ort-node intra-op, ort-web wasm)`);
  console.log(
    `load average (1/5/15 min) before: ${load0}; after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
