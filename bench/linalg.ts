// Benchmark of the linalg core: randomized SVD 1024×1024 at rank 64 (goal < 1 s), exact 512×512 SVD
// (goal < 2 s), plus Tucker-2 and data-aware factorizations at layer sizes; prints median ms of 3 runs.
import { dataAwareLowRank } from '../compiler/linalg/lowrank.ts';
import { frobenius, frobeniusDiff, matmul, randomNormal } from '../compiler/linalg/matrix.ts';
import { truncationError } from '../compiler/linalg/rank.ts';
import { randomizedSvd, svd } from '../compiler/linalg/svd.ts';
import { tucker2 } from '../compiler/linalg/tucker.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time<T>(runs: number, f: () => T): { ms: number; all: number[]; last: T } {
  const all: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = f();
    all.push(performance.now() - t);
  }
  return { ms: median(all), all, last };
}

/** A matrix with a decaying spectrum (σ_i ≈ 0.97^i), the shape of real weight matrices. */
function decaying(m: number, n: number, seed: number) {
  const a = randomNormal(m, n, seed);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a.data[i * n + j]! *= 0.97 ** j;
  return a;
}

const rows: [string, number, number, string][] = [];

{
  const a = decaying(1024, 1024, 1);
  const t = time(3, () => randomizedSvd(a, 64, { powerIters: 2 }));
  const d = t.last;
  const rec = matmul({ ...d.U, data: d.U.data.map((x, i) => x * d.S[i % d.S.length]!) }, d.Vt);
  const err = frobeniusDiff(rec, a) / frobenius(a);
  rows.push(['randomized SVD 1024×1024, rank 64 (q=2)', t.ms, 1000, `rel. error ${err.toFixed(4)}`]);
}
{
  const a = randomNormal(512, 512, 2);
  const t = time(3, () => svd(a));
  const d = t.last;
  const rec = matmul({ ...d.U, data: d.U.data.map((x, i) => x * d.S[i % 512]!) }, d.Vt);
  rows.push([
    'exact SVD 512×512',
    t.ms,
    2000,
    `‖A − UΣVᵀ‖/‖A‖ ${(frobeniusDiff(rec, a) / frobenius(a)).toExponential(2)}`,
  ]);
  const opt = truncationError(d.S, 64) / frobenius(a);
  rows.push(['  (rank-64 Eckart–Young error of that matrix)', 0, 0, opt.toFixed(4)]);
}
{
  const w = randomNormal(256, 1024, 3);
  const x = randomNormal(1024, 1100, 4);
  const t = time(1, () => dataAwareLowRank(w, { X: x }, { kind: 'energy', p: 95 }));
  rows.push(['data-aware low rank 256×1024, X 1024×1100, energy 95%', t.ms, 0, `rank ${t.last.rank}`]);
}
{
  const w = Float64Array.from(randomNormal(128, 128 * 9, 5).data);
  const t = time(1, () => tucker2(w, [128, 128, 3, 3], [64, 64], { sweeps: 3 }));
  const e = t.last.errors.map((v) => (v / frobenius(w)).toFixed(4)).join(' → ');
  rows.push(['Tucker-2 [128,128,3,3] ranks 64/64, 3 ALS sweeps', t.ms, 0, `rel. error ${e}`]);
}

console.log(`node ${process.version}`);
for (const [name, ms, goal, note] of rows) {
  const g = goal > 0 ? `  goal < ${goal} ms ${ms < goal ? 'MET' : 'MISSED'}` : '';
  console.log(`${name.padEnd(58)} ${ms > 0 ? `${ms.toFixed(0).padStart(6)} ms` : '         '}${g}  ${note}`);
}
