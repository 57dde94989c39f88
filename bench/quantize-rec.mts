// rec-int4.squish minus its factorize lines (8-bit per-channel convs, 4-bit group-32 MatMuls, method
// from METHOD, default gptq as written) through compileModel — bias correction is applied since the
// recipe calibrates — then size ratio and decoded-text agreement on the 48 fixture lines
// (onnxruntime-node), spaces aside and exact. ALL4=1: every conv and MatMul at 4 bits (convs per-channel, same METHOD).
// Run: npx tsx bench/quantize-rec.mts   (METHOD=minmax|mse|gptq, ALL4=1, CONV=mse|gptq for the 8-bit convs,
// AS_WRITTEN=1 keeps the recipe's factorize statement)
import { readFileSync } from 'node:fs';
import { compileModel } from '../compiler/compile.ts';
import { nodeHost } from '../compiler/io/host.ts';
import '../compiler/passes/lossy.ts';
import { REC_RECIPE } from '../specs/factorize/rec.ts';
import { ctcDecode, fixtures, recInput, runOrt } from '../specs/support/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const METHOD = process.env.METHOD ?? 'gptq';
const ALL4 = process.env.ALL4 === '1';
const AS_WRITTEN = process.env.AS_WRITTEN === '1'; // keep the factorize statement
let text = readFileSync(REC_RECIPE, 'utf8');
if (!AS_WRITTEN) text = text.replace(/^factorize[^{]*\{[^}]*\}/m, '');
text = text.replace('method gptq', `method ${METHOD}`);
const CONV = process.env.CONV; // e.g. CONV=gptq: the 8-bit conv line with that method
if (CONV && !ALL4) {
  text = text.replace(
    'quantize weights of conv { bits 8  per-channel  symmetric }',
    `quantize weights of conv { bits 8  per-channel  symmetric  method ${CONV} }`,
  );
}
if (ALL4)
  text = text.replace(
    'quantize weights of conv { bits 8  per-channel  symmetric }',
    `quantize weights of conv { bits 4  per-channel  symmetric  method ${METHOD} }`,
  );
const orig = readFileSync(MODELS.rec);
const t0 = performance.now();
const warnings: string[] = [];
const r = await compileModel(orig, text, {
  recipeFile: REC_RECIPE,
  host: nodeHost(),
  warn: (l) => warnings.push(l),
});
const secs = (performance.now() - t0) / 1000;
let agree = 0;
let exact = 0;
const strip = (t: string) => t.replace(/\s+/g, '');
const lines = fixtures('lines');
for (const l of lines) {
  const x = await recInput(l.file);
  const a = ctcDecode(Object.values(await runOrt(new Uint8Array(orig), { x }))[0]!);
  const b = ctcDecode(Object.values(await runOrt(r.model, { x }))[0]!);
  if (strip(a) === strip(b)) agree++;
  if (a === b) exact++;
}
console.log(warnings.join('\n'));
console.log(
  `rec ${AS_WRITTEN ? 'as written (factorize too), ' : ''}${ALL4 ? '4-bit per-channel convs' : `8-bit ${CONV ?? 'minmax'} convs`} + 4-bit group-32 MatMuls, method ${METHOD}: ${r.model.length}/${orig.length} = ${((100 * r.model.length) / orig.length).toFixed(2)}%, text agreement ${agree}/${lines.length} (${((100 * agree) / lines.length).toFixed(1)}%) spaces aside, ${exact}/${lines.length} exact, compile ${secs.toFixed(1)} s`,
);
