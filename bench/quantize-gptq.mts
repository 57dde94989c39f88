// GPTQ vs minmax rounding on the same grid, every weighted layer of PP-OCRv4 rec (after BN folding):
// output error tr(D·G·Dᵀ) on the calibration activations (16 fixture lines; convs: sampled im2col
// patches), 4-bit (MatMul group 32, Conv per-channel) — the full figure behind specs/quantize/gptq.spec.ts.
// Run: npx tsx bench/quantize-gptq.mts   (LINES=n)
import { layerErrors, recWithGrams } from '../specs/quantize/gptq-rec.ts';

const LINES = Number(process.env.LINES ?? 16);
const t0 = performance.now();
const { model, grams } = await recWithGrams(LINES, () => true);
const rows = layerErrors(model, grams, (n) =>
  n.opType === 'MatMul'
    ? { bits: 4, group: 32, symmetric: true, perChannel: false, method: 'gptq', from: 'bench' }
    : { bits: 4, symmetric: true, perChannel: true, method: 'gptq', from: 'bench' },
);
let worse = 0;
for (const r of rows) {
  if (r.gptq > r.minmax * (1 + 1e-9) + 1e-12) worse++;
  console.log(
    `${r.op.padEnd(6)} ${r.name.padEnd(16)} [${r.dims.join('x')}]`.padEnd(44),
    `gptq ${r.gptq.toExponential(3)}  minmax ${r.minmax.toExponential(3)}  ratio ${(r.gptq / r.minmax).toFixed(3)}`,
  );
}
const ratios = rows.map((r) => r.gptq / r.minmax).sort((a, b) => a - b);
console.log(
  `${rows.length} layers, calibration ${LINES} lines: GPTQ worse than minmax on ${worse}; error ratio median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(3)}, max ${ratios.at(-1)!.toFixed(3)}; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
