// Loud where the figures mislead: random calibration data is marked and warned about (naming the
// statement), an agreement target on it is an error unless trusted, a compile under the fidelity
// floor warns with no target at all, and per-layer skip warnings collapse to one line per statement.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { FIDELITY_FLOOR, RANDOM_NOTE } from '../../compiler/fidelity/verdict.ts';
import type { Report } from '../../compiler/report/types.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf } from '../compiler/graphs.ts';
import { runCli } from '../support/cli.ts';

const W = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 11 - 0.5);
/** x[1,4,6,6] → Conv 4→8 3×3 → Relu → Conv 8→8 1×1. */
const model = bytesOf(
  buildModel({
    inputs: [{ name: 'x', dims: [1, 4, 6, 6] }],
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: 'c1', inputs: ['x', 'w1'], outputs: ['a'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['b'] },
      { op: 'Conv', name: 'c2', inputs: ['b', 'w2'], outputs: ['y'] },
    ],
    initializers: { w1: float32([8, 4, 3, 3], W(288)), w2: float32([8, 8, 1, 1], W(64)) },
  }),
);

const dir = mkdtempSync(join(tmpdir(), 'squish-fidelity-warn-'));
const modelPath = join(dir, 'net.onnx');
writeFileSync(modelPath, model);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function compileCli(name: string, recipe: string) {
  const r = join(dir, `${name}.squish`);
  writeFileSync(r, recipe);
  const report = join(dir, `${name}.json`);
  const res = await runCli([
    'compile',
    modelPath,
    '--recipe',
    r,
    '-o',
    join(dir, `${name}.onnx`),
    '--report',
    report,
  ]);
  return {
    ...res,
    report: res.code === 0 ? (JSON.parse(readFileSync(report, 'utf8')) as Report) : undefined,
  };
}

describe('random calibration data', () => {
  it('is marked in the report and warned about, naming the statement', async () => {
    const r = await compileCli('random', 'recipe "r"\ncalibrate { random  samples 8 }\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /random\.squish:2:1: calibrate \{ random \}: .*random inputs, not evidence of accuracy/,
    );
    const f = r.report!.fidelity!;
    expect(f.measured_on).toEqual({ samples: 3, of: 8, held_apart: true, source: 'random' });
    expect(f.notes).toContain(RANDOM_NOTE);
    expect(r.stdout).toContain(RANDOM_NOTE);
  });

  it('backs no agreement target unless the recipe trusts it', async () => {
    const bad = await compileCli('untrusted', 'calibrate { random  samples 8 }\ntarget agreement >= 90%\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /untrusted\.squish:2:8: error\[SQ327\]: target agreement on random calibration data/,
    );
    expect(bad.stderr).toMatch(/calibrate \{ random {2}trust \}/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // one message, no stack trace
    const ok = await compileCli(
      'trusted',
      'calibrate { random  samples 8  trust }\ntarget agreement >= 90%\n',
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.report!.targets[0]).toMatchObject({ metric: 'agreement', met: true });
    expect(ok.report!.fidelity!.notes).toContain(RANDOM_NOTE);
  });
});

describe('the fidelity floor', () => {
  it('warns loudly with no target, and not for an exact compile', async () => {
    const lossy = await compileCli(
      'floor',
      'calibrate { random  samples 8  trust }\nquantize weights of * { binary }\n',
    );
    expect(lossy.code, lossy.stderr).toBe(0);
    const f = lossy.report!.fidelity!;
    const under = f.cosine_mean < FIDELITY_FLOOR.cosine || f.snr_db < FIDELITY_FLOOR.snr_db;
    expect(under).toBe(true);
    expect(lossy.stderr).toMatch(
      /WARNING: fidelity below the floor on 3 held-apart samples: cosine mean 0\.\d{4} < 0\.9/,
    );
    expect(lossy.stdout).toMatch(/BELOW THE FIDELITY FLOOR/);
    expect(f.notes?.some((n) => n.startsWith('below the fidelity floor'))).toBe(true);
    const exact = await compileCli('exact', 'calibrate { random  samples 8  trust }\n');
    expect(exact.code, exact.stderr).toBe(0);
    expect(exact.stderr).not.toMatch(/floor/);
    expect(exact.report!.fidelity!.cosine_mean).toBeGreaterThan(0.9999);
  });
});

describe('skip warnings', () => {
  it('collapse to one line per statement; the report keeps one per layer', async () => {
    const warns: string[] = [];
    const res = await compileModel(model, 'factorize * { rank 90% }\n', { warn: (l) => warns.push(l) });
    const perLayer = res.report.warnings!.filter((w) => /^recipe\.squish:1: factorize skipped /.test(w));
    expect(perLayer.length).toBe(2);
    const shown = warns.filter((w) => w.includes('factorize skipped'));
    expect(shown).toEqual([
      expect.stringMatching(/^recipe\.squish:1: factorize skipped 2 layers of the 2 it selects — /),
    ]);
  });
});
