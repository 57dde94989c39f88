// Benchmark of the linalg core: randomized SVD 1024×1024 at rank 64 (goal < 1 s), exact 512×512 SVD
// (goal < 2 s), plus Tucker-2 and data-aware factorizations at layer sizes; prints median ms of 3 runs.
// `--rec`: per-layer figures on PP-OCRv4 rec's constant-weight MatMuls with activations from the
// fixture lines (onnxruntime-node): ranks and output error of plain vs data-aware SVD at energy
// 90/95/99%, and GPTQ vs minmax rounding at 4 bits, group 32.
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
const REC = process.argv.includes('--rec') || process.argv.includes('--det');

if (!REC) {
  const a = decaying(1024, 1024, 1);
  const t = time(3, () => randomizedSvd(a, 64, { powerIters: 2 }));
  const d = t.last;
  const rec = matmul({ ...d.U, data: d.U.data.map((x, i) => x * d.S[i % d.S.length]!) }, d.Vt);
  const err = frobeniusDiff(rec, a) / frobenius(a);
  rows.push(['randomized SVD 1024×1024, rank 64 (q=2)', t.ms, 1000, `rel. error ${err.toFixed(4)}`]);
}
if (!REC) {
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
if (!REC) {
  const w = randomNormal(256, 1024, 3);
  const x = randomNormal(1024, 1100, 4);
  const t = time(1, () => dataAwareLowRank(w, { X: x }, { kind: 'energy', p: 95 }));
  rows.push(['data-aware low rank 256×1024, X 1024×1100, energy 95%', t.ms, 0, `rank ${t.last.rank}`]);
}
if (!REC) {
  const w = Float64Array.from(randomNormal(128, 128 * 9, 5).data);
  const t = time(1, () => tucker2(w, [128, 128, 3, 3], [64, 64], { sweeps: 3 }));
  const e = t.last.errors.map((v) => (v / frobenius(w)).toFixed(4)).join(' → ');
  rows.push(['Tucker-2 [128,128,3,3] ranks 64/64, 3 ALS sweeps', t.ms, 0, `rel. error ${e}`]);
}

if (!REC) {
  const { gptq, gptqHessian } = await import('../compiler/passes/quantize/gptq.ts');
  const w = randomNormal(512, 512, 6);
  const h = gptqHessian(randomNormal(512, 1024, 7));
  const t = time(1, () => gptq(w, h, { bits: 4, symmetric: true, groupSize: 32 }));
  rows.push(['GPTQ 512×512, 4 bits, group 32', t.ms, 0, '']);
}
if (!REC) {
  const { kmeans1d } = await import('../compiler/codec/kmeans.ts');
  const { huffmanDecode, huffmanEncode, huffmanLengths } = await import('../compiler/codec/huffman.ts');
  const g = randomNormal(1, 1 << 20, 8).data;
  for (let i = 0; i < g.length; i += 3) g[i] = 0; // a third pruned
  const t = time(1, () => kmeans1d(g, 16, { init: 'linear' }));
  rows.push([
    'k-means 1-D, 2^20 weights (⅓ zero), 16 clusters, linear init',
    t.ms,
    0,
    `${t.last.iterations} Lloyd iterations`,
  ]);
  const sym = Uint32Array.from(t.last.labels, (l) => l + 1);
  const freq = new Array(17).fill(0);
  for (const s of sym) freq[s]++;
  const lens = huffmanLengths(freq);
  const e = time(1, () => huffmanEncode(sym, lens));
  const d = time(1, () => huffmanDecode(e.last.bytes, lens, sym.length, e.last.bitLength));
  const bits = (e.last.bitLength / sym.length).toFixed(3);
  rows.push(['Huffman encode 2^20 cluster indices', e.ms, 0, `${bits} bits/weight`]);
  rows.push(['Huffman decode 2^20 cluster indices', d.ms, 0, '']);
}
console.log(`node ${process.version}`);
if (process.argv.includes('--rec')) await recFigures();
if (process.argv.includes('--det')) await detFigures();
for (const [name, ms, goal, note] of rows) {
  const g = goal > 0 ? `  goal < ${goal} ms ${ms < goal ? 'MET' : 'MISSED'}` : '';
  console.log(`${name.padEnd(58)} ${ms > 0 ? `${ms.toFixed(0).padStart(6)} ms` : '         '}${g}  ${note}`);
}

async function recFigures(): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const ort = await import('onnxruntime-node');
  const onnxProto = (await import('onnx-proto')).default;
  const { MODELS } = await import('../specs/support/paths.ts');
  const { fixtures, recInput } = await import('../specs/support/ocr.ts');
  const { gptq, gptqHessian, weightOutputError } = await import('../compiler/passes/quantize/gptq.ts');
  const { dequantize, quantizeTensor } = await import('../compiler/passes/quantize/uniform.ts');
  const { lowRank, outputError } = await import('../compiler/linalg/lowrank.ts');
  const { gram } = await import('../compiler/linalg/matrix.ts');
  // biome-ignore lint/suspicious/noExplicitAny: onnx-proto's generated types are loose
  const pb: any = (onnxProto as any).onnx;
  const model = pb.ModelProto.decode(readFileSync(MODELS.rec));
  const consts = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const n of model.graph.node) {
    if (n.opType !== 'Constant') continue;
    const t = n.attribute.find((a: { name: string }) => a.name === 'value')?.t;
    if (t?.dataType !== 1 || t.dims.length !== 2) continue;
    const raw: Uint8Array = t.rawData;
    const data = raw?.length
      ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
      : Float32Array.from(t.floatData);
    consts.set(n.output[0], { dims: t.dims.map(Number), data });
  }
  const layers = model.graph.node
    .filter((n: { opType: string; input: string[] }) => n.opType === 'MatMul' && consts.has(n.input[1]))
    .map((n: { name: string; input: string[] }) => ({
      name: n.name,
      x: n.input[0]!,
      w: consts.get(n.input[1]!)!,
    }));
  for (const l of layers) model.graph.output.push(pb.ValueInfoProto.create({ name: l.x }));
  const session = await ort.InferenceSession.create(pb.ModelProto.encode(model).finish());
  const acts = new Map<string, number[][]>(layers.map((l: { x: string }) => [l.x, []]));
  const held = new Map<string, number[][]>(layers.map((l: { x: string }) => [l.x, []]));
  const all = fixtures('lines');
  const lines = all.slice(0, 16);
  for (const [i, f] of all.entries()) {
    const into = i < 16 ? acts : held;
    const t = await recInput(f.file);
    const out = await session.run({ x: new ort.Tensor('float32', t.data as Float32Array, [...t.dims]) });
    for (const l of layers) {
      const v = out[l.x]!;
      const k = Number(v.dims.at(-1));
      const d = v.data as Float32Array;
      for (let r = 0; r < d.length / k; r++) into.get(l.x)!.push(Array.from(d.subarray(r * k, r * k + k)));
    }
  }
  console.log(
    `PP-OCRv4 rec: ${lines.length} fixture lines calibrate, the other ${all.length - lines.length} evaluate`,
  );
  console.log('rel. output error = ‖(W − AB)X‖/‖WX‖ on the held-out lines’ activations');
  const toX = (rowsX: number[][], K: number) => {
    const s = rowsX.length;
    const x = { rows: K, cols: s, data: new Float64Array(K * s) };
    rowsX.forEach((row, j) => {
      row.forEach((v, k) => {
        x.data[k * s + j] = v;
      });
    });
    return x;
  };
  console.log(
    'layer           K×N      | energy: rank plain / data-aware(output energy) → error plain / data-aware / data-aware at plain rank',
  );
  const totals = { params: 0, plain: [0, 0, 0], aware: [0, 0, 0] };
  for (const l of layers) {
    const [K, N] = l.w.dims as [number, number];
    // Ours: rows = outputs. MatMul B is [K, N], so W = Bᵀ (N×K); X = activations (K × samples).
    const w = { rows: N, cols: K, data: new Float64Array(N * K) };
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) w.data[n * K + k] = l.w.data[k * N + n]!;
    const x = toX(acts.get(l.x)!, K);
    const xe = toX(held.get(l.x)!, K);
    const ref = weightOutputError(w, new Float32Array(N * K), xe);
    const g = gram(x);
    const { dataAwareLowRank } = await import('../compiler/linalg/lowrank.ts');
    const cells: string[] = [];
    totals.params += K * N;
    [90, 95, 99].forEach((p, i) => {
      const a = lowRank(w, { kind: 'energy', p }, { randomized: false });
      const b = dataAwareLowRank(w, { gram: g }, { kind: 'energy', p });
      const c = dataAwareLowRank(w, { gram: g }, { kind: 'energy', p }, { rankFrom: 'weights' });
      const ea = outputError(w, a.A, a.B, xe) / ref;
      const eb = outputError(w, b.A, b.B, xe) / ref;
      const ec = outputError(w, c.A, c.B, xe) / ref;
      totals.plain[i]! += Math.min(K * N, a.rank * (K + N));
      totals.aware[i]! += Math.min(K * N, b.rank * (K + N));
      cells.push(`${p}%: ${a.rank}/${b.rank} → ${ea.toFixed(3)}/${eb.toFixed(3)}/${ec.toFixed(3)}`);
    });
    console.log(`${l.name.padEnd(16)}${`${K}×${N}`.padEnd(9)}| ${cells.join('  ')}`);
    const gran = { kind: 'group', axis: 1, size: 32 } as const;
    const rtn = dequantize(quantizeTensor(w.data, [N, K], { bits: 4, granularity: gran, symmetric: true }));
    const t0 = performance.now();
    const gq = gptq(w, gptqHessian(x), { bits: 4, symmetric: true, groupSize: 32 });
    const ms = performance.now() - t0;
    console.log(
      `${''.padEnd(25)}| int4 g32: minmax ${(weightOutputError(w, rtn, xe) / ref).toFixed(4)}  gptq ${(weightOutputError(w, gq.dequantized, xe) / ref).toFixed(4)}  (${ms.toFixed(0)} ms)`,
    );
  }
  const pct = (v: number) => `${((100 * v) / totals.params).toFixed(1)}%`;
  console.log(
    `params kept (rank·(K+N), capped at K·N) of ${totals.params}: plain ${totals.plain.map(pct).join(' / ')}, data-aware ${totals.aware.map(pct).join(' / ')} at 90/95/99%`,
  );
  await session.release();
}

