// `squish check`: exit codes, rendered diagnostics, --strict, and selectors resolved against the OCR models.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { MODELS, RECIPES, ROOT } from '../support/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'squish-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function recipe(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('squish check', () => {
  it.each([
    ['cls-int8', 'cls', []],
    ['det-slim', 'det', []],
    ['rec-int4', 'rec', []],
    ['deep-compression', 'cls', ['--shape', 'x=1x3x48x192']],
  ] as const)('%s against the %s model resolves every selector (exit 0)', async (name, which, shape) => {
    const r = await runCli(['check', join(RECIPES, `${name}.squish`), '--model', MODELS[which], ...shape]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok (0 errors, 0 warnings), selectors resolved against');
    const listed = r.stdout.split('\n').filter((l) => / → \d+ layers?$/.test(l));
    expect(listed.length).toBeGreaterThan(0);
    for (const l of listed) expect(Number(/→ (\d+)/.exec(l)![1])).toBeGreaterThan(0);
  });

  it('deep-compression on cls without a pinned shape: the error compile would stop at (random data needs a fixed shape)', async () => {
    const r = await runCli(['check', join(RECIPES, 'deep-compression.squish'), '--model', MODELS.cls]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /deep-compression\.squish:4:1: error\[SQ407\]: random calibration data needs a fixed shape for input x/,
    );
  });

  it('without a model it checks the language only', async () => {
    const r = await runCli(['check', join(RECIPES, 'det-slim.squish')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/det-slim\.squish: ok \(0 errors, 0 warnings\)\n$/);
  });

  it('errors: exit 1, every problem rendered with a code frame and help, no stack trace', async () => {
    const p = recipe(
      'bad.squish',
      'prune channels of conv {\n  sparsty 25%\n}\nquantize weights of conv { bits 3 }\n',
    );
    const r = await runCli(['check', 'bad.squish'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "bad.squish:2:3: error[SQ301]: unknown option 'sparsty' in prune\n  |\n2 |   sparsty 25%\n  |   ^^^^^^^\n  = help: did you mean 'sparsity'?",
    );
    expect(r.stderr).toContain('bad.squish:4:33: error[SQ303]');
    expect(r.stderr).toContain('bad.squish: 2 errors, 0 warnings');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(p).toContain(dir);
  });

  it('warnings pass unless --strict', async () => {
    recipe('warn.squish', 'prune 2:4 of conv { sparsity 50% }\n');
    const plain = await runCli(['check', 'warn.squish'], dir);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('warning[SQ317]');
    const strict = await runCli(['check', 'warn.squish', '--strict'], dir);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('warn.squish: 0 errors, 1 warning');
  });

  it('a misspelled op type or layer name against a model gets a suggestion from the model', async () => {
    recipe('typo.squish', 'quantize weights of conb { bits 8 }\nkeep "conv2d_5.w_O"\n');
    const r = await runCli(['check', 'typo.squish', '--model', MODELS.cls], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("typo.squish:1:21: error[SQ401]: selector 'conb' matches nothing");
    expect(r.stderr).toContain("= help: did you mean 'conv'?");
    expect(r.stderr).toContain('typo.squish:2:6: error[SQ401]');
    expect(r.stderr).toContain('did you mean "conv2d_5.w_0"');
    expect(r.stderr).not.toContain('SQ309');
  });

  it('includes are read relative to the recipe (examples/include.squish)', async () => {
    const r = await runCli(['check', 'examples/include.squish'], ROOT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a missing recipe or model is a clear user error', async () => {
    const r = await runCli(['check', 'nope.squish'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("recipe file 'nope.squish' does not exist");
    const m = await runCli(['check', join(RECIPES, 'cls-int8.squish'), '--model', join(dir, 'missing.onnx')]);
    expect(m.code).toBe(1);
    expect(m.stderr).not.toMatch(/\n\s+at /);
  });
});
