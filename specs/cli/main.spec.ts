import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

describe('squish CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: squish');
  });
  it('rejects an unknown command with exit 1 and no stack trace', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
