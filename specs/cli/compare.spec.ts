// Fidelity on calibration data: compile with calibrate + targets (the squish runtime runs both
// models), and squish compare on its own (--recipe or --data), checked against onnxruntime.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wilson } from '../../compiler/fidelity/interval.ts';
import type { Report } from '../../compiler/report/types.ts';
import { runCli } from '../support/cli.ts';
import { clsInput, fixtures, runOrt } from '../support/ocr.ts';
import { FIXTURES, MODELS } from '../support/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'squish-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CAL = `model { input x: float32[1, 3, 48, 192] }
calibrate {
  images "${join(FIXTURES, 'lines')}/*.png"
  samples 8
  normalize mean 0.5 std 0.5
  channels bgr
}
`;
const recipePath = join(dir, 'cal.squish');
const cleaned = join(dir, 'cls.onnx');
const reportPath = join(dir, 'report.json');

beforeAll(async () => {
  writeFileSync(
    recipePath,
    `recipe "cal"\n${CAL}target agreement >= 99%\ntarget cosine >= 0.9999\ntarget flops <= 100%\n`,
  );
  const r = await runCli([
    'compile',
    MODELS.cls,
    '--recipe',
    recipePath,
    '-o',
    cleaned,
    '--report',
    reportPath,
  ]);
  expect(r.code, r.stderr).toBe(0);
});

describe('fidelity', () => {
  it('compile with calibration data reports fidelity and met targets', async () => {
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
    const f = report.fidelity!;
    // 8 loaded, 3 held apart from every fitting step (25% rounds to 2; at least 3 are kept apart)
    expect(f.samples).toBe(3);
    expect(f.measured_on).toEqual({ samples: 3, of: 8, held_apart: true, source: 'images' });
    expect([f.task, f.metric, f.answers]).toEqual(['classify', 'top1', 3]);
    expect(f.agreement).toBe(1);
    expect(f.interval).toEqual(wilson(3, 3));
    expect(f.cosine_min).toBeGreaterThan(0.9999);
    expect(report.targets.map((t) => [t.metric, t.met])).toEqual([
      ['agreement', true],
      ['cosine', true],
      ['flops', true],
    ]);
    // FLOPs at the pinned input shape; folding BatchNormalization only removes work
    expect(report.before.flops).toBeGreaterThan(1e6);
    expect(report.after.flops).toBeLessThan(report.before.flops);
    expect(report.targets[2].achieved).toBeCloseTo(report.after.flops / report.before.flops, 12);
    // the max abs difference is of the order onnxruntime sees between the two files
    let ortMax = 0;
    for (const fx of fixtures('lines').slice(0, 8)) {
      const x = await clsInput(fx.file);
      const a = (await runOrt(MODELS.cls, { x }))['softmax_0.tmp_0'].data as Float32Array;
      const b = (await runOrt(cleaned, { x }))['softmax_0.tmp_0'].data as Float32Array;
      for (let i = 0; i < a.length; i++) ortMax = Math.max(ortMax, Math.abs(a[i] - b[i]));
    }
    expect(f.max_abs).toBeLessThanOrEqual(Math.max(1e-5, ortMax * 10));
  });

  it('a missed fidelity target fails with the achieved figure', async () => {
    const r = join(dir, 'snr.squish');
    writeFileSync(r, `${CAL}target snr >= 900\n`);
    const res = await runCli(['compile', MODELS.cls, '--recipe', r, '-o', join(dir, 'snr.onnx')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /snr\.squish:\d+:8: error\[SQ502\]: target snr >= 900 missed: achieved [\d.]+ dB, [\d.]+ dB under/,
    );
  });

  it('a fidelity target without calibration data says what to add', async () => {
    const r = join(dir, 'nocal.squish');
    writeFileSync(r, 'target agreement >= 99%\n');
    const res = await runCli(['compile', MODELS.cls, '--recipe', r, '-o', join(dir, 'nocal.onnx')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/needs calibration data/);
    expect(res.stderr).toMatch(/calibrate/);
  });

  it('squish compare --recipe and --data measure B against A', async () => {
    const a = await runCli(['compare', MODELS.cls, cleaned, '--recipe', recipePath, '--json']);
    expect(a.code, a.stderr).toBe(0);
    const fa = JSON.parse(a.stdout);
    const f0 = (JSON.parse(readFileSync(reportPath, 'utf8')) as Report).fidelity!;
    expect(fa.samples).toBe(3);
    expect(fa.measured_on).toEqual(f0.measured_on);
    expect(fa.agreement).toBe(1);
    const same = await runCli(['compare', MODELS.cls, MODELS.cls, '--recipe', recipePath]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/max abs +0\.000e\+0/);
    expect(same.stdout).toMatch(/SNR +inf/);
    const d = await runCli([
      'compare',
      MODELS.cls,
      cleaned,
      '--data',
      join(FIXTURES, 'lines', 'line0*.png'),
      '--samples',
      '2',
      '--json',
    ]);
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout).samples).toBe(2);
    const bad = await runCli(['compare', MODELS.cls, cleaned]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/exactly one of --recipe or --data/);
  });
});
