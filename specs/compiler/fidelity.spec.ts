// Fidelity metrics against independent computations, and calibration data loading.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadCalibration } from '../../compiler/data/calibration.ts';
import { wilson } from '../../compiler/fidelity/interval.ts';
import { cosine, FidelityMeter } from '../../compiler/fidelity/metrics.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { serializeNpy } from '../../runtime/npy.ts';
import { FIXTURES } from '../support/paths.ts';

describe('fidelity metrics', () => {
  it('identical outputs: agreement 1, cosine 1, max abs 0, infinite SNR', () => {
    const m = new FidelityMeter();
    const t = float32([2, 3], [0.1, 0.7, 0.2, 0.5, 0.3, 0.2]);
    m.add({ y: t }, { y: t });
    expect(m.result()).toEqual({
      samples: 1,
      task: 'classify',
      metric: 'top1',
      value: 1,
      answers: 2,
      interval: wilson(2, 2),
      agreement: 1,
      cosine_min: 1,
      cosine_mean: 1,
      max_abs: 0,
      snr_db: Number.POSITIVE_INFINITY,
    });
  });

  it('matches a direct computation on random vectors', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.float({ min: -10, max: 10, noNaN: true }),
            fc.float({ min: -10, max: 10, noNaN: true }),
          ),
          {
            minLength: 4,
            maxLength: 40,
          },
        ),
        (pairs) => {
          const n = pairs.length - (pairs.length % 2);
          const a = pairs.slice(0, n).map((p) => p[0]);
          const b = pairs.slice(0, n).map((p) => p[1]);
          const m = new FidelityMeter();
          m.add({ y: float32([n / 2, 2], a) }, { y: float32([n / 2, 2], b) });
          const r = m.result();
          const fa = Float32Array.from(a);
          const fb = Float32Array.from(b);
          let maxAbs = 0;
          let sig = 0;
          let noise = 0;
          let agree = 0;
          for (let i = 0; i < n; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(fa[i] - fb[i]));
            sig += fa[i] ** 2;
            noise += (fa[i] - fb[i]) ** 2;
          }
          for (let i = 0; i < n; i += 2) if (fa[i + 1] > fa[i] === fb[i + 1] > fb[i]) agree++;
          expect(r.max_abs).toBeCloseTo(maxAbs, 6);
          if (noise > 0 && sig > 0) expect(r.snr_db).toBeCloseTo(10 * Math.log10(sig / noise), 6);
          expect(r.cosine_min).toBeCloseTo(cosine(fa, fb), 9);
          // ties (equal scores) count by first index in both; only check when no ties
          if (fa.every((_, i) => i % 2 === 1 || (fa[i] !== fa[i + 1] && fb[i] !== fb[i + 1])))
            expect(r.agreement).toBeCloseTo(agree / (n / 2), 9);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('calibration data', () => {
  const recipe = join(FIXTURES, '..', 'recipe.squish');
  it('random data is seeded and shaped like the inputs', async () => {
    const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [1, 3, 4, 5] }];
    const a = await loadCalibration(
      { source: 'random', samples: 3, seed: 7, file: recipe },
      inputs,
      nodeHost(),
    );
    const b = await loadCalibration(
      { source: 'random', samples: 3, seed: 7, file: recipe },
      inputs,
      nodeHost(),
    );
    expect(a).toHaveLength(3);
    expect(a[0].x.dims).toEqual([1, 3, 4, 5]);
    expect(a[2].x.data).toEqual(b[2].x.data);
    expect(a[0].x.data).not.toEqual(a[1].x.data);
  });

  it('random data with a dynamic dim asks for model { input … }', async () => {
    const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [1, 3, 'h', 'w'] }];
    await expect(loadCalibration({ source: 'random', file: recipe }, inputs, nodeHost())).rejects.toThrow(
      /fixed shape for input x/,
    );
  });

  it('images are globbed relative to the recipe, resized to the input, normalized', async () => {
    const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [1, 3, 48, 192] }];
    const s = await loadCalibration(
      {
        source: 'images',
        glob: 'ocr/lines/*.png',
        samples: 2,
        mean: [0.5],
        std: [0.5],
        channels: 'bgr',
        file: recipe,
      },
      inputs,
      nodeHost(),
    );
    expect(s).toHaveLength(2);
    expect(s[0].x.dims).toEqual([1, 3, 48, 192]);
    const d = s[0].x.data as Float32Array;
    expect(Math.min(...d)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...d)).toBeLessThanOrEqual(1);
  });

  it('a glob matching nothing is a user error naming the glob', async () => {
    const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [1, 3, 48, 192] }];
    await expect(
      loadCalibration({ source: 'images', glob: 'nope/*.png', file: recipe }, inputs, nodeHost()),
    ).rejects.toThrow(/"nope\/\*\.png" matches no file/);
  });

  it('tensors are read from .npy files relative to the recipe, the first N in name order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squish-npy-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'data'));
    for (let i = 0; i < 3; i++)
      writeFileSync(join(dir, 'data', `s${i}.npy`), serializeNpy(float32([1, 2], [i, 2 * i])));
    const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [1, 2] }];
    const s = await loadCalibration(
      { source: 'tensors', glob: 'data/*.npy', samples: 2, file: join(dir, 'r.squish') },
      inputs,
      nodeHost('/'),
    );
    expect(s.map((x) => Array.from(x.x.data as Float32Array))).toEqual([
      [0, 0],
      [1, 2],
    ]);
  });
});
