// PP-OCRv4 rec with rec-int4.squish minus its quantize lines: plain vs data-aware SVD at energy
// 90/95/99%: ranks, params of the selected MatMuls, decoded-text agreement with the original on
// every fixture line (onnxruntime-node). Run: npx tsx scripts/factorize-rec.ts

import {
  agreement,
  compileRec,
  decodeLines,
  factorizedLayers,
  lineFiles,
  recRecipe,
} from '../specs/factorize/rec.ts';
import { MODELS } from '../specs/support/paths.ts';

const files = lineFiles();
const original = await decodeLines(MODELS.rec, files);
console.log(`lines: ${files.length}`);
for (const energy of [90, 95, 99]) {
  for (const aware of [false, true]) {
    const logs: string[] = [];
    const ranks: string[] = [];
    const { model, report, ms } = await compileRec(
      recRecipe(energy, aware),
      (l) => logs.push(l),
      (l) => {
        const m = /^factorize (\S+) .*rank (\d+) of (\d+)/.exec(l);
        if (m) ranks.push(`${m[1]} ${m[2]}/${m[3]}`);
      },
    );
    const texts = await decodeLines(model, files);
    const layers = factorizedLayers(report);
    const sel = layers.reduce((s, l) => s + l.before, 0);
    const left = layers.reduce((s, l) => s + l.after, 0);
    console.log(
      `energy ${energy}% ${aware ? 'data-aware' : 'plain     '}: agreement ${(100 * agreement(original, texts)).toFixed(1)}% (${Math.round(agreement(original, texts) * files.length)}/${files.length}), selected MatMul params ${sel} → ${left}, model params ${report.before.params} → ${report.after.params}, flops ${report.before.flops} → ${report.after.flops}, compile ${(ms / 1000).toFixed(1)} s`,
    );
    for (const l of layers)
      console.log(
        `    ${l.name}: ${l.before} → ${l.after}  error ${report.layers.find((x) => x.name === l.name)?.error.toPrecision(3)}`,
      );
    console.log(`    ranks: ${ranks.join(', ')}`);
    for (const l of logs) console.log(`    warn: ${l}`);
  }
}
