// `squish fmt`: prints canonical text, --check fails on unformatted files, --write rewrites, broken files untouched.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRecipe } from '../../dsl/index.ts';
import { runCli } from '../support/cli.ts';
import { RECIPES } from '../support/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'squish-fmt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MESSY =
  'recipe   "m"   # name\nkeep conv[0],\n     conv[-1]\nquantize weights of conv {bits 8\nper-channel}\n';

describe('squish fmt', () => {
  it('prints the canonical layout', async () => {
    writeFileSync(join(dir, 'a.squish'), MESSY);
    const r = await runCli(['fmt', 'a.squish'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'recipe "m"  # name\nkeep conv[0], conv[-1]\nquantize weights of conv { bits 8  per-channel }\n',
    );
    expect(r.stdout).toBe(formatRecipe(MESSY).text);
  });

  it('--check fails on an unformatted file and passes after --write', async () => {
    writeFileSync(join(dir, 'b.squish'), MESSY);
    const before = await runCli(['fmt', 'b.squish', '--check'], dir);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('b.squish: not formatted (run: squish fmt --write b.squish)');
    const w = await runCli(['fmt', 'b.squish', '--write'], dir);
    expect(w.code).toBe(0);
    expect(readFileSync(join(dir, 'b.squish'), 'utf8')).toBe(formatRecipe(MESSY).text);
    const again = await runCli(['fmt', 'b.squish', '--write'], dir);
    expect(again.stdout).toContain('already formatted');
    expect((await runCli(['fmt', 'b.squish', '--check'], dir)).code).toBe(0);
  });

  it('the shared recipes are stable under fmt (formatting twice changes nothing)', async () => {
    for (const f of ['cls-int8', 'det-slim', 'rec-int4', 'deep-compression']) {
      const once = await runCli(['fmt', join(RECIPES, `${f}.squish`)]);
      expect(once.code).toBe(0);
      writeFileSync(join(dir, `${f}.squish`), once.stdout);
      expect((await runCli(['fmt', `${f}.squish`, '--check'], dir)).code).toBe(0);
    }
  });

  it('a file with syntax errors is reported and left untouched', async () => {
    const broken = 'prune weights of conv {\n  sparsity 5%\n';
    writeFileSync(join(dir, 'c.squish'), broken);
    const r = await runCli(['fmt', 'c.squish', '--write'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("c.squish:2:14: error[SQ201]: missing '}' to close this block");
    expect(readFileSync(join(dir, 'c.squish'), 'utf8')).toBe(broken);
  });

  it('--write and --check together is a usage error', async () => {
    writeFileSync(join(dir, 'd.squish'), 'recipe "d"\n');
    const r = await runCli(['fmt', 'd.squish', '--write', '--check'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--write and --check cannot be used together');
  });
});
