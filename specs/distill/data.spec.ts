// calibrate { resize WxH  fit pad } reads images as PaddleOCR's cls and rec do (ratio kept, right-
// padded), so training data is preprocessed as the measurement is; fit fill (the default) stretches.

import { describe, expect, it } from 'vitest';
import { loadCalibration } from '../../compiler/data/calibration.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import { clsInput } from '../support/ocr.ts';
import { RECIPE_FILE, TRANSFER } from './support.ts';

const inputs = [{ name: 'x', dtype: 'float32' as const, shape: [1, 3, 48, 192] }];
const spec = (fit?: 'fill' | 'pad') => ({
  source: 'images' as const,
  glob: `${TRANSFER}/lines/line0002.png`,
  file: RECIPE_FILE,
  resize: [192, 48] as [number, number],
  mean: [0.5],
  std: [0.5],
  channels: 'bgr' as const,
  ...(fit ? { fit } : {}),
});

describe('calibrate fit', () => {
  it('fit pad gives the cls input of the measurement; fill stretches', async () => {
    const [padded] = await loadCalibration(spec('pad'), inputs, nodeHost());
    const [stretched] = await loadCalibration(spec(), inputs, nodeHost());
    const reference = await clsInput(`${TRANSFER}/lines/line0002.png`);
    expect([...(padded!.x!.data as Float32Array)]).toEqual([...(reference.data as Float32Array)]);
    expect([...(stretched!.x!.data as Float32Array)]).not.toEqual([...(reference.data as Float32Array)]);
  });
});
