// rec-int4.squish minus factorize, GPTQ replaced by minmax (GPTQ not implemented yet): size ratio and
// decoded-text agreement on the fixture lines (onnxruntime-node). Run: npx tsx bench/quantize-rec.mts
import { readFileSync } from 'node:fs';
import { compileModel } from '../compiler/compile.ts';
import { nodeHost } from '../compiler/io/host.ts';
import '../compiler/passes/lossy.ts';
import { REC_RECIPE } from '../specs/factorize/rec.ts';
import { ctcDecode, fixtures, recInput, runOrt } from '../specs/support/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const text = readFileSync(REC_RECIPE, 'utf8')
  .replace(/^factorize[^{]*\{[^}]*\}/m, '')
  .replace('method gptq', `method ${process.env.METHOD ?? 'minmax'}`);
const orig = readFileSync(MODELS.rec);
const r = await compileModel(orig, text, { recipeFile: REC_RECIPE, host: nodeHost() });
let agree = 0;
const lines = fixtures('lines');
for (const l of lines) {
  const x = await recInput(l.file);
  const a = ctcDecode(Object.values(await runOrt(new Uint8Array(orig), { x }))[0]!);
  const b = ctcDecode(Object.values(await runOrt(r.model, { x }))[0]!);
  if (a === b) agree++;
}
console.log(
  `rec 8-bit convs + 4-bit group-32 ${process.env.METHOD ?? 'minmax'} MatMuls: ${r.model.length}/${orig.length} = ${((100 * r.model.length) / orig.length).toFixed(2)}%, text agreement ${agree}/${lines.length}`,
);