async function detFigures(): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const onnxProto = (await import('onnx-proto')).default;
  const { MODELS } = await import('../specs/support/paths.ts');
  const { channelDecompose, channelReconstruct, spatialDecompose, spatialReconstruct } = await import(
    '../compiler/linalg/conv.ts'
  );
  const { tucker2Reconstruct } = await import('../compiler/linalg/tucker.ts');
  // biome-ignore lint/suspicious/noExplicitAny: onnx-proto's generated types are loose
  const pb: any = (onnxProto as any).onnx;
  const model = pb.ModelProto.decode(readFileSync(MODELS.det));
  const consts = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const n of model.graph.node) {
    if (n.opType !== 'Constant') continue;
    const t = n.attribute.find((a: { name: string }) => a.name === 'value')?.t;
    if (t?.dataType !== 1 || t.dims.length !== 4) continue;
    const raw: Uint8Array = t.rawData;
    const data = raw?.length
      ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
      : Float32Array.from(t.floatData);
    consts.set(n.output[0], { dims: t.dims.map(Number), data });
  }
  const convs: { name: string; dims: number[]; data: Float32Array }[] = [];
  for (const n of model.graph.node) {
    if (n.opType !== 'Conv' || !consts.has(n.input[1])) continue;
    const group = Number(n.attribute.find((a: { name: string }) => a.name === 'group')?.i ?? 1);
    const w = consts.get(n.input[1])!;
    if (group === 1 && w.dims[2] === 3 && w.dims[3] === 3) convs.push({ name: n.name, ...w });
  }
  const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
  const tot = { before: 0, tucker: 0, channel: 0, spatial: 0 };
  const errs = { tucker: [] as number[], channel: [] as number[], spatial: [] as number[] };
  const ms = { tucker: 0, channel: 0, spatial: 0 };
  const spec = { kind: 'percent', p: 50 } as const;
  for (const c of convs) {
    const [co, ci, kh, kw] = c.dims as [number, number, number, number];
    const shape = [co, ci, kh, kw] as const;
    const ref = norm(c.data);
    tot.before += c.data.length;
    let t0 = performance.now();
    const r1 = Math.max(1, Math.round(co / 2));
    const r2 = Math.max(1, Math.round(ci / 2));
    const t = tucker2(c.data, shape, [r1, r2], { sweeps: 3 });
    ms.tucker += performance.now() - t0;
    tot.tucker += r2 * ci + r1 * r2 * kh * kw + co * r1;
    errs.tucker.push(diff(c.data, tucker2Reconstruct(t)) / ref);
    t0 = performance.now();
    const ch = channelDecompose(c.data, shape, spec);
    ms.channel += performance.now() - t0;
    tot.channel += ch.rank * (ci * kh * kw + co);
    errs.channel.push(diff(c.data, channelReconstruct(ch, shape)) / ref);
    t0 = performance.now();
    const sp = spatialDecompose(c.data, shape, spec);
    ms.spatial += performance.now() - t0;
    tot.spatial += sp.rank * (ci * kh + co * kw);
    errs.spatial.push(diff(c.data, spatialReconstruct(sp, shape)) / ref);
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  console.log(`PP-OCRv4 det: ${convs.length} non-depthwise 3×3 convs, ${tot.before} weights, rank 50%`);
  for (const k of ['tucker', 'channel', 'spatial'] as const) {
    console.log(
      `${k.padEnd(8)} weights kept ${((100 * tot[k]) / tot.before).toFixed(1)}%  rel. weight error mean ${mean(errs[k]).toFixed(3)} max ${Math.max(...errs[k]).toFixed(3)}  (${ms[k].toFixed(0)} ms)`,
    );
  }
}
